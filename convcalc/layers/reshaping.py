"""Layers that move or resize data without weights: padding, cropping, up-sampling, flatten,
reshape. All have 0 params and 0 MACs."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from convcalc.layers.base import (
    Arg, Layer, LayerError, Shape, choice, channels, ints, pairs, shape_list, spatial,
    to_canonical, to_display,
)
from convcalc.layers.conv import _AXES
from convcalc.layers.registry import register


class ZeroPaddingND(Layer):
    """Zero padding of the spatial axes. Shape: n + before + after per axis. Params 0, MACs 0."""

    rank: ClassVar[int] = 2
    padding: tuple[tuple[int, int], ...]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        sizes = spatial(inputs[0])
        return tuple(n + b + a for n, (b, a) in zip(sizes, self.padding)) + (channels(inputs[0]),)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        return K.pad(xs[0], self.padding)


class CroppingND(Layer):
    """Cropping of the spatial axes. Shape: n - before - after per axis (must stay >= 1).
    Params 0, MACs 0."""

    rank: ClassVar[int] = 2
    cropping: tuple[tuple[int, int], ...]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        out = []
        for i, (n, (b, a)) in enumerate(zip(spatial(inputs[0]), self.cropping)):
            if n - b - a < 1:
                raise LayerError(
                    f"cropping {b}+{a} on axis {_AXES[self.rank][i]} leaves {n - b - a} of "
                    f"{n} positions", arg="cropping", hint=f"crop at most {n - 1} in total")
            out.append(n - b - a)
        return tuple(out) + (channels(inputs[0]),)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        return K.crop(xs[0], self.cropping)


class UpSamplingND(Layer):
    """Nearest (or bilinear, 2D) up-sampling by an integer factor. Shape: n·size per axis.
    Params 0, MACs 0."""

    rank: ClassVar[int] = 2
    size: tuple[int, ...]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        return tuple(n * f for n, f in zip(spatial(inputs[0]), self.size)) + (channels(inputs[0]),)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        mode = getattr(self, "interpolation", "nearest")
        if mode == "nearest":
            return K.upsample_nearest(xs[0], self.size)
        if mode == "bilinear":
            return K.upsample_bilinear(xs[0], self.size)
        raise LayerError(f"--run supports interpolation 'nearest' and 'bilinear'; received "
                         f"{mode!r} (PyTorch and Keras define it differently)",
                         arg="interpolation")


for _r in (1, 2, 3):
    register(type(f"ZeroPadding{_r}D", (ZeroPaddingND,), {
        "kind": f"ZeroPadding{_r}D", "rank": _r, "input_rank": _r + 1,
        "aliases": (f"ZeroPad{_r}d",) if _r > 1 else (), "__doc__": ZeroPaddingND.__doc__,
        "args": {"padding": Arg(pairs(_r, "padding"), 1,
                                doc="int | per-axis ints | per-axis [before, after] pairs")}}))
    register(type(f"Cropping{_r}D", (CroppingND,), {
        "kind": f"Cropping{_r}D", "rank": _r, "input_rank": _r + 1, "aliases": (),
        "__doc__": CroppingND.__doc__,
        "args": {"cropping": Arg(pairs(_r, "cropping"), 1 if _r == 1 else 0,
                                 doc="int | per-axis ints | per-axis [before, after] pairs")}}))
    _uargs = {"size": Arg(ints(_r), 2, torch="scale_factor", doc="integer factor per axis")}
    if _r == 2:
        _uargs["interpolation"] = Arg(choice("nearest", "bilinear", "bicubic", "lanczos3",
                                             "lanczos5", "area"), "nearest", torch="mode",
                                      doc="interpolation (no effect on shapes)",
                                      shape_relevant=False)
    register(type(f"UpSampling{_r}D", (UpSamplingND,), {
        "kind": f"UpSampling{_r}D", "rank": _r, "input_rank": _r + 1, "aliases": (),
        "__doc__": UpSamplingND.__doc__, "args": _uargs}))


@register
class Flatten(Layer):
    """Flatten one sample to a vector. Shape: (prod(input),). Params 0, MACs 0."""

    kind = "Flatten"
    args = {"data_format": Arg(choice("channels_last", "channels_first"), None,
                               doc="accepted for Keras compatibility", shape_relevant=False),
            "start_dim": Arg(choice(1), 1, doc="PyTorch: only start_dim 1 (keep the batch)",
                             shape_relevant=False)}

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (math.prod(inputs[0]),)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Flattens in the spec's data_format order: (C, H, W) for channels_first, as PyTorch
        does, so that a following Dense sees the features in the framework's order."""
        from convcalc.runtime import kernels as K
        x = K.to_display(xs[0], self.channels_first)
        return x.reshape(x.shape[0], -1)


@register
class Reshape(Layer):
    """Reshape one sample to ``target_shape`` (in the spec's data_format; one entry may be -1).

    Shape: target_shape, with -1 inferred. The total size must be unchanged. Params 0, MACs 0.
    """

    kind = "Reshape"
    args = {"target_shape": Arg(shape_list, doc="new per-sample shape, one entry may be -1")}
    target_shape: tuple[int, ...]

    def validate(self) -> list[LayerError]:
        if list(self.target_shape).count(-1) > 1:
            return [LayerError(f"at most one entry of target_shape may be -1; received "
                               f"{list(self.target_shape)}", arg="target_shape")]
        return []

    def output_shape(self, inputs: list[Shape]) -> Shape:
        total = math.prod(inputs[0])
        known = math.prod(x for x in self.target_shape if x != -1)
        target = list(self.target_shape)
        if -1 in target:
            if total % known:
                raise LayerError(f"cannot infer the -1 in target_shape {list(self.target_shape)}: "
                                 f"{total} elements are not a multiple of {known}",
                                 arg="target_shape")
            target[target.index(-1)] = total // known
        elif known != total:
            raise LayerError(
                f"target_shape {list(self.target_shape)} has {known} elements but the input "
                f"{self.show(inputs[0])} has {total}", arg="target_shape",
                hint="the product of target_shape must equal the input's size (or use -1 once)")
        return to_canonical(tuple(target), self.channels_first)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Reshapes in the spec's data_format (as the user wrote target_shape)."""
        from convcalc.runtime import kernels as K
        x = K.to_display(xs[0], self.channels_first)
        target = self.output_shape([xs[0].shape[1:]])
        shown = to_display(target, self.channels_first)
        return K.to_canonical(x.reshape((x.shape[0],) + shown), self.channels_first)
