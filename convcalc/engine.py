"""Shape, parameter and MAC propagation over a spec's layer graph -> :class:`Report`.

Counting conventions (also in the README):

* params = weights + biases; Keras's BatchNormalization has 4·C, of which the 2·C moving
  statistics are non-trainable; ``trainable: false`` makes all of a layer's weights non-trainable.
* MACs = weight multiply-accumulates per sample (fvcore's convention): bias adds, activations,
  pooling, normalisation and merges are 0. torchinfo also counts one MAC per bias add; that is
  ``prod(out_spatial)·filters`` more per biased convolution. FLOPs = 2·MACs.

Every layer is analysed even after another one fails; only the layers that depend on a failed
layer are skipped, so independent problems are all reported at once.
"""

from __future__ import annotations

from convcalc.errors import Problem, SpecError
from convcalc.layers.activations import activation_shape
from convcalc.layers.base import LayerError, Shape, to_canonical, to_display
from convcalc.report import LayerRow, Report, Totals
from convcalc.spec.model import Spec


def analyze(spec: Spec) -> Report:
    """Propagate shapes through ``spec`` and count params and MACs of every layer."""
    canonical: dict[str, Shape] = {}
    rows: list[LayerRow] = []
    problems: list[Problem] = []
    cf = spec.channels_first
    for ls in spec.layers:
        layer = ls.layer
        if ls.kind == "InputLayer":
            out = to_canonical(layer.shape, cf)  # type: ignore[attr-defined]
            canonical[ls.name] = out
            rows.append(LayerRow(ls.name, ls.kind, (), to_display(out, cf), (), 0, 0, 0, 0,
                                 (), ls.loc, ls.index))
            continue
        if not ls.inputs or any(name not in canonical for name in ls.inputs):
            continue  # an upstream layer failed and was reported
        ins = [canonical[name] for name in ls.inputs]
        try:
            pre = layer.output_shape(ins)
            weights = tuple(layer.weights(ins))
            macs = layer.macs(ins, pre)
            out = activation_shape(getattr(layer, "activation", None), pre)
        except LayerError as err:
            at = layer.arg_locs.get(err.arg or "", ls.loc)
            problems.append(Problem(at, err.message, ls.describe(), err.hint))
            continue
        canonical[ls.name] = out
        trainable = sum(w.size for w in weights if w.trainable and ls.trainable)
        total = sum(w.size for w in weights)
        rows.append(LayerRow(ls.name, ls.kind, tuple(ls.inputs), to_display(out, cf),
                             tuple(to_display(s, cf) for s in ins), total, trainable,
                             total - trainable, macs, weights, ls.loc, ls.index))
    if problems:
        raise SpecError(problems)
    consumers: dict[str, int] = {r.name: 0 for r in rows}
    for r in rows:
        for name in r.inputs:
            consumers[name] += 1
    outputs = tuple(r.name for r in rows if consumers[r.name] == 0)
    n_inputs = sum(1 for r in rows if r.kind == "InputLayer")
    sequential_like = (n_inputs == 1 and len(outputs) == 1
                       and all(len(r.inputs) <= 1 for r in rows)
                       and all(c <= 1 for c in consumers.values()))
    totals = Totals(sum(r.params for r in rows), sum(r.trainable_params for r in rows),
                    sum(r.non_trainable_params for r in rows), sum(r.macs for r in rows))
    return Report(spec.name, spec.file, spec.data_format, spec.model, tuple(rows), totals,
                  sequential_like, outputs)
