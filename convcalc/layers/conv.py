"""Convolutions: Conv1D/2D/3D and DepthwiseConv1D/2D (the separable ones:
:mod:`convcalc.layers.separable`).

Counting convention (one MAC = one weight multiply-accumulate; bias adds are not MACs: see
:mod:`convcalc.counting`); each family's ``formulas`` states its own.
"""

from __future__ import annotations

import math
from typing import Any

from convcalc.fields import Arg, boolean, exactly, ints, optional, padding, pos_int
from convcalc.layers.base import (
    CompareRole,
    LayerError,
    Part,
    Shape,
    TorchModule,
    Weight,
    channels,
    depthwise_weight,
    kernel_weight,
    spatial,
    vector,
    weighted_part,
)
from convcalc.layers.common import (
    DATA_FORMAT,
    KERAS_EXTRAS,
    PADDING_MODES,
    FusedActivation,
    activation_arg,
)
from convcalc.layers.export import Code, kwargs, refuse, symmetric_or_pad, torch_activation
from convcalc.layers.registry import register
from convcalc.layers.windowed import Windowed

ALL_REWRITES = frozenset({"separable", "grouped", "bottleneck"})


def conv_args(
    rank: int,
    *,
    filters: bool = True,
    groups: bool = True,
    depth: bool = False,
    modes: tuple[str, ...] = ("valid", "same"),
) -> dict[str, Arg]:
    """The arguments of a convolution kind of ``rank`` spatial axes."""
    args: dict[str, Arg] = {}
    if filters:
        args["filters"] = Arg(pos_int, torch="out_channels", doc="number of output channels")
    args["kernel_size"] = Arg(ints(rank), doc="kernel size, an int or one per spatial axis")
    args["strides"] = Arg(ints(rank), 1, torch="stride", doc="stride per spatial axis")
    args["padding"] = Arg(
        padding(rank, *modes),
        "valid",
        torch_default=0,
        doc=" | ".join(repr(m) for m in modes)
        + " | int | per-axis ints | per-axis [before, after] pairs",
    )
    args["dilation_rate"] = Arg(ints(rank), 1, torch="dilation", doc="dilation per axis")
    if groups:
        args["groups"] = Arg(
            pos_int, 1, doc="channel groups; must divide input and output channels"
        )
    else:  # Keras 2 writes groups: 1 in DepthwiseConv2D and SeparableConv2D configs
        args["groups"] = Arg(
            exactly(1, "the only value; Keras 2 writes it in its configs"),
            1,
            doc="Keras's groups: 1 (the only value)",
            shape_relevant=False,
        )
    if depth:
        args["depth_multiplier"] = Arg(pos_int, 1, doc="depthwise outputs per input channel")
    args["use_bias"] = Arg(boolean, True, torch="bias", doc="add a bias per output channel")
    args["in_channels"] = Arg(
        optional(pos_int),
        None,
        doc="PyTorch's in_channels: checked against the incoming channels if given",
        shape_relevant=False,
    )
    args["padding_mode"] = Arg(
        optional(str),
        None,
        doc="PyTorch padding_mode (" + ", ".join(PADDING_MODES) + "); no effect on shapes",
        shape_relevant=False,
    )
    args["activation"] = activation_arg()
    args["data_format"] = DATA_FORMAT
    args.update(KERAS_EXTRAS)
    return args


