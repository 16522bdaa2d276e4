"""Layers convcalc cannot see into: Keras's ``Lambda`` and ``TFOpLambda`` (arbitrary Python or
TensorFlow code) and ``Opaque`` (an operation of an imported graph that convcalc does not know,
e.g. an ONNX op). They keep their place in the graph so that everything around them is counted,
and every output says that the count is incomplete: never a silent zero.
"""

from __future__ import annotations

from typing import Any, ClassVar

from convcalc.fields import Arg, any_value, name_str, optional, shape_list
from convcalc.layers.base import Layer, LayerError, RFStep, Shape, Unknown
from convcalc.layers.registry import register
from convcalc.shapes import to_canonical


class OpaqueLayer(Layer):
    """Shared by the layers convcalc cannot analyse."""

    formulas = """
    Shape: ``shape`` when the imported file records it (Keras 3 configs and ONNX graphs do),
    else assumed equal to the first input's. Params: 0 (Keras gives a Lambda no weights).
    MACs: unknown: the layer is listed as not analysable and the totals are lower bounds.
    """
    min_inputs = 1
    max_inputs: ClassVar[int | None] = None
    what: ClassVar[str] = "runs code convcalc cannot read"
    shape: tuple[int, ...] | None

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if self.shape is None:
            return inputs[0]
        if -1 in self.shape:
            raise LayerError(f"shape {list(self.shape)} must be known (no -1)", arg="shape")
        return to_canonical(self.shape, self.channels_first)

    def label(self) -> str:
        return self.kind

    def not_analysable(self) -> str:
        shape = (
            "its output shape is the one the file records"
            if self.shape is not None
            else "its output shape is assumed to be its input's"
        )
        return f"{self.label()} {self.what}: its MACs are unknown (0 in the totals); {shape}"

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        return Unknown(f"{self.label()} {self.what}")

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        raise LayerError(
            f"--run cannot execute {self.label()}: it {self.what}",
            hint="replace it in the spec with the layers it stands for",
        )


SHAPE = Arg(
    optional(shape_list),
    None,
    doc="the output shape (one sample, the spec's data_format) if known",
)
CODE = Arg(
    any_value, None, doc="what it computes, as the file names it (not run)", shape_relevant=False
)


@register
class Lambda(OpaqueLayer):
    """A Keras ``Lambda`` layer: a Python function, listed as not analysable."""

    kind = "Lambda"
    args = {"shape": SHAPE, "function": CODE}


@register
class TFOpLambda(OpaqueLayer):
    """A TensorFlow operation on Keras tensors (tf.keras 2 ``TFOpLambda``), listed as not
    analysable."""

    kind = "TFOpLambda"
    what = "is a TensorFlow operation"
    args = {"shape": SHAPE, "function": CODE}


@register
class Opaque(OpaqueLayer):
    """An operation of an imported graph that convcalc does not know (``op`` names it, e.g.
    an ONNX op type), listed as not analysable."""

    kind = "Opaque"
    what = "is an operation convcalc does not analyse"
    args = {"op": Arg(name_str, doc="the operation's name, e.g. the ONNX op type"), "shape": SHAPE}
    op: str

    def label(self) -> str:
        return f"op '{self.op}'"
