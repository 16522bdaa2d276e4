"""Transposed convolutions ("deconvolutions"): Conv1DTranspose, Conv2DTranspose, Conv3DTranspose.

MACs are counted on the INPUT grid, as PyTorch's FlopCounterMode and fvcore do (the output grid
over-counts ~stride²).
"""

from __future__ import annotations

import math
from typing import Any

from convcalc import shapes
from convcalc.fields import Arg, ints, optional
from convcalc.layers.base import (
    CompareRole,
    LayerError,
    Part,
    RFStep,
    Shape,
    TorchModule,
    Unknown,
    Weight,
    Window,
    channels,
    kernel_weight,
    spatial,
    weighted_part,
)
from convcalc.layers.conv import ConvND, conv_args
from convcalc.layers.registry import register


def transposed_args(rank: int) -> dict[str, Arg]:
    args = conv_args(rank)
    args["output_padding"] = Arg(
        optional(ints(rank, minimum=0)), None, doc="extra size on the output's far side (per axis)"
    )
    return args


class ConvNDTranspose(ConvND):
    """Shared by Conv1DTranspose, Conv2DTranspose and Conv3DTranspose."""

    formulas = """
    Shape, explicit padding (PyTorch): (n-1)·s - p_l - p_r + d·(k-1) + output_padding + 1.
    Shape, 'valid' (Keras): (n-1)·s + k_eff + op, op defaulting to max(k_eff, s) - k_eff;
    'same' (Keras): n·s without output_padding, else (n-1)·s + k_eff - 2·(k_eff//2) + op.
    output_padding must be smaller than the stride or the dilation (PyTorch's rule).
    Params: prod(k)·C_in·(filters/groups) + filters (bias).
    MACs: prod(in_spatial)·C_in·(filters/groups)·prod(k), on the input grid.
    Backward MACs: 2·MACs (input and weight gradient), MACs alone for a first layer.
    """
    output_padding: tuple[int, ...] | None
    compare_role = CompareRole(skip="transposed")

    def validate(self) -> list[LayerError]:
        errors = super().validate()
        if self.output_padding is not None:
            d, s, op = self.dilation(), self.strides, self.output_padding
            bad = [i for i in range(self.rank) if op[i] >= s[i] and op[i] >= d[i]]
            if bad:
                i = bad[0]
                errors.append(
                    LayerError(
                        f"output_padding must be smaller than the stride or the dilation; received "
                        f"output_padding={op[i]} with strides={s[i]}, dilation_rate={d[i]} on axis "
                        f"{', '.join(self.axis(j) for j in bad)}",
                        arg="output_padding",
                        hint=f"use output_padding < {max(s[i], d[i])}",
                    )
                )
        return errors

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c = self.input_channels(inputs)
        self.check_groups(c)
        sizes = spatial(inputs[0])
        k, s, d = self.kernel_size, self.strides, self.dilation()
        op = self.output_padding
        out = []
        for i, n in enumerate(sizes):
            if isinstance(self.padding, str):
                o = shapes.keras_transposed_out(
                    n, k[i], s[i], d[i], self.padding, None if op is None else op[i]
                )
            else:
                o = shapes.transposed_out(
                    n, k[i], s[i], d[i], self.padding[i], 0 if op is None else op[i]
                )
            if o < 1:
                p = self.padding[i]
                raise LayerError(
                    f"output size on axis {self.axis(i)} would be {o}: padding {p[0]}+{p[1]} "
                    f"removes more than the full transposed output "
                    f"{shapes.transposed_out(n, k[i], s[i], d[i])}",
                    arg="padding",
                    hint="use less padding",
                )
            out.append(o)
        return tuple(out) + (self.filters,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        return [
            kernel_weight("kernel", self.kernel_size + (self.filters // self.groups, c))
        ] + self.bias(self.filters)

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        c = channels(inputs[0])
        return (
            math.prod(spatial(inputs[0]))
            * c
            * (self.filters // self.groups)
            * math.prod(self.kernel_size)
        )

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule(f"ConvTranspose{self.rank}d", f"conv_transpose{self.rank}d")

    def parts(self, inputs: list[Shape], output: Shape) -> tuple[Part, ...]:
        """Counted per output position instead, the kernel meets (C_in/groups)·prod(k) inputs
        at every output position and channel: about stride² more than the real products."""
        c = channels(inputs[0])
        grid = math.prod(spatial(output)) * self.filters * (c // self.groups)
        crops = self.crops(output)  # PyTorch's padding of the same output
        window = tuple(
            (self.kernel_size[i], self.strides[i], self.dilation()[i], crops[i])
            for i in range(self.rank)
        )
        return (
            weighted_part(
                self.macs(inputs, output),
                f"conv_transpose{self.rank}d",
                math.prod(output) if self.use_bias else 0,
                self.groups,
                grid * math.prod(self.kernel_size),
                window,
            ),
        )

    def crops(self, out: Shape) -> list[int]:
        """Positions cropped from the start of the full transposed output, per axis: PyTorch's
        ``padding[0]`` for explicit padding, Keras's :func:`shapes.keras_transposed_crop`."""
        k, s, d = self.kernel_size, self.strides, self.dilation()
        if isinstance(self.padding, str):
            return [
                shapes.keras_transposed_crop(out[i], k[i], s[i], d[i], self.padding)
                for i in range(self.rank)
            ]
        return [p[0] for p in self.padding]

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        """Stride 1: the convolution with left padding ``k_eff - 1 - crop``; with a larger
        stride the field of an output depends on its position."""
        if any(s != 1 for s in self.strides):
            return Unknown(
                f"up-samples (strides {list(self.strides)}): the field of an output "
                f"depends on its position"
            )
        sizes = spatial(inputs[0])
        k, d = self.kernel_size, self.dilation()
        crop = self.crops(sizes)  # at stride 1 'same' keeps the size: the crop of n itself
        left = tuple(shapes.effective_kernel(k[i], d[i]) - 1 - crop[i] for i in range(self.rank))
        return Window(k, (1,) * self.rank, d, left)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """The full transposed output, zero-extended and cropped from :meth:`crops`."""
        from convcalc.ops import conv

        if self.mode() != "zeros":
            raise LayerError(
                f"--run supports only padding_mode 'zeros' for a transposed "
                f"convolution (as PyTorch); received {self.padding_mode!r}",
                arg="padding_mode",
            )
        x = xs[0]
        out = self.output_shape([x.shape[1:]])[:-1]
        return conv.conv_transpose(
            x,
            params["kernel"],
            params.get("bias"),
            out,
            self.strides,
            self.dilation(),
            self.crops(out),
            self.groups,
            self.act(x.ndim),
        )


@register
class Conv1DTranspose(ConvNDTranspose):
    """Transposed 1-D convolution, as Keras ``Conv1DTranspose`` / PyTorch ``ConvTranspose1d``."""

    kind = "Conv1DTranspose"
    aliases = ("ConvTranspose1d",)
    rank = 1
    args = transposed_args(1)


@register
class Conv2DTranspose(ConvNDTranspose):
    """Transposed 2-D convolution ("deconvolution"), as Keras ``Conv2DTranspose`` / PyTorch
    ``ConvTranspose2d``."""

    kind = "Conv2DTranspose"
    aliases = ("ConvTranspose2d",)
    rank = 2
    args = transposed_args(2)


@register
class Conv3DTranspose(ConvNDTranspose):
    """Transposed 3-D convolution, as Keras ``Conv3DTranspose`` / PyTorch ``ConvTranspose3d``."""

    kind = "Conv3DTranspose"
    aliases = ("ConvTranspose3d",)
    rank = 3
    args = transposed_args(3)
