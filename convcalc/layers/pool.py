"""Pooling: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, the global and the adaptive poolings.

Shape with explicit padding follows PyTorch's ``pooling_output_shape_pad_lr`` exactly, including
``ceil_mode`` and its "the last window must start inside the input or the left padding" rule;
'valid' and 'same' follow Keras (same = ceil(n/s), odd padding pixel at the end). Pooling has no
weights and, by convention, 0 MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from convcalc.errors import ArgError
from convcalc.fields import Arg, boolean, ints, is_int, json_schema, optional, padding
from convcalc.layers.base import (
    LayerError,
    RFStep,
    Shape,
    Unknown,
    Whole,
    Window,
    channels,
    spatial,
)
from convcalc.layers.registry import register
from convcalc.layers.windowed import SpatialLayer, Windowed

POOL_FORMULAS = """
Shape: 'valid' (= padding 0) floor((n-k)/s)+1; 'same' ceil(n/s); explicit padding p_l, p_r:
floor((n + p_l + p_r - d·(k-1) - 1 + (s-1 if ceil_mode)) / s) + 1, then minus one if
ceil_mode and (out-1)·s >= n + p_l (PyTorch Pool.h). PyTorch requires each pad <= k//2.
Params: 0. MACs: 0 (pooling is not a multiply-accumulate).
"""


def pool_args(rank: int, average: bool) -> dict[str, Arg]:
    args = {
        "pool_size": Arg(ints(rank), 2, torch="kernel_size", doc="window size per axis"),
        "strides": Arg(
            optional(ints(rank)), None, torch="stride", doc="stride per axis (default: pool_size)"
        ),
        "padding": Arg(
            padding(rank, "valid", "same"),
            "valid",
            torch_default=0,
            doc="'valid' | 'same' | int | per-axis ints | [before, after] pairs",
        ),
        "ceil_mode": Arg(boolean, False, doc="PyTorch ceil_mode (explicit padding only)"),
    }
    if average:
        args["count_include_pad"] = Arg(
            boolean,
            True,
            shape_relevant=False,
            doc="PyTorch: average over padded zeros too (run only)",
        )
    else:
        args["dilation_rate"] = Arg(
            ints(rank), 1, torch="dilation", doc="PyTorch MaxPool dilation per axis"
        )
    return args


class PoolingND(Windowed):
    """Shared by the max and average poolings."""

    formulas = POOL_FORMULAS
    kernel_arg: ClassVar[str] = "pool_size"
    pool_size: tuple[int, ...]
    strides: tuple[int, ...]  # None until post_init: the pool size by default
    ceil_mode: bool

    def post_init(self) -> None:
        if getattr(self, "strides", None) is None:
            self.strides = self.pool_size

    def validate(self) -> list[LayerError]:
        errors = []
        if self.ceil_mode and self.padding == "same":
            errors.append(
                LayerError(
                    "ceil_mode applies to 'valid' or explicit (PyTorch) padding; received "
                    "padding='same' with ceil_mode=true",
                    arg="ceil_mode",
                    hint="use padding: 0 (or another int) with ceil_mode, or drop ceil_mode",
                )
            )
        if not isinstance(self.padding, str):
            bad = [
                i
                for i, (before, after) in enumerate(self.padding)
                if max(before, after) > self.pool_size[i] // 2
            ]
            if bad:
                i = bad[0]
                errors.append(
                    LayerError(
                        f"padding must be at most half the pool size (PyTorch's rule); received "
                        f"padding {self.padding[i][0]}+{self.padding[i][1]} with pool_size="
                        f"{self.pool_size[i]} on axis {', '.join(self.axis(j) for j in bad)}",
                        arg="padding",
                        hint=f"use padding <= {self.pool_size[i] // 2}",
                    )
                )
        return errors

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        return self.windowed_out(spatial(inputs[0]), ceil_mode=self.ceil_mode, pool=True) + (
            channels(inputs[0]),
        )

    def out_and_pads(self, x: Any) -> tuple[Shape, list[tuple[int, int]]]:
        sizes = x.shape[1:-1]
        return self.windowed_out(sizes, ceil_mode=self.ceil_mode, pool=True), self.pads(sizes)


class MaxPoolingND(PoolingND):
    """Shared by MaxPooling1D/2D/3D."""

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Padding never wins (it holds -inf)."""
        from convcalc.ops import pool

        out, pads = self.out_and_pads(xs[0])
        return pool.max_pool(xs[0], self.pool_size, self.strides, self.dilation(), pads, out)


