"""Layers that move or resize data without weights: padding, cropping, up-sampling, flatten,
reshape. All have 0 params and 0 MACs."""

from __future__ import annotations

import math
from typing import Any

from convcalc.fields import Arg, choice, ints, pairs, shape_list
from convcalc.layers.base import (
    Layer,
    LayerError,
    RFStep,
    Shape,
    Shift,
    Unchanged,
    Unknown,
    Whole,
    channels,
    spatial,
)
from convcalc.layers.common import DATA_FORMAT
from convcalc.layers.export import Code, pad_module
from convcalc.layers.registry import register
from convcalc.layers.windowed import SpatialLayer
from convcalc.shapes import to_canonical, to_display


def padding_arg(rank: int) -> Arg:
    # PyTorch's ZeroPad2d/3d have no default; spelled that way the padding is 0 unless given
    return Arg(
        pairs(rank, "padding"),
        1,
        torch_default=0,
        doc="int | per-axis ints | per-axis [before, after] pairs",
    )


class ZeroPaddingND(SpatialLayer):
    """Shared by ZeroPadding1D/2D/3D."""

    formulas = "Shape: n + before + after per axis. Params 0, MACs 0."
    padding: tuple[tuple[int, int], ...]
    operator = "reshape"
    keeps = ""
    torch_class = "ConstantPad1d"  # ZeroPad2d/3d are the aliases
    torch_function = "pad"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        sizes = spatial(inputs[0])
        return tuple(n + b + a for n, (b, a) in zip(sizes, self.padding)) + (channels(inputs[0]),)

    def rf_step(self, inputs: list[Shape]) -> Shift:
        return Shift(tuple(before for before, _ in self.padding))

    def torch_code(self, inputs: list[Shape]) -> Code:
        return Code((("", pad_module(list(self.padding), self.rank)),), "{m}({x})")

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import windows

        return windows.pad(xs[0], self.padding)


@register
class ZeroPadding1D(ZeroPaddingND):
    """Zero padding at the start and end of a sequence."""

    kind = "ZeroPadding1D"
    rank = 1
    args = {"padding": padding_arg(1), "data_format": DATA_FORMAT}


@register
class ZeroPadding2D(ZeroPaddingND):
    """Zero padding of both spatial axes."""

    kind = "ZeroPadding2D"
    aliases = ("ZeroPad2d",)
    rank = 2
    args = {"padding": padding_arg(2), "data_format": DATA_FORMAT}


@register
class ZeroPadding3D(ZeroPaddingND):
    """Zero padding of all three spatial axes."""

    kind = "ZeroPadding3D"
    aliases = ("ZeroPad3d",)
    rank = 3
    args = {"padding": padding_arg(3), "data_format": DATA_FORMAT}


def cropping_arg(rank: int) -> Arg:
    return Arg(
        pairs(rank, "cropping"),
        1 if rank == 1 else 0,
        doc="int | per-axis ints | per-axis [before, after] pairs",
    )


class CroppingND(SpatialLayer):
    """Shared by Cropping1D/2D/3D."""

    formulas = "Shape: n - before - after per axis (must stay >= 1). Params 0, MACs 0."
    operator = "reshape"
    keeps = ""
    torch_function = "slice"  # PyTorch crops by indexing
    cropping: tuple[tuple[int, int], ...]

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        out = []
        for i, (n, (b, a)) in enumerate(zip(spatial(inputs[0]), self.cropping)):
            if n - b - a < 1:
                raise LayerError(
                    f"cropping {b}+{a} on axis {self.axis(i)} leaves {n - b - a} of {n} positions",
                    arg="cropping",
                    hint=f"crop at most {n - 1} in total",
                )
            out.append(n - b - a)
        return tuple(out) + (channels(inputs[0]),)

    def rf_step(self, inputs: list[Shape]) -> Shift:
        return Shift(tuple(-before for before, _ in self.cropping))

    def torch_code(self, inputs: list[Shape]) -> Code:
        sizes = spatial(inputs[0])
        cuts = ", ".join(f"{b}:{n - a}" for n, (b, a) in zip(sizes, self.cropping))
        return Code((), "{x}[:, :, " + cuts + "]")

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import windows

        return windows.crop(xs[0], self.cropping)


@register
class Cropping1D(CroppingND):
    """Cropping at the start and end of a sequence."""

    kind = "Cropping1D"
    rank = 1
    args = {"cropping": cropping_arg(1), "data_format": DATA_FORMAT}


@register
class Cropping2D(CroppingND):
    """Cropping of both spatial axes."""

    kind = "Cropping2D"
    rank = 2
    args = {"cropping": cropping_arg(2), "data_format": DATA_FORMAT}


@register
class Cropping3D(CroppingND):
    """Cropping of all three spatial axes."""

    kind = "Cropping3D"
    rank = 3
    args = {"cropping": cropping_arg(3), "data_format": DATA_FORMAT}


class UpSamplingND(SpatialLayer):
    """Shared by UpSampling1D/2D/3D."""

    formulas = "Shape: n·size per axis. Params 0, MACs 0."
    operator = "reshape"
    torch_class = "Upsample"
    torch_function = "interpolate"
    size: tuple[int, ...]
    interpolation: str = "nearest"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        return tuple(n * f for n, f in zip(spatial(inputs[0]), self.size)) + (channels(inputs[0]),)

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        if any(x != 1 for x in self.size):
            return Unknown(
                f"up-samples (size {list(self.size)}): the field of an output "
                f"depends on its position"
            )
        return Unchanged()

    def torch_code(self, inputs: list[Shape]) -> Code:
        mode = {"nearest": "nearest", "bilinear": "bilinear"}.get(self.interpolation)
        if mode is None:
            raise LayerError(f"convcalc export does not write interpolation {self.interpolation!r}")
        size = tuple(float(f) for f in self.size)
        ctor = f"nn.Upsample(scale_factor={size!r}, mode={mode!r})"
        return Code((("", ctor),), "{m}({x})")

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import elementwise

        if self.interpolation == "nearest":
            return elementwise.upsample_nearest(xs[0], self.size)
        if self.interpolation == "bilinear":
            return elementwise.upsample_bilinear(xs[0], self.size)
        raise LayerError(
            f"--run supports interpolation 'nearest' and 'bilinear'; received "
            f"{self.interpolation!r} (PyTorch and Keras define it differently)",
            arg="interpolation",
        )


