"""Normalisation layers: BatchNormalization and LayerNormalization."""

from __future__ import annotations

from typing import Any

from convcalc.errors import ArgError
from convcalc.fields import (
    Arg,
    any_value,
    axis_value,
    boolean,
    exactly,
    is_int,
    json_schema,
    optional,
    pos_int,
)
from convcalc.layers.base import (
    Layer,
    LayerError,
    RFStep,
    Shape,
    TorchModule,
    Unchanged,
    Weight,
    Whole,
    vector,
)
from convcalc.layers.common import KERAS_EXTRAS, epsilon_arg, inert
from convcalc.layers.export import Code, refuse
from convcalc.layers.registry import register
from convcalc.shapes import canonical_axis, to_display


@register
class BatchNormalization(Layer):
    """Batch normalisation over the channel axis (inference uses the moving statistics).

    Shape: unchanged. Params (Keras): gamma and beta (trainable, C each, unless scale/center is
    false) + moving_mean and moving_variance (non-trainable, C each) = 4·C.
    (PyTorch counts only the 2·C affine parameters; its running stats are buffers.) MACs: 0.
    """

    kind = "BatchNormalization"
    aliases = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
    operator = "norm"
    torch_buffers = 1  # num_batches_tracked (an int64 scalar), beside the running statistics
    args = {
        "axis": Arg(
            optional(axis_value),
            None,
            doc="Keras axis (batch = 0; negatives from the end; [3] as Keras configs write "
            "it); default: the channel axis",
        ),
        "center": Arg(boolean, True, doc="learn beta"),
        "scale": Arg(boolean, True, doc="learn gamma"),
        "affine": Arg(optional(boolean), None, doc="PyTorch affine: false = no gamma/beta"),
        "num_features": Arg(
            optional(pos_int),
            None,
            shape_relevant=False,
            doc="PyTorch's num_features: checked against the input if given",
        ),
        "momentum": Arg(
            any_value, 0.99, torch_default=0.1, shape_relevant=False, doc="(no effect on counts)"
        ),
        "epsilon": epsilon_arg("BatchNorm*d"),
        **{k: v for k, v in KERAS_EXTRAS.items() if k == "dtype"},
        **inert("beta", "gamma", "moving_mean", "moving_variance"),
        # Keras 2 config keys: renormalisation would add weights, so only its "off" is read
        "renorm": Arg(
            exactly(False, "renormalisation adds weights convcalc does not count"),
            False,
            doc="Keras 2: only false",
            shape_relevant=False,
        ),
        **{
            key: Arg(any_value, default, doc="Keras (no effect on counts)", shape_relevant=False)
            for key, default in (
                ("renorm_clipping", None),
                ("renorm_momentum", 0.99),
                ("fused", None),
                ("virtual_batch_size", None),
                ("adjustment", None),
                ("synchronized", False),
            )
        },
    }
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
        return (
            len(shape) - 1
            if self.axis is None
            else canonical_axis(self.axis, len(shape), self.channels_first)
        )

    def features(self, shape: Shape) -> int:
        return shape[self.feature_axis(shape)]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_given(
            "num_features", self.num_features, self.features(inputs[0]), "channels", inputs[0]
        )
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = self.features(inputs[0])
        w = []
        if self.scale:
            w.append(vector("gamma", c, "weight", init="ones"))
        if self.center:
            w.append(vector("beta", c, "bias"))
        return w + [
            vector("moving_mean", c, "running_mean", trainable=False, buffer=True),
            vector("moving_variance", c, "running_var", trainable=False, init="ones", buffer=True),
        ]

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        r = min(max(len(inputs[0]) - 1, 1), 3)
        return TorchModule(f"BatchNorm{r}d", "batch_norm")

    def kept_extra_bytes(self, inputs: list[Shape], output: Shape) -> tuple[int, int]:
        """Training keeps the batch mean and inverse std (float32, one per feature)."""
        return 0, 2 * 4 * self.features(inputs[0])

    def torch_code(self, inputs: list[Shape]) -> Code:
        shape = inputs[0]
        if self.feature_axis(shape) != len(shape) - 1 or self.center != self.scale:
            raise refuse(
                self.kind, "pytorch", "on a non-channel axis or with only one of gamma/beta"
            )
        r = min(max(len(shape) - 1, 1), 3)
        affine = "" if self.scale else ", affine=False"
        ctor = f"nn.BatchNorm{r}d({shape[-1]}, eps={self.epsilon!r}{affine})"
        return Code((("", ctor),), "{m}({x})")

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()  # inference: a per-channel affine map, position by position

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Inference mode: the moving statistics normalise."""
        from convcalc.ops import elementwise

        x = xs[0]
        return elementwise.batch_norm(
            x,
            1 + self.feature_axis(x.shape[1:]),
            params.get("gamma"),
            params.get("beta"),
            params["moving_mean"],
            params["moving_variance"],
            self.epsilon,
        )

    def epilogue(self, shape: tuple[int, ...], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        if 1 + self.feature_axis(shape[1:]) != len(shape) - 1:
            return None
        return elementwise.batch_norm_epilogue(
            shape,
            params.get("gamma"),
            params.get("beta"),
            params["moving_mean"],
            params["moving_variance"],
            self.epsilon,
        )


@json_schema(
    {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}, "minItems": 1}]}
)
def axes(v: object) -> tuple[int, ...]:
    """One Keras axis or a non-empty list of them (negatives count from the end)."""
    values = [v] if is_int(v) else v
    if not isinstance(values, (list, tuple)) or not values or not all(is_int(x) for x in values):
        raise ArgError(f"must be an integer or a non-empty list of integers; received {v!r}")
    return tuple(values)


@json_schema(
    {
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1},
        ]
    }
)
def sizes(v: object) -> tuple[int, ...]:
    """PyTorch's normalized_shape: a positive int or a non-empty list of them."""
    values = [v] if is_int(v) else v
    if (
        not isinstance(values, (list, tuple))
        or not values
        or not all(is_int(x) and x >= 1 for x in values)
    ):
        raise ArgError(
            f"must be a positive integer or a non-empty list of them (the trailing "
            f"axes of a sample, as PyTorch shows it); received {v!r}"
        )
    return tuple(values)


