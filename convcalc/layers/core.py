"""InputLayer, Dense, BatchNormalization, Dropout."""

from __future__ import annotations

import math
from typing import Any

from convcalc.layers.base import (
    Arg, Layer, LayerError, Shape, Weight, any_value, boolean, canonical_axis, is_int, json_schema,
    optional, pos_int, rate, shape_list,
)
from convcalc.layers.conv import KERAS_EXTRAS, activation_arg, run_activation
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


@register
class Dense(Layer):
    """Fully connected layer on the last (feature) axis, as Keras ``Dense`` / PyTorch ``Linear``.

    Shape: input[:-1] + (units,). Params: in·units + units (bias).
    MACs: prod(input[:-1])·in·units (one per weight per position).
    """

    kind = "Dense"
    aliases = ("Linear",)
    args = {"units": Arg(pos_int, torch="out_features", doc="output features"),
            "use_bias": Arg(boolean, True, torch="bias", doc="add a bias per unit"),
            "in_features": Arg(optional(pos_int), None, shape_relevant=False,
                               doc="PyTorch's in_features: checked against the input if given"),
            "activation": activation_arg(), **KERAS_EXTRAS}
    units: int
    use_bias: bool
    in_features: int | None

    def output_shape(self, inputs: list[Shape]) -> Shape:
        n = inputs[0][-1]
        if self.in_features is not None and self.in_features != n:
            raise LayerError(f"in_features={self.in_features} but the input has {n} features "
                             f"(shape {self.show(inputs[0])})", arg="in_features",
                             hint=f"set in_features: {n}, or drop it: convcalc infers it")
        return inputs[0][:-1] + (self.units,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        w = [Weight("kernel", (inputs[0][-1], self.units))]
        if self.use_bias:
            w.append(Weight("bias", (self.units,)))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return math.prod(inputs[0]) * self.units

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        return K.dense(xs[0], params["kernel"], params.get("bias"),
                       run_activation(self, self.activation, xs[0].ndim, inplace=True))


@register
class BatchNormalization(Layer):
    """Batch normalisation over the channel axis (inference uses the moving statistics).

    Shape: unchanged. Params (Keras): gamma and beta (trainable, C each, unless scale/center is
    false) + moving_mean and moving_variance (non-trainable, C each) = 4·C.
    (PyTorch counts only the 2·C affine parameters; its running stats are buffers.) MACs: 0.
    """

    kind = "BatchNormalization"
    aliases = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
    args = {"axis": Arg(optional(json_schema({"type": "integer"})(
                            lambda v: v if is_int(v) else pos_int(v))), None,
                        doc="Keras axis (batch = 0); default: the channel axis"),
            "center": Arg(boolean, True, doc="learn beta"),
            "scale": Arg(boolean, True, doc="learn gamma"),
            "affine": Arg(optional(boolean), None, doc="PyTorch affine: false = no gamma/beta"),
            "num_features": Arg(optional(pos_int), None, shape_relevant=False,
                                doc="PyTorch's num_features: checked against the input if given"),
            "momentum": Arg(any_value, None, shape_relevant=False, doc="(no effect on counts)"),
            "epsilon": Arg(any_value, None, torch="eps", shape_relevant=False,
                           doc="(no effect on counts)"),
            **{k: v for k, v in KERAS_EXTRAS.items() if k == "dtype"}}
    axis: int | None
    center: bool
    scale: bool
    affine: bool | None
    num_features: int | None

    def post_init(self) -> None:
        if self.affine is False:
            self.center = self.scale = False

    # Keras's default; a layer spelled BatchNorm1d/2d/3d takes PyTorch's 1e-5 (set by the runtime)
    default_epsilon = 1e-3

    def feature_axis(self, shape: Shape) -> int:
        return len(shape) - 1 if self.axis is None else canonical_axis(
            self.axis, len(shape), self.channels_first)

    def features(self, shape: Shape) -> int:
        return shape[self.feature_axis(shape)]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c = self.features(inputs[0])
        if self.num_features is not None and self.num_features != c:
            raise LayerError(f"num_features={self.num_features} but the input has {c} channels "
                             f"(shape {self.show(inputs[0])})", arg="num_features",
                             hint=f"set num_features: {c}, or drop it: convcalc infers it")
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self.features(inputs[0])
        w = []
        if self.scale:
            w.append(Weight("gamma", (c,)))
        if self.center:
            w.append(Weight("beta", (c,)))
        return w + [Weight("moving_mean", (c,), trainable=False),
                    Weight("moving_variance", (c,), trainable=False)]

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Inference mode: the moving statistics normalise."""
        from convcalc.runtime import kernels as K
        x = xs[0]
        eps = self.default_epsilon if self.epsilon is None else float(self.epsilon)
        return K.batch_norm(x, 1 + self.feature_axis(x.shape[1:]), params.get("gamma"),
                            params.get("beta"), params["moving_mean"],
                            params["moving_variance"], eps)


@register
class Dropout(Layer):
    """Dropout (identity at inference). Shape: unchanged. Params 0, MACs 0."""

    kind = "Dropout"
    args = {"rate": Arg(rate, 0.5, torch="p", doc="fraction dropped while training"),
            "inplace": Arg(any_value, None, doc="PyTorch inplace (ignored)", shape_relevant=False),
            "seed": Arg(any_value, None, doc="(no effect on counts)", shape_relevant=False),
            "noise_shape": Arg(any_value, None, doc="(no effect on counts)",
                               shape_relevant=False)}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return xs[0]  # identity at inference
