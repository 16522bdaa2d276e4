"""Normalisation layers: BatchNormalization (and LayerNormalization)."""

from __future__ import annotations

from typing import Any

from convcalc.fields import Arg, any_value, boolean, is_int, json_schema, number, optional, pos_int
from convcalc.layers.base import Layer, Shape, Unchanged, Weight, vector
from convcalc.layers.common import KERAS_EXTRAS
from convcalc.layers.registry import register
from convcalc.shapes import canonical_axis


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
            "epsilon": Arg(number, 1e-3, torch="eps", torch_default=1e-5, shape_relevant=False,
                           doc="added to the variance: Keras 1e-3, PyTorch's BatchNorm*d 1e-5 "
                               "(no effect on counts)"),
            **{k: v for k, v in KERAS_EXTRAS.items() if k == "dtype"}}
    axis: int | None
    center: bool
    scale: bool
    affine: bool | None
    num_features: int | None
    epsilon: float

    def post_init(self) -> None:
        if self.affine is False:
            self.center = self.scale = False

    def feature_axis(self, shape: Shape) -> int:
        return len(shape) - 1 if self.axis is None else canonical_axis(
            self.axis, len(shape), self.channels_first)

    def features(self, shape: Shape) -> int:
        return shape[self.feature_axis(shape)]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_given("num_features", self.num_features, self.features(inputs[0]), "channels",
                         inputs[0])
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self.features(inputs[0])
        w = []
        if self.scale:
            w.append(vector("gamma", c, "weight", init="ones"))
        if self.center:
            w.append(vector("beta", c, "bias"))
        return w + [vector("moving_mean", c, "running_mean", trainable=False),
                    vector("moving_variance", c, "running_var", trainable=False, init="ones")]

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()  # inference: a per-channel affine map, position by position

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Inference mode: the moving statistics normalise."""
        from convcalc.ops import elementwise

        x = xs[0]
        return elementwise.batch_norm(x, 1 + self.feature_axis(x.shape[1:]), params.get("gamma"),
                                      params.get("beta"), params["moving_mean"],
                                      params["moving_variance"], self.epsilon)
