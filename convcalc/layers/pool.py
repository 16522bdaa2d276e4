"""Pooling: MaxPoolingND, AveragePoolingND (1D/2D/3D) and the global poolings.

Shape with explicit padding follows PyTorch's ``pooling_output_shape_pad_lr`` exactly, including
``ceil_mode`` and its "the last window must start inside the input or the left padding" rule;
'valid' and 'same' follow Keras (same = ceil(n/s), odd padding pixel at the end). Pooling has no
weights and, by convention, 0 MACs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from convcalc.layers.base import (
    Arg, Layer, LayerError, Shape, boolean, channels, ints, optional, padding, spatial,
)
from convcalc.layers.conv import _AXES, _Windowed
from convcalc.layers.registry import register


class PoolingND(_Windowed):
    """Max or average pooling over ``pool_size`` windows.

    Shape: 'valid' (= padding 0) floor((n-k)/s)+1; 'same' ceil(n/s); explicit padding p_l, p_r:
    floor((n + p_l + p_r - d·(k-1) - 1 + (s-1 if ceil_mode)) / s) + 1, then minus one if
    ceil_mode and (out-1)·s >= n + p_l (PyTorch Pool.h). PyTorch requires each pad <= k//2.
    Params: 0. MACs: 0 (pooling is not a multiply-accumulate).
    """

    kernel_arg: ClassVar[str] = "pool_size"
    pool_size: tuple[int, ...]
    ceil_mode: bool

    def post_init(self) -> None:
        if self.strides is None:
            self.strides = self.pool_size

    def validate(self) -> list[LayerError]:
        errors = []
        if self.ceil_mode and self.padding == "same":
            errors.append(LayerError(
                "ceil_mode applies to 'valid' or explicit (PyTorch) padding; received "
                "padding='same' with ceil_mode=true", arg="ceil_mode",
                hint="use padding: 0 (or another int) with ceil_mode, or drop ceil_mode"))
        if not isinstance(self.padding, str):
            bad = [i for i, (before, after) in enumerate(self.padding)
                   if max(before, after) > self.pool_size[i] // 2]
            if bad:
                i = bad[0]
                errors.append(LayerError(
                    f"padding must be at most half the pool size (PyTorch's rule); received "
                    f"padding {self.padding[i][0]}+{self.padding[i][1]} with pool_size="
                    f"{self.pool_size[i]} on axis {', '.join(self.axis(j) for j in bad)}",
                    arg="padding", hint=f"use padding <= {self.pool_size[i] // 2}"))
        return errors

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        return self.windowed_out(spatial(inputs[0]), ceil_mode=self.ceil_mode, pool=True) + (
            channels(inputs[0]),)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Max: padding never wins. Average: PyTorch's divisor for explicit padding
        (count_include_pad clips windows to the padded input, otherwise only real positions
        count); Keras 'same' excludes the padding (tensorflow#45579)."""
        from convcalc.runtime import kernels as K
        x = xs[0]
        sizes = x.shape[1:-1]
        out = self.windowed_out(sizes, ceil_mode=self.ceil_mode, pool=True)
        pads = self.pads(sizes)
        if self.op == "max":
            return K.max_pool(x, self.pool_size, self.strides, self.dilation(), pads, out)
        include = not isinstance(self.padding, str) and self.count_include_pad
        return K.avg_pool(x, self.pool_size, self.strides, pads, out, include)


def _pool_args(rank: int, average: bool) -> dict[str, Arg]:
    args = {
        "pool_size": Arg(ints(rank), 2, torch="kernel_size", doc="window size per axis"),
        "strides": Arg(optional(ints(rank)), None, torch="stride",
                       doc="stride per axis (default: pool_size)"),
        "padding": Arg(padding(rank, "valid", "same"), "valid",
                       doc="'valid' | 'same' | int | per-axis ints | [before, after] pairs"),
        "ceil_mode": Arg(boolean, False, doc="PyTorch ceil_mode (explicit padding only)"),
    }
    if average:
        args["count_include_pad"] = Arg(boolean, True, shape_relevant=False,
                                        doc="PyTorch: average over padded zeros too (run only)")
    else:
        args["dilation_rate"] = Arg(ints(rank), 1, torch="dilation",
                                    doc="PyTorch MaxPool dilation per axis")
    return args


for _r in (1, 2, 3):
    for _op, _torch in (("Max", "MaxPool"), ("Average", "AvgPool")):
        register(type(f"{_op}Pooling{_r}D", (PoolingND,), {
            "kind": f"{_op}Pooling{_r}D", "rank": _r, "aliases": (f"{_torch}{_r}d",),
            "args": _pool_args(_r, _op == "Average"), "input_rank": _r + 1,
            "op": _op.lower(), "__doc__": PoolingND.__doc__}))


class GlobalPoolingND(Layer):
    """Global max/average pooling over all spatial axes.

    Shape: (C,), or (1, ..., 1, C) with keepdims. Params: 0. MACs: 0.
    """

    keepdims: bool
    rank: ClassVar[int] = 2

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        c = channels(inputs[0])
        return (1,) * self.rank + (c,) if self.keepdims else (c,)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        axes = tuple(range(1, self.rank + 1))
        x = xs[0]
        y = x.max(axis=axes, keepdims=self.keepdims) if self.op == "max" else x.mean(
            axis=axes, keepdims=self.keepdims, dtype=x.dtype)
        return y


for _r in (1, 2, 3):
    for _op in ("Max", "Average"):
        register(type(f"Global{_op}Pooling{_r}D", (GlobalPoolingND,), {
            "kind": f"Global{_op}Pooling{_r}D", "rank": _r, "aliases": (),
            "args": {"keepdims": Arg(boolean, False, doc="keep the spatial axes as size 1")},
            "input_rank": _r + 1, "op": _op.lower(), "__doc__": GlobalPoolingND.__doc__}))

__all__ = ["PoolingND", "GlobalPoolingND", "_AXES"]
