"""Keras's preprocessing layers that applications build into the model: Rescaling and
Normalization (EfficientNet's first two layers). 0 MACs: they multiply by constants, not by
weights."""

from __future__ import annotations

from typing import Any

from convcalc.errors import ArgError
from convcalc.fields import Arg, boolean, is_int, json_schema, number, optional
from convcalc.layers.base import Layer, LayerError, Shape, Unchanged, Weight
from convcalc.layers.common import KERAS_EXTRAS
from convcalc.layers.registry import register
from convcalc.shapes import canonical_axis


@json_schema(
    {"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}, "minItems": 1}]}
)
def numbers(v: Any) -> float | tuple[float, ...]:
    """A number, or one number per position of the normalised axis."""
    if isinstance(v, list) and v:
        return tuple(number(x) for x in v)
    return number(v)


@json_schema({"anyOf": [{"type": "integer"}, {"type": "null"}]})
def one_axis(v: Any) -> int | None:
    if v is None or is_int(v):
        return v  # type: ignore[no-any-return]
    raise ArgError(
        f"must be one Keras axis (an integer; the batch is 0) or null; received {v!r}",
        hint="convcalc takes one axis (Keras also accepts a tuple of axes)",
    )


@register
class Rescaling(Layer):
    """x·scale + offset, element-wise (Keras's Rescaling, e.g. 1/255 on images).

    Shape: unchanged. Params: 0. MACs: 0 (a constant scale, not a weight).
    """

    kind = "Rescaling"
    args = {
        "scale": Arg(numbers, doc="the factor, a number (or one per channel)"),
        "offset": Arg(numbers, 0.0, doc="added after scaling"),
        **{k: v for k, v in KERAS_EXTRAS.items() if k == "dtype"},
    }
    scale: float | tuple[float, ...]
    offset: float | tuple[float, ...]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        import numpy as np

        scale = np.asarray(self.scale, dtype=np.float32)
        offset = np.asarray(self.offset, dtype=np.float32)
        y = np.multiply(xs[0], scale, dtype=np.float32)
        return np.add(y, offset, out=y)


@register
class Normalization(Layer):
    """(x - mean) / sqrt(variance) along ``axis`` (Keras's Normalization; ``invert``: back).

    Shape: unchanged. Params (Keras): without ``mean`` and ``variance`` given, the statistics
    are non-trainable weights, mean and variance (one per position of ``axis``, C for the
    channel axis) and the count of samples adapted on (1): 2·C + 1; with them given, 0.
    MACs: 0 (constants, as BatchNormalization's statistics).
    """

    kind = "Normalization"
    args = {
        "axis": Arg(optional(one_axis), -1, doc="the Keras axis kept (-1: channels; null: none)"),
        "mean": Arg(optional(numbers), None, doc="fixed mean (default: a weight, 0)"),
        "variance": Arg(optional(numbers), None, doc="fixed variance (default: a weight, 1)"),
        "invert": Arg(boolean, False, doc="undo the normalisation: mean + x·sqrt(variance)"),
        **{k: v for k, v in KERAS_EXTRAS.items() if k == "dtype"},
    }
    axis: int | None
    mean: float | tuple[float, ...] | None
    variance: float | tuple[float, ...] | None
    invert: bool

    def validate(self) -> list[LayerError]:
        if (self.mean is None) != (self.variance is None):
            given = "mean" if self.mean is not None else "variance"
            return [LayerError("give both mean and variance, or neither", arg=given)]
        return []

    def kept(self, shape: Shape) -> tuple[int, ...]:
        """The statistics' shape: the size of ``axis``, or (1,) with no axis (Keras: a scalar)."""
        if self.axis is None:
            return (1,)
        return (shape[canonical_axis(self.axis, len(shape), self.channels_first)],)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        (size,) = self.kept(inputs[0])  # (checks the axis)
        for name in ("mean", "variance"):
            given = getattr(self, name)
            n = len(given) if isinstance(given, tuple) else 1
            if n not in (1, size):
                raise LayerError(
                    f"{name} has {n} values, but the axis it applies along has {size} positions",
                    arg=name,
                    hint=f"give {size} values (one per position) or a single one for all",
                )
        return inputs[0]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        if self.mean is not None:
            return []
        kept = self.kept(inputs[0])
        return [
            Weight("mean", kept, False, torch_name="mean"),
            Weight("variance", kept, False, torch_name="variance", init="ones"),
            # Keras's count (and, without an axis, mean and variance) is a scalar; a
            # one-element vector here: the same one parameter
            Weight("count", (1,), False, torch_name="count"),
        ]

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        import numpy as np

        from convcalc.ops.base import row_tile

        x = xs[0]
        shape = [1] * x.ndim
        if self.axis is not None:
            i = 1 + canonical_axis(self.axis, x.ndim - 1, self.channels_first)
            shape[i] = x.shape[i]
        # in float32 as Keras computes it ((x - mean) / max(sqrt(var), 1e-7), its weights
        # float32), two passes into one new array
        f32 = np.float32
        mean = np.asarray(params["mean"] if self.mean is None else self.mean, dtype=f32)
        var = np.asarray(params["variance"] if self.variance is None else self.variance, dtype=f32)
        mean, std = mean.reshape(shape), np.maximum(np.sqrt(var), f32(1e-7)).reshape(shape)
        x = np.asarray(x, dtype=f32)
        if shape[-1] == x.shape[-1] > 1 and sum(shape) == x.ndim - 1 + shape[-1]:
            # channels last: tiled along the width, one long inner loop instead of W·H loops
            # of C (EfficientNet's 224x224x3 input: 0.56 -> 0.1 ms)
            mean, std = row_tile(mean, x), row_tile(std, x)
        y = np.empty(np.broadcast_shapes(x.shape, mean.shape, std.shape), dtype=f32)
        if self.invert:
            np.multiply(x, std, out=y)
            np.add(mean, y, out=y)
        else:
            np.subtract(x, mean, out=y)
            np.divide(y, std, out=y)
        return y
