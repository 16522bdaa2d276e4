"""Depthwise-separable convolutions: SeparableConv1D and SeparableConv2D (Keras's: a depthwise
k-window per input channel, then a pointwise convolution; the bias on the pointwise only)."""

from __future__ import annotations

import math
from typing import Any

from convcalc.layers.base import (
    CompareRole,
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
from convcalc.layers.conv import ConvBase, conv_args
from convcalc.layers.export import Code, torch_activation
from convcalc.layers.registry import register


class SeparableConvND(ConvBase):
    """Shared by SeparableConv1D and SeparableConv2D."""

    formulas = """
    Shape: as ConvND with filters output channels.
    Params: prod(k)·C_in·dm + C_in·dm·filters + filters (bias on the pointwise only, as Keras).
    MACs: prod(out_spatial)·C_in·dm·(prod(k) + filters)  (MobileNet, arXiv 1704.04861).
    Backward MACs: 2·MACs (input and weight gradient of both convolutions).
    (PyTorch: a depthwise ``ConvNd(C, C·dm, k, groups=C, bias=False)``, then a 1x1 one.)
    """
    filters: int
    depth_multiplier: int
    compare_role = CompareRole(skip="separable")

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.input_channels(inputs)
        return self.windowed_out(spatial(inputs[0])) + (self.filters,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        dm = self.depth_multiplier
        w = [
            depthwise_weight(self.kernel_size + (c, dm), torch_name="depthwise.weight"),
            kernel_weight(
                "pointwise_kernel",
                (1,) * self.rank + (c * dm, self.filters),
                torch_name="pointwise.weight",
            ),
        ]
        if self.use_bias:
            w.append(vector("bias", self.filters, "pointwise.bias"))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        c = channels(inputs[0])
        positions = math.prod(spatial(output))
        return positions * c * self.depth_multiplier * (math.prod(self.kernel_size) + self.filters)

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule(f"Conv{self.rank}d", f"conv{self.rank}d")  # two: depthwise, pointwise

    def parts(self, inputs: list[Shape], output: Shape) -> tuple[Part, ...]:
        c, dm = channels(inputs[0]), self.depth_multiplier
        positions = math.prod(spatial(output))
        fn = f"conv{self.rank}d"
        bias = math.prod(output) if self.use_bias else 0
        return (
            weighted_part(positions * c * dm * math.prod(self.kernel_size), fn, 0, c),
            weighted_part(positions * c * dm * self.filters, fn, bias),
        )

    def torch_code(self, inputs: list[Shape]) -> Code:
        """A depthwise nn.ConvNd (no bias) then a pointwise one, as Keras computes it."""
        c, dm, r = channels(inputs[0]), self.depth_multiplier, self.rank
        use_bias, activation = self.use_bias, self.activation
        self.use_bias, self.activation = False, None
        try:
            depthwise = self.torch_conv(inputs, c, c * dm, c)
        finally:
            self.use_bias, self.activation = use_bias, activation
        pointwise = f"nn.Conv{r}d({c * dm}, {self.filters}, 1, bias={use_bias})"
        mods = tuple(("__depthwise" + suffix, src) for suffix, src in depthwise.modules) + (
            ("__pointwise", pointwise),
        )
        inner = depthwise.call.replace("{m}", "{m}__depthwise")
        call = "{m}__pointwise(" + inner + ")"
        return Code(mods, torch_activation(activation, call, r + 1, self.channels_first))

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        return self.forward_then(xs, params, self.act(xs[0].ndim))

    def forward_then(self, xs: list[Any], params: dict[str, Any], epilogue: Any) -> Any:
        from convcalc.ops import conv, depthwise, separable

        x = xs[0]
        sizes = x.shape[1:-1]
        out = self.windowed_out(sizes)
        dw, pw, bias = params["depthwise_kernel"], params["pointwise_kernel"], params.get("bias")
        geometry = (self.strides, self.dilation(), self.pads(sizes), self.mode())
        if self.rank == 2:  # in blocks of rows, each block's pointwise GEMM while in cache
            fused = separable.separable2d(x, dw, pw, bias, out, *geometry, act=epilogue)
            if fused is not None:
                return fused
        y = depthwise.depthwise(x, dw, None, out, *geometry)
        ones = (1,) * self.rank
        return conv.conv(y, pw, bias, out, ones, ones, [(0, 0)] * self.rank, act=epilogue)


@register
class SeparableConv1D(SeparableConvND):
    """Depthwise-separable 1-D convolution: a depthwise k-window, then a pointwise (size 1)
    convolution."""

    kind = "SeparableConv1D"
    rank = 1
    args = conv_args(1, groups=False, depth=True)


@register
class SeparableConv2D(SeparableConvND):
    """Depthwise-separable 2-D convolution: a depthwise k-window, then a 1×1 pointwise
    convolution."""

    kind = "SeparableConv2D"
    rank = 2
    args = conv_args(2, groups=False, depth=True)
