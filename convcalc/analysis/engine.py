"""Shape, parameter and MAC propagation over a spec's layer graph -> :class:`Report`.

The counting conventions are :mod:`convcalc.counting`'s. Every layer is analysed even after
another one fails; only the layers that depend on a failed layer are skipped, so independent
problems are all reported at once. The receptive field of every layer is computed in the same
walk (:mod:`convcalc.analysis.receptive`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc.analysis.receptive import FieldWalk, reach, rf_step
from convcalc.counting import Totals
from convcalc.errors import LayerError, Problem, SpecError
from convcalc.layers.base import Layer, RFStep, Weight
from convcalc.layers.counts import TorchModule
from convcalc.report import LayerRow, Report
from convcalc.shapes import Shape, to_canonical
from convcalc.spec.loader import distinct
from convcalc.spec.model import LayerSpec, Spec


def _rows(spec: Spec, fields: bool = True) -> tuple[list[LayerRow], list[Problem]]:
    canonical: dict[str, Shape] = {}
    rows: list[LayerRow] = []
    problems: list[Problem] = []
    cf = spec.channels_first
    walk = FieldWalk() if fields else None
    grad: dict[str, bool] = {}  # whether a layer's output depends on trainable weights
    memo: dict[Any, Counted] = {}
    for ls in spec.layers:
        layer = ls.layer
        if layer.is_input:
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
                    walk.start(ls.name, out) if walk is not None else None,
                    operator="input",
                )
            )
            continue
        names = ls.inputs
        try:
            ins = tuple([canonical[name] for name in names])
        except KeyError:
            continue  # an upstream layer failed and was reported
        if not ins:
            continue
        needs_grad = any([grad.get(name, False) for name in names])
        try:
            row = _row(ls, ins, cf, walk, memo, needs_grad)
        except LayerError as err:
            problems.append(ls.problem(err))
            continue
        grad[ls.name] = needs_grad or row.trainable_params > 0
        canonical[ls.name] = row.shape
        rows.append(row)
    return rows, problems


_new_row = tuple.__new__
NO_BACKWARD = (0, 0)  # (one tuple for every layer without gradients)


class Counted(NamedTuple):
    """What a layer's kind computes from its arguments and input shapes alone."""

    shape: Shape
    weights: tuple[Weight, ...]
    macs: int
    backward: tuple[int, int]  # MACs of the input gradient, of the weight gradient
    torch: TorchModule
    ins: tuple[Shape, ...]  # the input shapes (one tuple for the layers alike)
    rf: RFStep  # what it does to a receptive field
    reach: Shape  # receptive.reach(rf)
    size: int  # elements of its weights
    trainable: int  # elements of its trainable weights
    # the last fields of its LayerRow, from torch_layout on: (torch_layout, incomplete,
    # operator, parts, fused, torch_buffers, torch_spelled, keeps, kept_extra_bytes)
    tail: tuple[Any, ...]


def _count(layer: Layer, ins: tuple[Shape, ...], cf: bool, memo: dict[Any, Counted]) -> Counted:
    """A layer's output shape, weights, MACs and other per-kind facts; layers with the same
    signature (kind, arguments, spelling, layout) and the same inputs share one computation (a
    network repeats its blocks: ResNet-50 has 16 bottlenecks of 4 kinds)."""
    key = None if layer.signature is None else (layer.signature, ins)
    if key is not None:
        hit = memo.get(key)
        if hit is not None:
            return hit
    shapes = list(ins)
    pre = layer.output_shape(shapes)
    weights = tuple(layer.weights(shapes))
    rf = rf_step(layer, shapes)
    found = Counted(
        layer.result_shape(shapes, pre),
        weights,
        layer.macs(shapes, pre),
        layer.backward_macs(shapes, pre),
        layer.torch_module(shapes),
        ins,
        rf,
        reach(rf),
        sum(w.size for w in weights),
        sum(w.size for w in weights if w.trainable),
        (
            cf or layer.torch_spelling,
            layer.not_analysable(),
            layer.operator,
            layer.parts(shapes, pre),
            layer.fused_module(),
            layer.torch_buffers,
            layer.torch_spelling,
            layer.keeps,
            layer.kept_extra_bytes(shapes, pre),
        ),
    )
    if key is not None:
        memo[key] = found
    return found


def _row(
    ls: LayerSpec,
    ins: tuple[Shape, ...],
    cf: bool,
    walk: FieldWalk | None,
    memo: dict[Any, Counted],
    needs_grad: bool = False,
) -> LayerRow:
    """``needs_grad``: some input depends on trainable weights (its gradient is computed)."""
    layer = ls.layer
    c = _count(layer, ins, cf, memo)
    if ls.shares:  # a later call of a shared layer uses the first call's weights: they count there
        weights: tuple[Weight, ...] = ()
        total = trainable = 0
    else:
        weights, total = c.weights, c.size
        trainable = c.trainable if ls.trainable else 0
    grad_in, grad_w = c.backward
    if needs_grad and trainable:
        backward = c.backward
    elif not needs_grad and not trainable:
        backward = NO_BACKWARD
    else:
        backward = (grad_in if needs_grad else 0, grad_w if trainable else 0)
    torch = c.torch
    return _new_row(  # LayerRow(...) without the keyword-taking constructor, in field order
        LayerRow,
        (
            ls.name,
            ls.kind,
            tuple(ls.inputs),
            c.shape,
            c.ins,
            total,
            trainable,
            total - trainable,
            c.macs,
            weights,
            ls.loc,
            ls.index,
            cf,
            False,
            # its receptive field, in the same walk (None: not asked for)
            walk.next_field(ls, ins, c.rf, c.reach) if walk is not None else None,
            ls.blocks,
            ls.shares,
            ls.group,
            torch._replace(cls="") if ls.functional else torch,
            backward,
            *c.tail,
        ),
    )


def shape_problems(spec: Spec) -> list[Problem]:
    """The shape problems of a (possibly partial) spec's layers, without raising."""
    return _rows(spec)[1]


def analyze(spec: Spec, fields: bool = True) -> Report:
    """Propagate shapes through ``spec`` and count params and MACs of every layer, and (unless
    ``fields`` is false: a tenth of the time, which the JSON and the plain table do not show)
    the receptive field of every layer's outputs."""
    rows, problems = _rows(spec, fields)
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
        fields,
    )
