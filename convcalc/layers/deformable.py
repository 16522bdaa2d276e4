"""Deformable convolution: DeformableConv2D, with torchvision's ``DeformConv2d`` semantics.

Counting convention: MACs are weight multiply-accumulates, as for every convolution; the
bilinear sampling that reads the input at fractional positions is not a weight MAC and is
reported apart (:meth:`DeformableConv2D.sampling_ops`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from convcalc.fields import Arg, boolean, pos_int
from convcalc.layers.base import (
    CompareRole,
    LayerError,
    RFStep,
    Shape,
    Unknown,
    Weight,
    channels,
    kernel_weight,
    spatial,
    vector,
)
from convcalc.layers.conv import ConvND, conv_args
from convcalc.layers.registry import register


def deformable_args() -> dict[str, Arg]:
    args = conv_args(2)
    args["offset_groups"] = Arg(
        pos_int,
        1,
        doc="offset groups G: input channels sharing one set of offsets (torchvision "
        "deform_conv2d's n_offset_grps); must divide the input channels",
    )
    args["use_mask"] = Arg(
        boolean, False, torch="mask", doc="v2: a modulation mask (sigmoid) multiplies each sample"
    )
    return args


@register
class DeformableConv2D(ConvND):
    """Deformable 2-D convolution (v1; v2 with use_mask), as torchvision's ``DeformConv2d``:
    every kernel tap samples the input at a learned fractional offset, by bilinear
    interpolation.

    With one input the layer owns its offset convolution (and, with use_mask, its mask
    convolution), as mmcv's DeformConv2dPack: same kernel, strides, padding and dilation as
    the main convolution, 2·kh·kw·G output channels (mask: kh·kw·G, then a sigmoid), zero
    initialised so that it starts as a plain convolution. With ``inputs: [x, offset]`` (or
    ``[x, offset, mask]``) the offsets come from another layer, as
    ``torchvision.ops.deform_conv2d(input, offset, weight, mask=mask)`` takes them: offset
    ``(Ho, Wo, 2·kh·kw·G)``, channel ``g·2K + 2t`` the row and ``+1`` the column offset of tap
    ``t = i·kw + j``; mask ``(Ho, Wo, kh·kw·G)``.

    Receptive field: data dependent (the offsets move every sampling point).
    """

    kind = "DeformableConv2D"
    aliases = ("DeformConv2d",)
    rank = 2
    max_inputs = 3
    args = deformable_args()
    compare_role = CompareRole(skip="deformable")
    formulas = """
    Shape: as Conv2D, floor((n + p_l + p_r - d·(k-1) - 1)/s) + 1 per axis.
    Params: kh·kw·(C_in/groups)·filters + filters (bias); with one input also the offset
    convolution kh·kw·C_in·2·kh·kw·G + 2·kh·kw·G and, with use_mask, the mask convolution
    kh·kw·C_in·kh·kw·G + kh·kw·G.
    MACs (weight multiply-accumulates): Ho·Wo·filters·(C_in/groups)·kh·kw, plus
    Ho·Wo·3·kh·kw·G·C_in·kh·kw for the offset and mask convolutions (2 instead of 3 without
    the mask). Not counted: the bilinear sampling, 4 multiply-adds per sampled value
    (Ho·Wo·kh·kw·C_in values; one more multiply each for the mask).
    """
    offset_groups: int
    use_mask: bool

    def validate(self) -> list[LayerError]:
        errors = super().validate()
        if self.padding_mode not in (None, "zeros"):
            errors.append(
                LayerError(
                    "a deformable convolution samples zeros outside the input (torchvision); "
                    f"received padding_mode={self.padding_mode!r}",
                    arg="padding_mode",
                )
            )
        return errors

    def taps(self) -> int:
        return math.prod(self.kernel_size)

    def owns_offsets(self, inputs: list[Shape]) -> bool:
        return len(inputs) == 1

    def output_shape(self, inputs: list[Shape]) -> Shape:
        out = super().output_shape(inputs[:1])
        c = channels(inputs[0])
        if c % self.offset_groups:
            raise LayerError(
                f"offset_groups must divide the input channels; received offset_groups="
                f"{self.offset_groups}, input channels={c}",
                arg="offset_groups",
            )
        kk, g = self.taps(), self.offset_groups
        wanted = [spatial(out) + (2 * kk * g,)]
        if self.use_mask:
            wanted.append(spatial(out) + (kk * g,))
        if len(inputs) > 1:
            if len(inputs) != len(wanted) + 1:
                raise LayerError(
                    f"takes [input, offset] or, with use_mask, [input, offset, mask]; "
                    f"received {len(inputs)} inputs with use_mask={self.use_mask}",
                    arg="use_mask",
                )
            for name, got, want in zip(("offset", "mask"), inputs[1:], wanted):
                if got != want:
                    raise LayerError(
                        f"the {name} input must have shape {self.show(want)} (output positions, "
                        f"{'2·' if name == 'offset' else ''}kh·kw·offset_groups channels); "
                        f"received {self.show(got)}"
                    )
        return out

    def _conv(self, name: str, c: int, f: int, torch: str) -> list[Weight]:
        k = kernel_weight(f"{name}_kernel", self.kernel_size + (c, f), f"{torch}.weight")
        return [replace(k, init="zeros"), vector(f"{name}_bias", f, f"{torch}.bias")]

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        w = super().weights(inputs[:1])
        if self.owns_offsets(inputs):
            c, kk, g = channels(inputs[0]), self.taps(), self.offset_groups
            w += self._conv("offset", c, 2 * kk * g, "conv_offset")
            if self.use_mask:
                w += self._conv("mask", c, kk * g, "conv_mask")
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        main = super().macs(inputs[:1], output)
        if not self.owns_offsets(inputs):
            return main
        c, kk, g = channels(inputs[0]), self.taps(), self.offset_groups
        per = (3 if self.use_mask else 2) * kk * g
        return main + math.prod(spatial(output)) * per * c * kk

    def sampling_ops(self, inputs: list[Shape], output: Shape) -> int:
        """Multiply-adds of the bilinear sampling (not weight MACs): 4 per sampled value, and
        one more with the mask; Ho·Wo·kh·kw·C_in values."""
        values = math.prod(spatial(output)) * self.taps() * channels(inputs[0])
        return values * (5 if self.use_mask else 4)

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        return Unknown(
            "is data dependent: the learned offsets move every sampling point, so no fixed "
            "window bounds what an output sees (deformable convolution)"
        )

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import conv, deform
        from convcalc.ops.activations import activation

        x = xs[0]
        sizes = x.shape[1:-1]
        out, pads = self.windowed_out(sizes), self.pads(sizes)
        s, d = self.strides, self.dilation()
        if len(xs) == 1:
            offset = conv.conv(x, params["offset_kernel"], params["offset_bias"], out, s, d, pads)
            mask = None
            if self.use_mask:
                sigmoid = activation("sigmoid", -1, False)
                assert sigmoid is not None
                mask = conv.conv(
                    x, params["mask_kernel"], params["mask_bias"], out, s, d, pads, act=sigmoid
                )
        else:
            offset, mask = xs[1], (xs[2] if len(xs) > 2 else None)
        return deform.deform_conv2d(
            x,
            params["kernel"],
            params.get("bias"),
            offset,
            mask,
            s,
            d,
            pads,
            self.groups,
            self.act(x.ndim),
        )
