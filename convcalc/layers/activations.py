"""Activation layers: Activation(name), ReLU, ReLU6, LeakyReLU, ELU, Softmax. Shape unchanged,
0 params, 0 MACs (activations are not multiply-accumulates)."""

from __future__ import annotations

from typing import Any

from convcalc.fields import Arg, any_value, number, optional
from convcalc.layers.base import Layer, RFStep, Shape, TorchModule, Unchanged
from convcalc.layers.common import (
    AXISWISE_ACTIVATIONS,
    INPLACE,
    FusedActivation,
    activation_name,
    along_axis_step,
    keras_axis,
    run_activation,
)
from convcalc.layers.counts import activation_module
from convcalc.layers.export import Code, refuse, torch_activation, torch_dim
from convcalc.layers.registry import register
from convcalc.shapes import canonical_axis

ELEMENTWISE_FORMULAS = "Shape: unchanged. Params: 0. MACs: 0."


class ElementwiseActivation(Layer):
    """Shared by the activation layers."""

    formulas = ELEMENTWISE_FORMULAS
    operator = "activation"
    keeps = "output"  # relu, relu6 (hardtanh), softmax... differentiate from their result

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        return Unchanged()


@register
class Activation(FusedActivation, ElementwiseActivation):
    """Element-wise activation by name. Shape: unchanged, except 'glu', which halves the
    feature axis (one half gates the other). Params: 0. MACs: 0."""

    kind = "Activation"
    formulas = ""
    args = {"activation": Arg(activation_name, doc="a Keras activation name, e.g. relu")}
    activation: str

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return activation_module(self.activation) or TorchModule("Identity", "")

    def fused_module(self) -> TorchModule | None:
        return None  # the activation is the layer itself

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        if self.activation in AXISWISE_ACTIVATIONS:
            return along_axis_step(-1, len(inputs[0]), self.channels_first)
        return Unchanged()

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        fn = run_activation(self.activation, xs[0].ndim, self.channels_first)
        return xs[0] if fn is None else fn(xs[0])

    def epilogue(self, shape: tuple[int, ...], params: dict[str, Any]) -> Any:
        fn = run_activation(self.activation, len(shape), self.channels_first, inplace=True)
        return fn if getattr(fn, "elementwise", False) else None

    def torch_code(self, inputs: list[Shape]) -> Code:
        expr = torch_activation(self.activation, "{x}", len(inputs[0]), self.channels_first)
        return Code((), expr)


@register
class ReLU(ElementwiseActivation):
    """Rectified linear unit, Keras's ``ReLU`` layer (max_value, negative_slope, threshold)."""

    kind = "ReLU"
    torch_class = "ReLU"
    torch_function = "relu"
    args = {
        "max_value": Arg(optional(number), None, doc="upper clip (6 for ReLU6)"),
        "negative_slope": Arg(number, 0.0, doc="slope below threshold"),
        "threshold": Arg(number, 0.0, doc="values below it are damped"),
        "inplace": INPLACE,
    }
    max_value: float | None
    negative_slope: float
    threshold: float

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import activations

        return activations.relu_like(xs[0], self.max_value, self.negative_slope, self.threshold)

    def epilogue(self, shape: tuple[int, ...], params: dict[str, Any]) -> Any:
        from convcalc.ops import activations

        if self.negative_slope or self.threshold:
            return None
        return activations.clip_epilogue(self.max_value)

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        """Keras's ReLU(max_value=6) is PyTorch's ReLU6; with a slope, LeakyReLU."""
        if self.threshold:
            return TorchModule("", "relu")
        if self.negative_slope:
            return TorchModule("LeakyReLU", "leaky_relu")
        if self.max_value is not None:
            return TorchModule("ReLU6" if self.max_value == 6 else "Hardtanh", "hardtanh")
        return TorchModule("ReLU", "relu")

    def torch_code(self, inputs: list[Shape]) -> Code:
        if self.negative_slope or self.threshold:
            raise refuse(self.kind, "pytorch", "with negative_slope or threshold")
        if self.max_value is None:
            return Code((), "torch.relu({x})")
        return Code((), f"torch.clamp({{x}}, 0.0, {self.max_value!r})")


@register
class ReLU6(ElementwiseActivation):
    """min(max(x, 0), 6): PyTorch's ``ReLU6`` (MobileNet); Keras writes ``ReLU(max_value=6)``."""

    kind = "ReLU6"
    torch_class = "ReLU6"
    torch_function = "hardtanh"  # what nn.ReLU6.forward calls
    args = {"inplace": INPLACE}

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import activations

        return activations.relu_like(xs[0], 6.0, 0.0, 0.0)

    def epilogue(self, shape: tuple[int, ...], params: dict[str, Any]) -> Any:
        from convcalc.ops import activations

        return activations.clip_epilogue(6.0)

    def torch_code(self, inputs: list[Shape]) -> Code:
        return Code((), "nn.functional.relu6({x})")

    def keras_code(self, inputs: list[Shape]) -> Code:
        return Code((("", f"layers.ReLU(max_value=6.0, name={self.name!r})"),), "{m}({x})")


@register
class LeakyReLU(ElementwiseActivation):
    """Leaky ReLU: x for x >= 0, negative_slope·x below (PyTorch ``LeakyReLU``)."""

    kind = "LeakyReLU"
    torch_class = "LeakyReLU"
    torch_function = "leaky_relu"
    args = {
        "negative_slope": Arg(number, 0.3, doc="slope for x < 0 (Keras 3; alpha in Keras 2)"),
        "inplace": INPLACE,
    }
    negative_slope: float

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import activations

        return activations.relu_like(xs[0], None, self.negative_slope, 0.0)

    def torch_code(self, inputs: list[Shape]) -> Code:
        return Code((), f"nn.functional.leaky_relu({{x}}, {self.negative_slope!r})")


@register
class ELU(ElementwiseActivation):
    """Exponential linear unit: x for x > 0, alpha·(exp(x) - 1) below (PyTorch ``ELU``)."""

    kind = "ELU"
    torch_class = "ELU"
    torch_function = "elu"
    args = {"alpha": Arg(number, 1.0, doc="scale of the negative part"), "inplace": INPLACE}
    alpha: float

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import activations

        return activations.elu(xs[0], self.alpha)

    def torch_code(self, inputs: list[Shape]) -> Code:
        return Code((), f"nn.functional.elu({{x}}, {self.alpha!r})")


@register
class Softmax(ElementwiseActivation):
    """Softmax along ``axis`` (default: the last axis of the spec's data_format)."""

    kind = "Softmax"
    torch_class = "Softmax"
    torch_function = "softmax"
    args = {
        "axis": Arg(
            any_value,
            -1,
            torch="dim",
            doc="axis to normalise (no effect on shapes)",
            shape_relevant=False,
        )
    }
    axis: Any

    def the_axis(self) -> int:
        return self.axis if isinstance(self.axis, int) else -1

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        return along_axis_step(self.the_axis(), len(inputs[0]), self.channels_first)

    def torch_code(self, inputs: list[Shape]) -> Code:
        rank = len(inputs[0])
        dim = torch_dim(canonical_axis(self.the_axis(), rank, self.channels_first), rank)
        return Code((), f"torch.softmax({{x}}, dim={dim})")

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import activations

        x = xs[0]
        return activations.softmax(x, keras_axis(self.the_axis(), x.ndim, self.channels_first))