class ConvBase(FusedActivation, Windowed):
    """What every convolution shares: bias, PyTorch's in_channels and padding_mode."""

    use_bias: bool
    in_channels: int | None
    padding_mode: str | None
    kernel_size: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    operator = "conv"

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule(f"Conv{self.rank}d", f"conv{self.rank}d")

    def validate(self) -> list[LayerError]:
        errors = super().validate()
        if self.padding_mode not in (None, *PADDING_MODES):
            errors.append(
                LayerError(
                    "padding_mode must be one of "
                    + ", ".join(repr(m) for m in PADDING_MODES)
                    + f"; received {self.padding_mode!r}",
                    arg="padding_mode",
                )
            )
        return errors

    def mode(self) -> str:
        return self.padding_mode or "zeros"

    def input_channels(self, inputs: list[Shape]) -> int:
        self.check_rank(inputs)
        c = channels(inputs[0])
        self.check_given("in_channels", self.in_channels, c, "channels", inputs[0])
        return c

    def bias(self, size: int) -> list[Weight]:
        return [vector("bias", size, "bias")] if self.use_bias else []

    # --- export ----------------------------------------------------------------------------
    def torch_conv(self, inputs: list[Shape], c_in: int, c_out: int, groups: int) -> Code:
        """One nn.ConvNd (after an nn.ConstantPadNd when the padding is asymmetric)."""
        r = self.rank
        padding, pre = symmetric_or_pad(self.pads(spatial(inputs[0])), r)
        if pre and self.mode() != "zeros":
            raise refuse(self.kind, "pytorch", f"with asymmetric {self.mode()} padding")
        extra = {"padding_mode": self.mode()} if self.mode() != "zeros" else {}
        ctor = (
            f"nn.Conv{r}d({c_in}, {c_out}, "
            + kwargs(
                kernel_size=self.kernel_size,
                stride=self.strides,
                padding=padding,
                dilation=self.dilation(),
                groups=groups,
                bias=self.use_bias,
                **extra,
            )
            + ")"
        )
        mods = ((("__pad", pre),) if pre else ()) + (("", ctor),)
        call = "{m}({m}__pad({x}))" if pre else "{m}({x})"
        return Code(mods, torch_activation(self.activation, call, r + 1, self.channels_first))

    def keras_code(self, inputs: list[Shape]) -> Code:
        """Explicit (PyTorch) padding becomes a ZeroPadding layer before a 'valid' one."""
        if isinstance(self.padding, str):
            return super().keras_code(inputs)
        if self.mode() != "zeros":
            raise refuse(self.kind, "keras", f"with padding_mode {self.mode()}")
        args = {**self.keras_args(), "padding": "valid"}
        if self.channels_first:
            args["data_format"] = "channels_first"
        fmt = {"data_format": "channels_first"} if self.channels_first else {}
        pad = f"layers.ZeroPadding{self.rank}D({kwargs(padding=tuple(self.padding), **fmt)})"
        conv = f"layers.{self.kind}({kwargs(**args, name=self.name)})"
        return Code((("__pad", pad), ("", conv)), "{m}({m}__pad({x}))")