class AveragePoolingND(PoolingND):
    """Shared by AveragePooling1D/2D/3D."""

    count_include_pad: bool

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """PyTorch's divisor for explicit padding (count_include_pad clips windows to the padded
        input, otherwise only real positions count); Keras 'same' excludes the padding
        (tensorflow#45579)."""
        from convcalc.ops import pool

        out, pads = self.out_and_pads(xs[0])
        include = not isinstance(self.padding, str) and self.count_include_pad
        return pool.avg_pool(xs[0], self.pool_size, self.strides, pads, out, include)


@register
class MaxPooling1D(MaxPoolingND):
    """Max pooling over pool_size windows of a sequence."""

    kind = "MaxPooling1D"
    aliases = ("MaxPool1d",)
    rank = 1
    args = pool_args(1, average=False)


@register
class MaxPooling2D(MaxPoolingND):
    """Max pooling over pool_size windows."""

    kind = "MaxPooling2D"
    aliases = ("MaxPool2d",)
    rank = 2
    args = pool_args(2, average=False)


@register
class MaxPooling3D(MaxPoolingND):
    """Max pooling over pool_size windows of a volume."""

    kind = "MaxPooling3D"
    aliases = ("MaxPool3d",)
    rank = 3
    args = pool_args(3, average=False)


@register
class AveragePooling1D(AveragePoolingND):
    """Average pooling over pool_size windows of a sequence."""

    kind = "AveragePooling1D"
    aliases = ("AvgPool1d",)
    rank = 1
    args = pool_args(1, average=True)


@register
class AveragePooling2D(AveragePoolingND):
    """Average pooling over pool_size windows."""

    kind = "AveragePooling2D"
    aliases = ("AvgPool2d",)
    rank = 2
    args = pool_args(2, average=True)


@register
class AveragePooling3D(AveragePoolingND):
    """Average pooling over pool_size windows of a volume."""

    kind = "AveragePooling3D"
    aliases = ("AvgPool3d",)
    rank = 3
    args = pool_args(3, average=True)


GLOBAL_ARGS = {"keepdims": Arg(boolean, False, doc="keep the spatial axes as size 1")}


class GlobalPoolingND(SpatialLayer):
    """Shared by the global poolings."""

    formulas = "Shape: (C,), or (1, ..., 1, C) with keepdims. Params: 0. MACs: 0."
    args = GLOBAL_ARGS
    keepdims: bool

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        c = channels(inputs[0])
        return (1,) * self.rank + (c,) if self.keepdims else (c,)

    def rf_step(self, inputs: list[Shape]) -> Whole:
        return Whole()

    def axes(self) -> tuple[int, ...]:
        return tuple(range(1, self.rank + 1))


class GlobalMaxPoolingND(GlobalPoolingND):
    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return xs[0].max(axis=self.axes(), keepdims=self.keepdims)


class GlobalAveragePoolingND(GlobalPoolingND):
    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return xs[0].mean(axis=self.axes(), keepdims=self.keepdims, dtype=xs[0].dtype)


@register
class GlobalMaxPooling1D(GlobalMaxPoolingND):
    """Global max pooling over the sequence axis."""

    kind = "GlobalMaxPooling1D"
    rank = 1


@register
class GlobalMaxPooling2D(GlobalMaxPoolingND):
    """Global max pooling over both spatial axes."""

    kind = "GlobalMaxPooling2D"
    rank = 2


@register
class GlobalMaxPooling3D(GlobalMaxPoolingND):
    """Global max pooling over all three spatial axes."""

    kind = "GlobalMaxPooling3D"
    rank = 3


@register
class GlobalAveragePooling1D(GlobalAveragePoolingND):
    """Global average pooling over the sequence axis."""

    kind = "GlobalAveragePooling1D"
    rank = 1


@register
class GlobalAveragePooling2D(GlobalAveragePoolingND):
    """Global average pooling over both spatial axes (the head of ResNet, MobileNet)."""

    kind = "GlobalAveragePooling2D"
    rank = 2


@register
class GlobalAveragePooling3D(GlobalAveragePoolingND):
    """Global average pooling over all three spatial axes."""

    kind = "GlobalAveragePooling3D"
    rank = 3