@register
class LayerNormalization(Layer):
    """Layer normalisation: each sample normalised over the given axes, then scaled and shifted
    per position of those axes, as Keras ``LayerNormalization`` / PyTorch ``LayerNorm``.

    Axes: Keras ``axis`` (batch = 0; default -1, the last axis of the spec's data_format), or
    PyTorch ``normalized_shape``: the trailing axes of a sample as the spec shows it, which must
    have exactly those sizes.
    Shape: unchanged. Params: gamma (``scale``; PyTorch ``weight``) and beta (``center``; PyTorch
    ``bias``), each the size of the normalised axes (trainable; none with
    ``elementwise_affine: false``). MACs: 0. Epsilon: Keras 1e-3, PyTorch 1e-5.
    """

    kind = "LayerNormalization"
    aliases = ("LayerNorm",)
    operator = "norm"
    torch_function = "layer_norm"
    args = {
        "axis": Arg(axes, -1, doc="Keras axis or axes (batch = 0); default -1"),
        "normalized_shape": Arg(
            optional(sizes),
            None,
            doc="PyTorch: the trailing sizes to normalise over (instead of axis)",
        ),
        "epsilon": epsilon_arg("LayerNorm"),
        "center": Arg(boolean, True, torch="bias", doc="learn beta (PyTorch: bias)"),
        "scale": Arg(boolean, True, doc="learn gamma"),
        "elementwise_affine": Arg(
            optional(boolean), None, doc="PyTorch: false = no weight and no bias"
        ),
        **{k: v for k, v in KERAS_EXTRAS.items() if k == "dtype"},
        **inert("beta", "gamma"),
    }
    axis: tuple[int, ...]
    normalized_shape: tuple[int, ...] | None
    epsilon: float
    center: bool
    scale: bool
    elementwise_affine: bool | None

    def post_init(self) -> None:
        if self.elementwise_affine is False:
            self.center = self.scale = False

    def validate(self) -> list[LayerError]:
        if self.normalized_shape is not None and "axis" in self.given:
            return [
                LayerError(
                    "give axis (Keras) or normalized_shape (PyTorch), not both",
                    arg="normalized_shape",
                )
            ]
        return []

    def display_axes(self, shape: Shape) -> list[int]:
        """The normalised axes, as indices into the sample shape the spec shows, ascending."""
        shown = to_display(shape, self.channels_first)
        r = len(shown)
        ns = self.normalized_shape
        if ns is not None:
            if len(ns) > r or tuple(shown[r - len(ns) :]) != ns:
                raise LayerError(
                    f"normalized_shape {list(ns)} must equal the last {len(ns)} "
                    f"ax{'es' if len(ns) > 1 else 'is'} of the input "
                    f"{self.show(shape)}",
                    arg="normalized_shape",
                    hint=f"e.g. normalized_shape: {list(shown[-len(ns) :])}"
                    if len(ns) <= r
                    else "",
                )
            return list(range(r - len(ns), r))
        canonical = [canonical_axis(a, r, self.channels_first) for a in self.axis]
        if len(set(canonical)) != len(canonical):
            raise LayerError(f"axis {list(self.axis)} names an axis twice", arg="axis")
        display = [self.to_display_index(c, r) for c in canonical]
        return sorted(display)

    def to_display_index(self, canonical: int, r: int) -> int:
        if self.channels_first and r >= 2:
            return 0 if canonical == r - 1 else canonical + 1
        return canonical

    def canonical_axes(self, shape: Shape) -> list[int]:
        r = len(shape)
        out = []
        for d in self.display_axes(shape):
            out.append((r - 1 if d == 0 else d - 1) if self.channels_first and r >= 2 else d)
        return out

    def param_shape(self, shape: Shape) -> Shape:
        shown = to_display(shape, self.channels_first)
        return tuple(shown[d] for d in self.display_axes(shape))

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.display_axes(inputs[0])
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        size = self.param_shape(inputs[0])
        w = []
        if self.scale:
            w.append(Weight("gamma", size, torch_name="weight", init="ones"))
        if self.center:
            w.append(Weight("beta", size, torch_name="bias"))
        return w

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        """Normalising over a spatial axis lets every output see that whole map."""
        shape = inputs[0]
        if any(a != len(shape) - 1 for a in self.canonical_axes(shape)):
            return Whole()
        return Unchanged()

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Biased variance, epsilon inside the square root (both frameworks)."""
        from convcalc.ops import elementwise

        x = xs[0]
        shape = tuple(x.shape[1:])
        axes = self.canonical_axes(shape)
        order = sorted(range(len(axes)), key=lambda i: axes[i])  # display -> canonical order
        broadcast = [1] * x.ndim
        for a in axes:
            broadcast[1 + a] = shape[a]

        def place(w: Any) -> Any:
            return None if w is None else w.transpose(order).reshape(broadcast)

        return elementwise.layer_norm(
            x,
            tuple(1 + a for a in sorted(axes)),
            place(params.get("gamma")),
            place(params.get("beta")),
            self.epsilon,
        )