class ConvND(ConvBase):
    """Shared by Conv1D, Conv2D and Conv3D."""

    formulas = """
    Shape: out = floor((n + p_l + p_r - d·(k-1) - 1)/s) + 1 per axis; 'same' = ceil(n/s), pads
    split with the odd pixel at the end (Keras/TF); 'causal' (1D) pads d·(k-1) on the left.
    Params: prod(k)·(C_in/groups)·filters + filters (bias).
    MACs: prod(out_spatial)·filters·(C_in/groups)·prod(k).
    Backward MACs: 2·MACs (the input gradient, a transposed convolution of the output gradient,
    and the weight gradient, a correlation of input and output gradient, MACs each); MACs alone
    where no earlier layer needs the input gradient (the first convolution).
    """
    filters: int
    groups: int

    def validate(self) -> list[LayerError]:
        errors = super().validate()
        if self.filters % self.groups:
            errors.append(
                LayerError(
                    f"groups must divide filters (output channels); received groups={self.groups}, "
                    f"filters={self.filters}",
                    arg="groups",
                    hint=f"use filters that are a multiple of {self.groups}",
                )
            )
        return errors

    def check_groups(self, c: int) -> None:
        if c % self.groups:
            divisors = [g for g in range(1, c + 1) if c % g == 0 and self.filters % g == 0]
            raise LayerError(
                f"groups must divide the input channels; received groups={self.groups}, input "
                f"channels={c}",
                arg="groups",
                hint=f"groups that divide both {c} and filters={self.filters}: "
                + ", ".join(map(str, divisors)),
            )

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c = self.input_channels(inputs)
        self.check_groups(c)
        return self.windowed_out(spatial(inputs[0])) + (self.filters,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        return [
            kernel_weight("kernel", self.kernel_size + (c // self.groups, self.filters))
        ] + self.bias(self.filters)

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        c = channels(inputs[0])
        return (
            math.prod(spatial(output))
            * self.filters
            * (c // self.groups)
            * math.prod(self.kernel_size)
        )

    def parts(self, inputs: list[Shape], output: Shape) -> tuple[Part, ...]:
        return (
            weighted_part(
                self.macs(inputs, output),
                self.torch_module(inputs).function,
                math.prod(output) if self.use_bias else 0,
                self.groups,
            ),
        )

    def torch_code(self, inputs: list[Shape]) -> Code:
        return self.torch_conv(inputs, channels(inputs[0]), self.filters, self.groups)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return self.forward_then(xs, params, self.act(xs[0].ndim))

    def as_matmul(self, shape: Shape, params: dict[str, Any]) -> tuple[Any, Any, Any] | None:
        """:meth:`Layer.as_matmul`: for a 1x1, stride-1, unpadded convolution of one group."""
        sizes = shape[1:-1]
        act = self.act(len(shape))
        if (
            not self._then_is_forward()  # a kind with a forward of its own (transposed, ...)
            or self.groups != 1
            or any(k != 1 for k in self.kernel_size)
            or any(s != 1 for s in self.strides)
            or any(b or a for b, a in self.pads(sizes))
            or (act is not None and not getattr(act, "elementwise", False))
        ):
            return None
        kernel = params["kernel"]
        return kernel.reshape(kernel.shape[-2:]), params.get("bias"), act

    def forward_then(self, xs: list[Any], params: dict[str, Any], epilogue: Any) -> Any:
        from convcalc.ops import conv

        x = xs[0]
        sizes = x.shape[1:-1]
        return conv.conv(
            x,
            params["kernel"],
            params.get("bias"),
            self.windowed_out(sizes),
            self.strides,
            self.dilation(),
            self.pads(sizes),
            self.groups,
            self.mode(),
            epilogue,
        )


@register
class Conv1D(ConvND):
    """1-D convolution (cross-correlation) over sequences, as Keras ``Conv1D`` and PyTorch
    ``Conv1d``; 'causal' padding as Keras."""

    kind = "Conv1D"
    aliases = ("Conv1d",)
    rank = 1
    args = conv_args(1, modes=("valid", "same", "causal"))
    compare_role = CompareRole(ALL_REWRITES, separable="SeparableConv1D", pointwise="Conv1D")


@register
class Conv2D(ConvND):
    """2-D convolution (cross-correlation), as Keras ``Conv2D`` and PyTorch ``Conv2d``."""

    kind = "Conv2D"
    aliases = ("Conv2d",)
    rank = 2
    args = conv_args(2)
    compare_role = CompareRole(ALL_REWRITES, separable="SeparableConv2D", pointwise="Conv2D")


@register
class Conv3D(ConvND):
    """3-D convolution (cross-correlation) over volumes, as Keras ``Conv3D`` and PyTorch
    ``Conv3d``."""

    kind = "Conv3D"
    aliases = ("Conv3d",)
    rank = 3
    args = conv_args(3)
    compare_role = CompareRole(
        frozenset({"grouped", "bottleneck"}), skip="no_separable_3d", pointwise="Conv3D"
    )


class DepthwiseConvND(ConvBase):
    """Shared by DepthwiseConv1D and DepthwiseConv2D."""

    formulas = """
    Shape: as ConvND, with C_in·depth_multiplier output channels.
    Params: prod(k)·C_in·depth_multiplier + C_in·depth_multiplier (bias).
    MACs: prod(out_spatial)·C_in·depth_multiplier·prod(k).
    (PyTorch: ``Conv2d(C, C·dm, k, groups=C)``.)
    """
    depth_multiplier: int
    compare_role = CompareRole(skip="depthwise")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c = self.input_channels(inputs)
        return self.windowed_out(spatial(inputs[0])) + (c * self.depth_multiplier,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        return [depthwise_weight(self.kernel_size + (c, self.depth_multiplier))] + self.bias(
            c * self.depth_multiplier
        )

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return math.prod(output) * math.prod(self.kernel_size)

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule(f"Conv{self.rank}d", f"conv{self.rank}d")  # groups = C_in

    def parts(self, inputs: list[Shape], output: Shape) -> tuple[Part, ...]:
        bias = math.prod(output) if self.use_bias else 0
        return (
            weighted_part(
                self.macs(inputs, output), f"conv{self.rank}d", bias, channels(inputs[0])
            ),
        )

    def torch_code(self, inputs: list[Shape]) -> Code:
        c = channels(inputs[0])
        return self.torch_conv(inputs, c, c * self.depth_multiplier, c)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return self.forward_then(xs, params, self.act(xs[0].ndim))

    def forward_then(self, xs: list[Any], params: dict[str, Any], epilogue: Any) -> Any:
        from convcalc.ops import depthwise

        x = xs[0]
        sizes = x.shape[1:-1]
        return depthwise.depthwise(
            x,
            params["depthwise_kernel"],
            params.get("bias"),
            self.windowed_out(sizes),
            self.strides,
            self.dilation(),
            self.pads(sizes),
            self.mode(),
            epilogue,
        )


@register
class DepthwiseConv1D(DepthwiseConvND):
    """Depthwise 1-D convolution: one k-window per input channel, depth_multiplier outputs
    each."""

    kind = "DepthwiseConv1D"
    rank = 1
    args = conv_args(1, filters=False, groups=False, depth=True)


@register
class DepthwiseConv2D(DepthwiseConvND):
    """Depthwise 2-D convolution: one k-window per input channel, depth_multiplier outputs
    each (MobileNet)."""

    kind = "DepthwiseConv2D"
    rank = 2
    args = conv_args(2, filters=False, groups=False, depth=True)