def output_sizes(rank: int) -> Arg:
    """``output_size``: an int for every axis, or one per axis where (in 2-D) null keeps the
    axis's size (PyTorch's None; Keras refuses it; PyTorch's 1-D pooling refuses it too). Keras
    and convcalc refuse 0, for which PyTorch returns an empty tensor."""
    keep = rank > 1
    size = {"type": "integer", "minimum": 1}
    one = {"anyOf": [size, {"type": "null"}]} if keep else size

    @json_schema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "array", "items": one, "minItems": rank, "maxItems": rank},
            ]
        }
    )
    def check(v: object) -> tuple[int | None, ...]:
        values = [v] * rank if is_int(v) else v
        if (
            not isinstance(values, (list, tuple))
            or len(values) != rank
            or not all((x is None and keep) or (is_int(x) and x >= 1) for x in values)
        ):
            each = "a positive integer or null (keep that axis)" if keep else "a positive integer"
            entries = f"a list of {rank} entries, each {each}" if keep else f"a list of one {each}"
            raise ArgError(
                f"must be a positive integer or {entries}; received {v!r}",
                hint=f"e.g. {[7] * rank if keep else 7}",
            )
        return tuple(values)

    return Arg(
        check, doc="output size per axis" + ("; null keeps an axis (PyTorch)" if keep else "")
    )


class AdaptivePoolingND(SpatialLayer):
    """Shared by the adaptive poolings."""

    formulas = """
    Shape: output_size per axis (null: the input's size). Output i of an axis of length L pools
    input positions [floor(i·L/out), ceil((i+1)·L/out)) (PyTorch's windows; Keras 3 the same),
    so windows are uneven unless out divides L, and overlap when out > L.
    Params: 0. MACs: 0.
    """
    output_size: tuple[int | None, ...]
    op: ClassVar[str] = "average"

    def sizes(self, inputs: Shape) -> Shape:
        return tuple(n if o is None else o for n, o in zip(inputs, self.output_size))

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        return self.sizes(spatial(inputs[0])) + (channels(inputs[0]),)

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        """A plain window when every output size divides its axis; a global pool when every
        output size is 1; otherwise the windows differ from output to output."""
        n = spatial(inputs[0])
        out = self.sizes(n)
        if all(o == 1 for o in out):
            return Whole()
        if all(length % o == 0 for length, o in zip(n, out)):
            k = tuple(length // o for length, o in zip(n, out))
            return Window(k, k, (1,) * self.rank, (0,) * self.rank)
        return Unknown(
            f"pools uneven windows ({list(n)} -> {list(out)}): the field of an "
            f"output depends on its position"
        )

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import pool

        x = xs[0]
        return pool.adaptive_pool(x, self.sizes(x.shape[1:-1]), self.op)


class AdaptiveAveragePoolingND(AdaptivePoolingND):
    """Shared by the adaptive average poolings."""

    op = "average"


class AdaptiveMaxPoolingND(AdaptivePoolingND):
    """Shared by the adaptive max poolings."""

    op = "max"


@register
class AdaptiveAveragePooling1D(AdaptiveAveragePoolingND):
    """Average pooling to a fixed output length (PyTorch's uneven windows)."""

    kind = "AdaptiveAveragePooling1D"
    aliases = ("AdaptiveAvgPool1d",)
    rank = 1
    args = {"output_size": output_sizes(1)}


@register
class AdaptiveAveragePooling2D(AdaptiveAveragePoolingND):
    """Average pooling to a fixed output size (torchvision's VGG and ResNet heads)."""

    kind = "AdaptiveAveragePooling2D"
    aliases = ("AdaptiveAvgPool2d",)
    rank = 2
    args = {"output_size": output_sizes(2)}


@register
class AdaptiveMaxPooling1D(AdaptiveMaxPoolingND):
    """Max pooling to a fixed output length (PyTorch's uneven windows)."""

    kind = "AdaptiveMaxPooling1D"
    aliases = ("AdaptiveMaxPool1d",)
    rank = 1
    args = {"output_size": output_sizes(1)}


@register
class AdaptiveMaxPooling2D(AdaptiveMaxPoolingND):
    """Max pooling to a fixed output size (PyTorch's uneven windows)."""

    kind = "AdaptiveMaxPooling2D"
    aliases = ("AdaptiveMaxPool2d",)
    rank = 2
    args = {"output_size": output_sizes(2)}
