"""Layers that merge several inputs: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate. 0 params, 0 MACs."""

from __future__ import annotations

from typing import Any

from convcalc.layers.base import (
    Arg, Layer, LayerError, Shape, canonical_axis, is_int, json_schema, optional,
)
from convcalc.layers.registry import register


class ElementwiseMerge(Layer):
    """Element-wise merge of inputs of identical shape. Shape: that shape. Params 0, MACs 0."""

    min_inputs = 2
    max_inputs = None
    args: dict[str, Arg] = {}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        first = inputs[0]
        for shape in inputs[1:]:
            if shape != first:
                raise LayerError(
                    f"all inputs must have the same shape; received "
                    + ", ".join(self.show(s) for s in inputs),
                    hint="add a 1x1 convolution or pooling on one branch so the shapes match")
        return first

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        return K.merge(self.kind, xs)


for _name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
    register(type(_name, (ElementwiseMerge,), {
        "kind": _name, "aliases": (), "__doc__": ElementwiseMerge.__doc__,
        "max_inputs": 2 if _name == "Subtract" else None}))


@json_schema({"type": "integer"})
def _axis(v: object) -> int:
    if not is_int(v):
        from convcalc.layers.base import ArgError
        raise ArgError(f"must be an integer; received {v!r}")
    return v  # type: ignore[return-value]


@register
class Concatenate(Layer):
    """Concatenation along ``axis`` (Keras axis, batch = 0; default: the channel axis).

    Shape: the inputs' common shape with the sizes along ``axis`` added. Params 0, MACs 0.
    """

    kind = "Concatenate"
    aliases = ("Concat",)
    args = {"axis": Arg(optional(_axis), None, torch="dim",
                        doc="Keras axis counting the batch as 0; default: the channel axis")}
    min_inputs = 2
    max_inputs = None
    axis: int | None

    def output_shape(self, inputs: list[Shape]) -> Shape:
        rank = len(inputs[0])
        if any(len(s) != rank for s in inputs):
            raise LayerError("all inputs must have the same rank; received "
                             + ", ".join(self.show(s) for s in inputs))
        ax = rank - 1 if self.axis is None else canonical_axis(self.axis, rank,
                                                              self.channels_first)
        for s in inputs[1:]:
            if s[:ax] + s[ax + 1:] != inputs[0][:ax] + inputs[0][ax + 1:]:
                raise LayerError(
                    "inputs must match on every axis but the concatenation axis; received "
                    + ", ".join(self.show(x) for x in inputs), arg="axis")
        return inputs[0][:ax] + (sum(s[ax] for s in inputs),) + inputs[0][ax + 1:]

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        import numpy as np
        rank = xs[0].ndim - 1
        ax = rank - 1 if self.axis is None else canonical_axis(self.axis, rank,
                                                              self.channels_first)
        return np.concatenate(xs, axis=1 + ax)
