"""Shape, parameter and MAC propagation over a spec's layer graph -> :class:`Report`.

The counting conventions are :mod:`convcalc.counting`'s. Every layer is analysed even after
another one fails; only the layers that depend on a failed layer are skipped, so independent
problems are all reported at once. The receptive field of every layer is computed in the same
walk (:mod:`convcalc.analysis.receptive`).
"""

from __future__ import annotations

from typing import Any

from convcalc.analysis.receptive import FieldWalk
from convcalc.counting import Totals
from convcalc.errors import LayerError, Problem, SpecError
from convcalc.layers.base import Weight
from convcalc.report import LayerRow, Report
from convcalc.shapes import Shape, to_canonical
from convcalc.spec.loader import distinct
from convcalc.spec.model import LayerSpec, Spec


def _rows(spec: Spec) -> tuple[list[LayerRow], list[Problem]]:
    canonical: dict[str, Shape] = {}
    rows: list[LayerRow] = []
    problems: list[Problem] = []
    cf = spec.channels_first
    walk = FieldWalk()
    memo: dict[Any, Counted] = {}
    for ls in spec.layers:
        layer = ls.layer
        if ls.is_input:
            out = to_canonical(layer.shape, cf)  # type: ignore[attr-defined]
            canonical[ls.name] = out
            rows.append(
                LayerRow(
                    ls.name,
                    ls.kind,
                    (),
                    out,
                    (),
                    0,
                    0,
                    0,
                    0,
                    (),
                    ls.loc,
                    ls.index,
                    cf,
                    True,
                    walk.start(ls.name, out),
                )
            )
            continue
        if not ls.inputs or any(name not in canonical for name in ls.inputs):
            continue  # an upstream layer failed and was reported
        ins = [canonical[name] for name in ls.inputs]
        try:
            row = _row(ls, ins, cf, walk, memo)
        except LayerError as err:
            problems.append(ls.problem(err))
            continue
        canonical[ls.name] = row.shape
        rows.append(row)
    return rows, problems


Counted = tuple[Shape, tuple[Weight, ...], int]


def _count(ls: LayerSpec, ins: list[Shape], memo: dict[Any, Counted]) -> Counted:
    """A layer's output shape, weights and MACs; layers with the same signature (kind,
    arguments, spelling, layout) and the same inputs share one computation (a network repeats
    its blocks: ResNet-50 has 16 bottlenecks of 4 kinds)."""
    layer = ls.layer
    key = None if layer.signature is None else (layer.signature, tuple(ins))
    if key is not None:
        hit = memo.get(key)
        if hit is not None:
            return hit
    pre = layer.output_shape(ins)
    found = (layer.result_shape(ins, pre), tuple(layer.weights(ins)), layer.macs(ins, pre))
    if key is not None:
        memo[key] = found
    return found


def _row(
    ls: LayerSpec, ins: list[Shape], cf: bool, walk: FieldWalk, memo: dict[Any, Counted]
) -> LayerRow:
    layer = ls.layer
    out, weights, macs = _count(ls, ins, memo)
    if ls.shares:  # a later call of a shared layer uses the first call's weights: they count there
        weights = ()
    trainable = sum(w.size for w in weights if w.trainable and ls.trainable)
    total = sum(w.size for w in weights)
    return LayerRow(
        ls.name,
        ls.kind,
        tuple(ls.inputs),
        out,
        tuple(ins),
        total,
        trainable,
        total - trainable,
        macs,
        weights,
        ls.loc,
        ls.index,
        cf,
        field=walk.step(ls, ins),  # its receptive field, in the same walk
        torch_layout=cf or layer.torch_spelling,
        blocks=ls.blocks,
        shares=ls.shares,
        group=ls.group,
        incomplete=layer.not_analysable(),
    )


def shape_problems(spec: Spec) -> list[Problem]:
    """The shape problems of a (possibly partial) spec's layers, without raising."""
    return _rows(spec)[1]


def analyze(spec: Spec) -> Report:
    """Propagate shapes through ``spec`` and count params and MACs of every layer."""
    rows, problems = _rows(spec)
    if problems:
        raise SpecError(distinct(problems))
    consumers: dict[str, int] = {r.name: 0 for r in rows}
    for r in rows:
        for name in r.inputs:
            consumers[name] += 1
    outputs = tuple(r.name for r in rows if consumers[r.name] == 0)
    n_inputs = sum(1 for r in rows if r.is_input)
    sequential_like = (
        n_inputs == 1
        and len(outputs) == 1
        and all(len(r.inputs) <= 1 for r in rows)
        and all(c <= 1 for c in consumers.values())
    )
    totals = Totals(
        sum(r.params for r in rows),
        sum(r.trainable_params for r in rows),
        sum(r.non_trainable_params for r in rows),
        sum(r.macs for r in rows),
    )
    return Report(
        spec.name,
        spec.file,
        spec.data_format,
        spec.model,
        tuple(rows),
        totals,
        sequential_like,
        outputs,
    )
