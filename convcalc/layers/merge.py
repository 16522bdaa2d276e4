"""Layers that merge several inputs: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate. 0 params, 0 MACs."""

from __future__ import annotations

from typing import Any, ClassVar

from convcalc.fields import Arg, integer, optional
from convcalc.layers.base import Layer, LayerError, Merge, RFStep, Shape, TorchModule, Unknown
from convcalc.layers.export import Code, torch_dim
from convcalc.layers.registry import register
from convcalc.shapes import canonical_axis


class ElementwiseMerge(Layer):
    """Shared by the element-wise merges."""

    formulas = "Shape: that shape. Params 0, MACs 0."
    min_inputs = 2
    max_inputs: ClassVar[int | None] = None
    operator = "merge"
    keeps = ""  # a sum's gradient passes through (Multiply keeps its inputs: see there)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        first = inputs[0]
        for shape in inputs[1:]:
            if shape != first:
                raise LayerError(
                    "all inputs must have the same shape; received "
                    + ", ".join(self.show(s) for s in inputs),
                    hint="add a 1x1 convolution or pooling on one branch so the shapes match",
                )
        return first

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        return Merge()

    torch_operator: ClassVar[str] = ""  # how PyTorch joins two terms ("{a} + {b}")

    def torch_code(self, inputs: list[Shape]) -> Code:
        expr = "{x0}"
        for i in range(1, len(inputs)):
            expr = self.torch_operator.format(a=expr, b=f"{{x{i}}}")
        if self.kind == "Average":
            expr = f"({expr}) / {len(inputs)}"
        return Code((), expr)


@register
class Add(ElementwiseMerge):
    """Element-wise sum of inputs of identical shape (a residual connection)."""

    kind = "Add"
    torch_function = "add"
    torch_operator = "{a} + {b}"

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        return elementwise.add(xs)


@register
class Subtract(ElementwiseMerge):
    """Element-wise difference of two inputs of identical shape."""

    kind = "Subtract"
    torch_function = "sub"
    torch_operator = "{a} - {b}"
    max_inputs = 2

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        return elementwise.subtract(xs)


@register
class Multiply(ElementwiseMerge):
    """Element-wise product of inputs of one shape, or of shapes that broadcast as Keras's
    Multiply does (squeeze-and-excitation gates: a (1, 1, C) gate times an (H, W, C) map).

    Shape: per axis, the inputs' size (an axis of size 1 takes the others'). Params 0, MACs 0.
    """

    keeps = "input"  # each factor is the other's gradient
    kind = "Multiply"
    torch_function = "mul"
    torch_operator = "{a} * {b}"
    formulas = ""

    def output_shape(self, inputs: list[Shape]) -> Shape:
        out = list(inputs[0])
        for shape in inputs[1:]:
            if len(shape) != len(out) or any(
                a != b and 1 not in (a, b) for a, b in zip(out, shape)
            ):
                raise LayerError(
                    "the inputs' shapes must be equal or broadcast (an axis of size 1 takes "
                    "the other's size); received " + ", ".join(self.show(s) for s in inputs),
                    hint="reshape the gate to (1, 1, C), as squeeze-and-excitation does",
                )
            out = [b if a == 1 else a for a, b in zip(out, shape)]
        return tuple(out)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        if all(x.shape == xs[0].shape for x in xs):
            return elementwise.multiply(xs)
        import numpy as np

        y = np.multiply(xs[0], xs[1])  # a new array: the inputs stay as they are
        for x in xs[2:]:
            if np.broadcast_shapes(y.shape, x.shape) == y.shape:
                np.multiply(y, x, out=y)
            else:
                y = np.multiply(y, x)
        return y.astype(np.float32, copy=False)  # no second pass when already float32


@register
class Average(ElementwiseMerge):
    """Element-wise mean of inputs of identical shape."""

    kind = "Average"
    torch_function = "add"
    torch_operator = "{a} + {b}"

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        return elementwise.average(xs)


@register
class Maximum(ElementwiseMerge):
    """Element-wise maximum of inputs of identical shape."""

    kind = "Maximum"
    torch_function = "maximum"
    torch_operator = "torch.maximum({a}, {b})"

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        return elementwise.maximum(xs)


@register
class Minimum(ElementwiseMerge):
    """Element-wise minimum of inputs of identical shape."""

    kind = "Minimum"
    torch_function = "minimum"
    torch_operator = "torch.minimum({a}, {b})"

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        return elementwise.minimum(xs)


@register
class Concatenate(Layer):
    """Concatenation along ``axis`` (Keras axis, batch = 0; default: the channel axis).

    Shape: the inputs' common shape with the sizes along ``axis`` added. Params 0, MACs 0.
    """

    keeps = ""
    kind = "Concatenate"
    torch_function = "cat"
    aliases = ("Concat",)  # ONNX's name
    operator = "merge"

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule("", "cat")

    args = {
        "axis": Arg(
            optional(integer),
            None,
            torch="dim",
            doc="Keras axis counting the batch as 0; default: the channel axis",
        )
    }
    min_inputs = 2
    max_inputs = None
    axis: int | None

    def canonical(self, rank: int) -> int:
        return (
            rank - 1 if self.axis is None else canonical_axis(self.axis, rank, self.channels_first)
        )

    def output_shape(self, inputs: list[Shape]) -> Shape:
        rank = len(inputs[0])
        if any(len(s) != rank for s in inputs):
            raise LayerError(
                "all inputs must have the same rank; received "
                + ", ".join(self.show(s) for s in inputs)
            )
        ax = self.canonical(rank)
        for s in inputs[1:]:
            if s[:ax] + s[ax + 1 :] != inputs[0][:ax] + inputs[0][ax + 1 :]:
                raise LayerError(
                    "inputs must match on every axis but the concatenation axis; received "
                    + ", ".join(self.show(x) for x in inputs),
                    arg="axis",
                )
        return inputs[0][:ax] + (sum(s[ax] for s in inputs),) + inputs[0][ax + 1 :]

    def torch_code(self, inputs: list[Shape]) -> Code:
        dim = torch_dim(self.canonical(len(inputs[0])), len(inputs[0]))
        return Code((), "torch.cat({xs}, dim=" + str(dim) + ")")

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        rank = len(inputs[0])
        if self.canonical(rank) != rank - 1:
            return Unknown("joins inputs along a spatial axis")
        return Merge()

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        import numpy as np

        return np.concatenate(xs, axis=1 + self.canonical(xs[0].ndim - 1))