def size_arg(rank: int) -> Arg:
    return Arg(ints(rank), 2, torch="scale_factor", doc="integer factor per axis")


@register
class UpSampling1D(UpSamplingND):
    """Nearest up-sampling of a sequence by an integer factor."""

    kind = "UpSampling1D"
    rank = 1
    args = {"size": size_arg(1), "data_format": DATA_FORMAT}


@register
class UpSampling2D(UpSamplingND):
    """Nearest (or bilinear) up-sampling of both spatial axes by integer factors."""

    kind = "UpSampling2D"
    rank = 2
    args = {
        "size": size_arg(2),
        "interpolation": Arg(
            choice("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"),
            "nearest",
            torch="mode",
            doc="interpolation (no effect on shapes)",
            shape_relevant=False,
        ),
        "data_format": DATA_FORMAT,
    }


@register
class UpSampling3D(UpSamplingND):
    """Nearest up-sampling of all three spatial axes by integer factors."""

    kind = "UpSampling3D"
    rank = 3
    args = {"size": size_arg(3), "data_format": DATA_FORMAT}


@register
class Flatten(Layer):
    """Flatten one sample to a vector. Shape: (prod(input),). Params 0, MACs 0."""

    kind = "Flatten"
    operator = "reshape"
    keeps = ""  # a view
    torch_class = "Flatten"
    torch_function = "flatten"
    args = {
        "data_format": Arg(
            choice("channels_last", "channels_first"),
            None,
            doc="accepted for Keras compatibility",
            shape_relevant=False,
        ),
        "start_dim": Arg(
            choice(1), 1, doc="PyTorch: only start_dim 1 (keep the batch)", shape_relevant=False
        ),
    }

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return (math.prod(inputs[0]),)

    def rf_step(self, inputs: list[Shape]) -> Whole:
        return Whole()

    def torch_code(self, inputs: list[Shape]) -> Code:
        """In the spec's layout order (a channels_last spec flattens H, W, C as Keras does)."""
        if len(inputs[0]) == 1:
            return Code((), "{x}")
        if self.channels_first:
            return Code((), "torch.flatten({x}, 1)")
        return Code((), "to_last({x}).flatten(1)")

    def keras_args(self) -> dict[str, Any]:
        return {}

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Flattens in the spec's data_format order: (C, H, W) for channels_first, as PyTorch
        does, so that a following Dense sees the features in the framework's order."""
        from convcalc.ops import elementwise

        x = elementwise.to_display(xs[0], self.channels_first)
        return x.reshape(x.shape[0], -1)


@register
class Reshape(Layer):
    """Reshape one sample to ``target_shape`` (in the spec's data_format; one entry may be -1).

    Shape: target_shape, with -1 inferred. The total size must be unchanged. Params 0, MACs 0.
    """

    kind = "Reshape"
    operator = "reshape"
    keeps = ""
    torch_function = "reshape"
    args = {"target_shape": Arg(shape_list, doc="new per-sample shape, one entry may be -1")}
    target_shape: tuple[int, ...]

    def validate(self) -> list[LayerError]:
        if list(self.target_shape).count(-1) > 1:
            return [
                LayerError(
                    f"at most one entry of target_shape may be -1; received "
                    f"{list(self.target_shape)}",
                    arg="target_shape",
                )
            ]
        return []

    def output_shape(self, inputs: list[Shape]) -> Shape:
        total = math.prod(inputs[0])
        known = math.prod(x for x in self.target_shape if x != -1)
        target = list(self.target_shape)
        if -1 in target:
            if total % known:
                raise LayerError(
                    f"cannot infer the -1 in target_shape {list(self.target_shape)}: "
                    f"{total} elements are not a multiple of {known}",
                    arg="target_shape",
                )
            target[target.index(-1)] = total // known
        elif known != total:
            raise LayerError(
                f"target_shape {list(self.target_shape)} has {known} elements but the input "
                f"{self.show(inputs[0])} has {total}",
                arg="target_shape",
                hint="the product of target_shape must equal the input's size (or use -1 once)",
            )
        return to_canonical(tuple(target), self.channels_first)

    def rf_step(self, inputs: list[Shape]) -> Whole:
        return Whole()

    def torch_code(self, inputs: list[Shape]) -> Code:
        """In the spec's layout (PyTorch computes in NCHW: a channels_last spec reshapes in
        its own order, then moves the channels back)."""
        target = to_display(self.output_shape(inputs), self.channels_first)
        if self.channels_first:
            return Code((), "{x}.reshape({x}.shape[0], *" + repr(target) + ")")
        return Code((), "to_first(to_last({x}).reshape({x}.shape[0], *" + repr(target) + "))")

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Reshapes in the spec's data_format (as the user wrote target_shape)."""
        from convcalc.ops import elementwise

        x = elementwise.to_display(xs[0], self.channels_first)
        target = self.output_shape([xs[0].shape[1:]])
        shown = to_display(target, self.channels_first)
        return elementwise.to_canonical(x.reshape((x.shape[0],) + shown), self.channels_first)
