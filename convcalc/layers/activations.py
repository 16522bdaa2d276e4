"""Activation layers: Activation(name), ReLU, LeakyReLU, ELU, Softmax. Shape unchanged,
0 params, 0 MACs (activations are not multiply-accumulates)."""

from __future__ import annotations

from typing import Any

from convcalc.layers.base import (
    Arg, ArgError, Layer, LayerError, Shape, any_value, json_schema, number, optional,
)
from convcalc.layers.registry import register, suggest

# What Keras accepts as an activation name (keras.activations), with PyTorch's spellings.
ACTIVATIONS = (
    "linear", "relu", "relu6", "sigmoid", "softmax", "log_softmax", "softplus", "softsign",
    "tanh", "selu", "elu", "exponential", "gelu", "silu", "swish", "hard_sigmoid", "hard_silu",
    "hard_swish", "leaky_relu", "mish", "celu", "glu", "hard_tanh", "log_sigmoid", "sparsemax",
    "squareplus", "tanh_shrink", "hard_shrink", "soft_shrink", "sparse_plus", "threshold",
)


def activation_shape(name: str | None, shape: Shape) -> Shape:
    """Output shape of an activation: unchanged, except ``glu``, which gates one half of the
    feature axis with the other and so halves it (Keras ``glu(x, axis=-1)``)."""
    if name != "glu":
        return shape
    if shape[-1] % 2:
        raise LayerError(f"activation 'glu' halves the feature axis, which must be even; "
                         f"received {shape[-1]} features", arg="activation")
    return shape[:-1] + (shape[-1] // 2,)


@json_schema({"enum": list(ACTIVATIONS)})
def activation_name(v: object) -> str:
    if isinstance(v, str) and v.lower() in ACTIVATIONS:
        return v.lower()
    near = suggest(str(v), list(ACTIVATIONS)) if isinstance(v, str) else None
    raise ArgError(f"unknown activation {v!r}",
                   hint=(f"did you mean '{near}'? " if near else "")
                   + "known: " + ", ".join(ACTIVATIONS))


class _Elementwise(Layer):
    """Element-wise activation. Shape: unchanged. Params: 0. MACs: 0."""

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]


@register
class Activation(_Elementwise):
    """Element-wise activation by name. Shape: unchanged, except 'glu', which halves the
    feature axis (one half gates the other). Params: 0. MACs: 0."""

    kind = "Activation"
    args = {"activation": Arg(activation_name, doc="a Keras activation name, e.g. relu")}
    activation: str

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.layers.conv import run_activation
        fn = run_activation(self, self.activation, xs[0].ndim)
        return xs[0] if fn is None else fn(xs[0])


@register
class ReLU(_Elementwise):
    __doc__ = _Elementwise.__doc__
    kind = "ReLU"
    args = {"max_value": Arg(optional(number), None, doc="upper clip (6 for ReLU6)"),
            "negative_slope": Arg(number, 0.0, doc="slope below threshold"),
            "threshold": Arg(number, 0.0, doc="values below it are damped"),
            "inplace": Arg(any_value, None, doc="PyTorch inplace (ignored)", shape_relevant=False)}
    max_value: float | None
    negative_slope: float
    threshold: float

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        return K.relu_like(xs[0], self.max_value, self.negative_slope, self.threshold)


@register
class LeakyReLU(_Elementwise):
    __doc__ = _Elementwise.__doc__
    kind = "LeakyReLU"
    args = {"negative_slope": Arg(number, 0.3, doc="slope for x < 0 (Keras 3; alpha in Keras 2)"),
            "inplace": Arg(any_value, None, doc="PyTorch inplace (ignored)", shape_relevant=False)}
    negative_slope: float

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        return K.relu_like(xs[0], None, self.negative_slope, 0.0)


@register
class ELU(_Elementwise):
    __doc__ = _Elementwise.__doc__
    kind = "ELU"
    args = {"alpha": Arg(number, 1.0, doc="scale of the negative part"),
            "inplace": Arg(any_value, None, doc="PyTorch inplace (ignored)", shape_relevant=False)}
    alpha: float

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        return K.elu(xs[0], self.alpha)


@register
class Softmax(_Elementwise):
    __doc__ = _Elementwise.__doc__
    kind = "Softmax"
    args = {"axis": Arg(any_value, -1, torch="dim", doc="axis to normalise (no effect on shapes)",
                        shape_relevant=False)}
    axis: Any

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        axis = self.axis if isinstance(self.axis, int) else -1
        return K.softmax(xs[0], K.keras_axis(axis, xs[0].ndim, self.channels_first))
