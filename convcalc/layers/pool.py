"""Pooling: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global poolings.

Shape with explicit padding follows PyTorch's ``pooling_output_shape_pad_lr`` exactly, including
``ceil_mode`` and its "the last window must start inside the input or the left padding" rule;
'valid' and 'same' follow Keras (same = ceil(n/s), odd padding pixel at the end). Pooling has no
weights and, by convention, 0 MACs.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from convcalc.fields import Arg, boolean, ints, optional, padding
from convcalc.layers.base import (
    LayerError,
    Shape,
    TorchModule,
    Whole,
    channels,
    spatial,
)
from convcalc.layers.common import DATA_FORMAT
from convcalc.layers.export import Code, kwargs, pad_module, refuse
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
        "data_format": DATA_FORMAT,
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
    operator = "pool"
    pool_function: ClassVar[str] = "max_pool"

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule(self.aliases[0], f"{self.pool_function}{self.rank}d")

    kernel_arg: ClassVar[str] = "pool_size"
    pool_size: tuple[int, ...]
    strides: tuple[int, ...]  # None until post_init: the pool size by default
    ceil_mode: bool

    def post_init(self) -> None:
        if getattr(self, "strides", None) is None:
            self.strides = self.pool_size

    def validate(self) -> list[LayerError]:
        errors = super().validate()
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

    def keras_code(self, inputs: list[Shape]) -> Code:
        if self.ceil_mode or not isinstance(self.padding, str):
            raise refuse(self.kind, "keras", "with PyTorch's explicit padding or ceil_mode")
        return super().keras_code(inputs)

    def torch_pool(self, inputs: list[Shape], kind: str, pad_value: float, **extra: Any) -> Code:
        """One nn.{Max,Avg}PoolNd; padding it cannot take (asymmetric, or more than half the
        window: PyTorch's rule) goes into an nn.ConstantPadNd of ``pad_value`` first."""
        r = self.rank
        pads = self.pads(spatial(inputs[0]))
        fits = all(b == a and b <= k // 2 for (b, a), k in zip(pads, self.pool_size))
        if fits:
            padding, pre = tuple(b for b, _ in pads), ""
        elif pad_value == 0.0:
            raise refuse(self.kind, "pytorch", "with asymmetric padding")
        else:
            padding, pre = (0,) * r, pad_module(pads, r, pad_value)
        ctor = f"nn.{kind}{r}d(" + kwargs(
            kernel_size=self.pool_size, stride=self.strides, padding=padding,
            ceil_mode=self.ceil_mode, **extra,
        ) + ")"  # fmt: skip
        mods = ((("__pad", pre),) if pre else ()) + (("", ctor),)
        return Code(mods, "{m}({m}__pad({x}))" if pre else "{m}({x})")

    def out_and_pads(self, x: Any) -> tuple[Shape, list[tuple[int, int]]]:
        sizes = x.shape[1:-1]
        return self.windowed_out(sizes, ceil_mode=self.ceil_mode, pool=True), self.pads(sizes)


class MaxPoolingND(PoolingND):
    """Shared by MaxPooling1D/2D/3D."""

    def kept_extra_bytes(self, inputs: list[Shape], output: Shape) -> tuple[int, int]:
        """The argmax of every window (PyTorch's int64 indices)."""
        return 8 * math.prod(output), 0

    def torch_code(self, inputs: list[Shape]) -> Code:
        """Padding never wins: asymmetric 'same' pads with -inf first."""
        return self.torch_pool(inputs, "MaxPool", float("-inf"), dilation=self.dilation())

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Padding never wins (it holds -inf)."""
        from convcalc.ops import pool

        out, pads = self.out_and_pads(xs[0])
        return pool.max_pool(xs[0], self.pool_size, self.strides, self.dilation(), pads, out)


class AveragePoolingND(PoolingND):
    """Shared by AveragePooling1D/2D/3D."""

    pool_function = "avg_pool"

    count_include_pad: bool

    def torch_code(self, inputs: list[Shape]) -> Code:
        """Keras's 'same' averages over the real positions only (count_include_pad=False)."""
        include = not isinstance(self.padding, str) and self.count_include_pad
        return self.torch_pool(inputs, "AvgPool", 0.0, count_include_pad=include)

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


GLOBAL_ARGS = {
    "keepdims": Arg(boolean, False, doc="keep the spatial axes as size 1"),
    "data_format": DATA_FORMAT,
}


class GlobalPoolingND(SpatialLayer):
    """Shared by the global poolings."""

    formulas = "Shape: (C,), or (1, ..., 1, C) with keepdims. Params: 0. MACs: 0."
    args = GLOBAL_ARGS
    keepdims: bool
    operator = "pool"
    adaptive: ClassVar[str] = "Avg"

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        """PyTorch has no global pooling module: AdaptiveAvgPool2d(1) (or Max) and a
        flatten."""
        a = self.adaptive
        return TorchModule(f"Adaptive{a}Pool{self.rank}d", f"adaptive_{a.lower()}_pool{self.rank}d")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        c = channels(inputs[0])
        return (1,) * self.rank + (c,) if self.keepdims else (c,)

    def rf_step(self, inputs: list[Shape]) -> Whole:
        return Whole()

    def axes(self) -> tuple[int, ...]:
        return tuple(range(1, self.rank + 1))

    reduce: ClassVar[str] = "torch.mean"

    def torch_code(self, inputs: list[Shape]) -> Code:
        dims = tuple(range(2, self.rank + 2))
        return Code((), f"{self.reduce}({{x}}, dim={dims!r}, keepdim={self.keepdims})")


class GlobalMaxPoolingND(GlobalPoolingND):
    reduce = "torch.amax"
    adaptive = "Max"

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return xs[0].max(axis=self.axes(), keepdims=self.keepdims)


class GlobalAveragePoolingND(GlobalPoolingND):
    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops.pool import global_mean

        return global_mean(xs[0], self.keepdims)


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
