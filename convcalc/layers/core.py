"""InputLayer, Dense, Dropout."""

from __future__ import annotations

import math
from typing import Any

from convcalc.fields import Arg, any_value, boolean, optional, pos_int, rate, shape_list
from convcalc.layers.base import (
    Layer,
    Part,
    RFStep,
    Shape,
    Unchanged,
    Weight,
    kernel_weight,
    vector,
    weighted_part,
)
from convcalc.layers.common import KERAS_EXTRAS, FusedActivation, activation_arg, along_axis_step
from convcalc.layers.export import Code, torch_activation
from convcalc.layers.registry import register


@register
class InputLayer(Layer):
    """The model's input. Shape: ``shape`` (one sample, in the spec's data_format).
    Params 0, MACs 0."""

    kind = "InputLayer"
    aliases = ("Input",)
    args = {"shape": Arg(shape_list, doc="one sample's shape, without the batch")}
    min_inputs = 0
    max_inputs = 0
    is_input = True
    operator = "input"
    keeps = ""
    shape: tuple[int, ...]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError("an InputLayer's shape is the spec's input")

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()  # the field starts here: one position per position


@register
class Dense(FusedActivation, Layer):
    """Fully connected layer on the last axis, as Keras ``Dense`` / PyTorch ``Linear``.

    The last axis of the input as the spec lays it out, whatever the data_format (Keras and
    PyTorch agree): a channels_first (5, 16) input gives (5, units).
    Shape: input[:-1] + (units,). Params: in·units + units (bias).
    MACs: prod(input[:-1])·in·units (one per weight per position).
    Backward MACs: 2·MACs (input and weight gradient), MACs alone for a first layer.
    """

    kind = "Dense"
    aliases = ("Linear",)
    operator = "linear"
    torch_function = "linear"
    args = {
        "units": Arg(pos_int, torch="out_features", doc="output features"),
        "use_bias": Arg(boolean, True, torch="bias", doc="add a bias per unit"),
        "in_features": Arg(
            optional(pos_int),
            None,
            shape_relevant=False,
            doc="PyTorch's in_features: checked against the input if given",
        ),
        "activation": activation_arg(),
        **KERAS_EXTRAS,
    }
    units: int
    use_bias: bool
    in_features: int | None

    def feature_axis(self, shape: Shape) -> int:
        """The canonical index of the last displayed axis (channels_first: the last spatial)."""
        return len(shape) - 2 if self.channels_first and len(shape) >= 2 else len(shape) - 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        shape = inputs[0]
        i = self.feature_axis(shape)
        self.check_given("in_features", self.in_features, shape[i], "features", shape)
        return shape[:i] + (self.units,) + shape[i + 1 :]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        w = [kernel_weight("kernel", (inputs[0][self.feature_axis(inputs[0])], self.units))]
        if self.use_bias:
            w.append(vector("bias", self.units, "bias"))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return math.prod(inputs[0]) * self.units

    def parts(self, inputs: list[Shape], output: Shape) -> tuple[Part, ...]:
        bias = math.prod(output) if self.use_bias else 0
        return (weighted_part(self.macs(inputs, output), "linear", bias),)

    def torch_code(self, inputs: list[Shape]) -> Code:
        """nn.Linear on the last axis as the spec shows it (PyTorch computes in NCHW: for a
        channels_last spec of rank > 1 that is dim 1, moved last and back)."""
        shape = inputs[0]
        ctor = f"nn.Linear({shape[self.feature_axis(shape)]}, {self.units}, bias={self.use_bias})"
        call = "{m}({x})"
        if not self.channels_first and len(shape) > 1:
            call = "{m}({x}.movedim(1, -1)).movedim(-1, 1)"
        act = torch_activation(self.activation, call, len(shape), self.channels_first)
        return Code((("", ctor),), act)

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        # per position on the channel axis; channels_first: along the last spatial axis
        return along_axis_step(-1, len(inputs[0]), self.channels_first)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        import numpy as np

        from convcalc.ops import conv

        x = xs[0]
        if self.channels_first and x.ndim >= 3:  # the last displayed axis is before C
            y = conv.dense(np.moveaxis(x, -2, -1), params["kernel"], params.get("bias"))
            y = np.ascontiguousarray(np.moveaxis(y, -1, -2))
            act = self.act(y.ndim)
            return y if act is None else act(y)
        return conv.dense(x, params["kernel"], params.get("bias"), self.act(x.ndim))


@register
class Dropout(Layer):
    """Dropout (identity at inference). Shape: unchanged. Params 0, MACs 0."""

    kind = "Dropout"
    keeps = ""  # (a one-byte mask per element while training: counted as kept_extra_bytes)
    torch_class = "Dropout"
    torch_function = "dropout"
    args = {
        "rate": Arg(rate, 0.5, torch="p", doc="fraction dropped while training"),
        "inplace": Arg(any_value, None, doc="PyTorch inplace (ignored)", shape_relevant=False),
        "seed": Arg(any_value, None, doc="(no effect on counts)", shape_relevant=False),
        "noise_shape": Arg(any_value, None, doc="(no effect on counts)", shape_relevant=False),
    }
    rate: float

    def kept_extra_bytes(self, inputs: list[Shape], output: Shape) -> tuple[int, int]:
        return math.prod(output), 0  # the bool mask of the dropped elements

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return xs[0]  # identity at inference

    def torch_code(self, inputs: list[Shape]) -> Code:
        return Code((("", f"nn.Dropout({self.rate!r})"),), "{m}({x})")
