"""InputLayer, Dense, Dropout."""

from __future__ import annotations

import math
from typing import Any

from convcalc.fields import Arg, any_value, boolean, optional, pos_int, rate, shape_list
from convcalc.layers.base import Layer, Shape, Unchanged, Weight, kernel_weight, vector
from convcalc.layers.common import KERAS_EXTRAS, FusedActivation, activation_arg
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
    shape: tuple[int, ...]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError("an InputLayer's shape is the spec's input")

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()  # the field starts here: one position per position


@register
class Dense(FusedActivation, Layer):
    """Fully connected layer on the last (feature) axis, as Keras ``Dense`` / PyTorch ``Linear``.

    Shape: input[:-1] + (units,). Params: in·units + units (bias).
    MACs: prod(input[:-1])·in·units (one per weight per position).
    """

    kind = "Dense"
    aliases = ("Linear",)
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

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_given("in_features", self.in_features, inputs[0][-1], "features", inputs[0])
        return inputs[0][:-1] + (self.units,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        w = [kernel_weight("kernel", (inputs[0][-1], self.units))]
        if self.use_bias:
            w.append(vector("bias", self.units, "bias"))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return math.prod(inputs[0]) * self.units

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()  # per position, on the channel axis

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import conv

        return conv.dense(xs[0], params["kernel"], params.get("bias"), self.act(xs[0].ndim))


@register
class Dropout(Layer):
    """Dropout (identity at inference). Shape: unchanged. Params 0, MACs 0."""

    kind = "Dropout"
    args = {
        "rate": Arg(rate, 0.5, torch="p", doc="fraction dropped while training"),
        "inplace": Arg(any_value, None, doc="PyTorch inplace (ignored)", shape_relevant=False),
        "seed": Arg(any_value, None, doc="(no effect on counts)", shape_relevant=False),
        "noise_shape": Arg(any_value, None, doc="(no effect on counts)", shape_relevant=False),
    }

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return xs[0]  # identity at inference
