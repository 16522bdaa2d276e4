"""Convolutions: ConvND, DepthwiseConvND, SeparableConvND, ConvNDTranspose.

Counting convention (one MAC = one weight multiply-accumulate; bias adds are not MACs):

* ConvND:     MACs = prod(out_spatial) · filters · (C_in/groups) · prod(kernel_size)
* Depthwise:  MACs = prod(out_spatial) · C_in · depth_multiplier · prod(kernel_size)
* Separable:  depthwise MACs + prod(out_spatial) · C_in · depth_multiplier · filters
* Transposed: MACs = prod(in_spatial) · C_in · (filters/groups) · prod(kernel_size), counted on the
  INPUT grid, as PyTorch's FlopCounterMode and fvcore do (the output grid over-counts ~stride²).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from convcalc import shapes
from convcalc.layers.base import (
    Arg, Layer, LayerError, Shape, Weight, any_value, boolean, channels, ints, optional, padding,
    pos_int, spatial,
)
from convcalc.layers.registry import register

_AXES = {1: "L", 2: "HW", 3: "DHW"}

# Keras arguments that do not change shapes or counts: accepted so that Keras code can be pasted.
KERAS_EXTRAS = {
    name: Arg(any_value, None, doc="accepted for Keras compatibility; no effect on counts",
              shape_relevant=False)
    for name in ("kernel_initializer", "bias_initializer", "kernel_regularizer",
                 "bias_regularizer", "activity_regularizer", "kernel_constraint",
                 "bias_constraint", "depthwise_initializer", "pointwise_initializer",
                 "depthwise_regularizer", "pointwise_regularizer", "depthwise_constraint",
                 "pointwise_constraint", "dtype")
}


def activation_arg() -> Arg:
    from convcalc.layers.activations import activation_name
    return Arg(optional(activation_name), None, doc="activation applied after the layer (0 MACs)",
               shape_relevant=False)


def run_activation(layer: Layer, name: str | None, ndim: int, inplace: bool = False) -> Any:
    """The runtime function of a Keras activation name for a ``ndim``-dimensional batch (the
    axis-wise ones act on the last axis of the spec's data_format, as Keras does)."""
    from convcalc.runtime import kernels as K
    if name in K.UNSUPPORTED:
        raise LayerError(f"--run cannot apply activation '{name}': {K.UNSUPPORTED[name]}",
                         arg="activation")
    return K.activation(name, K.keras_axis(-1, ndim, layer.channels_first), inplace)


class _Windowed(Layer):
    """Shared geometry of everything that slides a kernel: per-axis pads and output sizes."""

    rank: ClassVar[int] = 2
    kernel_arg: ClassVar[str] = "kernel_size"
    padding_modes: ClassVar[tuple[str, ...]] = ("valid", "same")

    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    padding: Any

    def axis(self, i: int) -> str:
        return _AXES[self.rank][i] if self.rank in _AXES else str(i)

    def kernel(self) -> tuple[int, ...]:
        return getattr(self, self.kernel_arg)

    def dilation(self) -> tuple[int, ...]:
        return getattr(self, "dilation_rate", None) or (1,) * self.rank

    def pads(self, sizes: Shape) -> list[tuple[int, int]]:
        """(before, after) zero padding of every spatial axis for these input sizes."""
        k, s, d = self.kernel(), self.strides, self.dilation()
        if self.padding == "valid":
            return [(0, 0)] * self.rank
        if self.padding == "same":
            return [shapes.same_pads(sizes[i], k[i], s[i], d[i]) for i in range(self.rank)]
        if self.padding == "causal":
            return [shapes.causal_pads(k[i], d[i]) for i in range(self.rank)]
        return list(self.padding)

    def windowed_out(self, sizes: Shape, ceil_mode: bool = False, pool: bool = False) -> Shape:
        k, s, d = self.kernel(), self.strides, self.dilation()
        out = []
        for i, p in enumerate(self.pads(sizes)):
            n = sizes[i]
            o = (shapes.pool_out(n, k[i], s[i], d[i], p, ceil_mode) if pool
                 else shapes.conv_out(n, k[i], s[i], d[i], p))
            if o < 1:
                ke = shapes.effective_kernel(k[i], d[i])
                raise LayerError(
                    f"output size on axis {self.axis(i)} would be {o}: effective kernel {ke} "
                    f"({self.kernel_arg} {k[i]}, dilation {d[i]}) > padded input {n + p[0] + p[1]} "
                    f"(input {n} + padding {p[0]}+{p[1]})",
                    arg=self.kernel_arg,
                    hint="use a smaller kernel or dilation, more padding, or padding: same")
            out.append(o)
        return tuple(out)


def _conv_args(rank: int, *, filters: bool = True, groups: bool = True, depth: bool = False,
               modes: tuple[str, ...] = ("valid", "same")) -> dict[str, Arg]:
    args: dict[str, Arg] = {}
    if filters:
        args["filters"] = Arg(pos_int, torch="out_channels", doc="number of output channels")
    args["kernel_size"] = Arg(ints(rank), doc="kernel size, an int or one per spatial axis")
    args["strides"] = Arg(ints(rank), 1, torch="stride", doc="stride per spatial axis")
    args["padding"] = Arg(padding(rank, *modes), "valid",
                          doc=" | ".join(repr(m) for m in modes)
                          + " | int | per-axis ints | per-axis [before, after] pairs")
    args["dilation_rate"] = Arg(ints(rank), 1, torch="dilation", doc="dilation per axis")
    if groups:
        args["groups"] = Arg(pos_int, 1, doc="channel groups; must divide input and output channels")
    if depth:
        args["depth_multiplier"] = Arg(pos_int, 1, doc="depthwise outputs per input channel")
    args["use_bias"] = Arg(boolean, True, torch="bias", doc="add a bias per output channel")
    args["in_channels"] = Arg(optional(pos_int), None, doc="PyTorch's in_channels: checked "
                              "against the incoming channels if given", shape_relevant=False)
    args["padding_mode"] = Arg(optional(str), None, doc="PyTorch padding_mode (zeros, reflect, "
                               "replicate, circular); no effect on shapes", shape_relevant=False)
    args["activation"] = activation_arg()
    args.update(KERAS_EXTRAS)
    return args


class _ConvBase(_Windowed):
    use_bias: bool
    in_channels: int | None
    padding_mode: str | None

    def validate(self) -> list[LayerError]:
        errors = []
        if self.padding_mode not in (None, "zeros", "reflect", "replicate", "circular"):
            errors.append(LayerError(
                f"padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular'; "
                f"received {self.padding_mode!r}", arg="padding_mode"))
        return errors

    activation: str | None

    def act(self, ndim: int) -> Any:
        return run_activation(self, self.activation, ndim, inplace=True)

    def mode(self) -> str:
        return self.padding_mode or "zeros"

    def input_channels(self, inputs: list[Shape]) -> int:
        self.check_rank(inputs)
        c = channels(inputs[0])
        if self.in_channels is not None and self.in_channels != c:
            raise LayerError(f"in_channels={self.in_channels} but the input has {c} channels "
                             f"(shape {self.show(inputs[0])})", arg="in_channels",
                             hint=f"set in_channels: {c}, or drop it: convcalc infers it")
        return c


class ConvND(_ConvBase):
    """N-D convolution (cross-correlation), as Keras ``ConvND`` and PyTorch ``ConvNd``.

    Shape: out = floor((n + p_l + p_r - d·(k-1) - 1)/s) + 1 per axis; 'same' = ceil(n/s), pads
    split with the odd pixel at the end (Keras/TF); 'causal' (1D) pads d·(k-1) on the left.
    Params: prod(k)·(C_in/groups)·filters + filters (bias).
    MACs: prod(out_spatial)·filters·(C_in/groups)·prod(k).
    """

    filters: int
    groups: int

    def validate(self) -> list[LayerError]:
        errors = super().validate()
        if self.filters % self.groups:
            errors.append(LayerError(
                f"groups must divide filters (output channels); received groups={self.groups}, "
                f"filters={self.filters}", arg="groups",
                hint=f"use filters that are a multiple of {self.groups}"))
        return errors

    def check_groups(self, c: int) -> None:
        if c % self.groups:
            divisors = [g for g in range(1, c + 1) if c % g == 0 and self.filters % g == 0]
            raise LayerError(
                f"groups must divide the input channels; received groups={self.groups}, input "
                f"channels={c}", arg="groups",
                hint=f"groups that divide both {c} and filters={self.filters}: "
                     + ", ".join(map(str, divisors)))

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c = self.input_channels(inputs)
        self.check_groups(c)
        return self.windowed_out(spatial(inputs[0])) + (self.filters,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        w = [Weight("kernel", self.kernel_size + (c // self.groups, self.filters))]
        if self.use_bias:
            w.append(Weight("bias", (self.filters,)))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        c = channels(inputs[0])
        return (math.prod(spatial(output)) * self.filters * (c // self.groups)
                * math.prod(self.kernel_size))

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        x = xs[0]
        sizes = x.shape[1:-1]
        return K.conv(x, params["kernel"], params.get("bias"), self.windowed_out(sizes),
                      self.strides, self.dilation(), self.pads(sizes), self.groups, self.mode(),
                      self.act(x.ndim))


class DepthwiseConvND(_ConvBase):
    """Depthwise convolution: one k-window per input channel, ``depth_multiplier`` outputs each.

    Shape: as ConvND, with C_in·depth_multiplier output channels.
    Params: prod(k)·C_in·depth_multiplier + C_in·depth_multiplier (bias).
    MACs: prod(out_spatial)·C_in·depth_multiplier·prod(k).
    (PyTorch: ``Conv2d(C, C·dm, k, groups=C)``.)
    """

    depth_multiplier: int

    def output_shape(self, inputs: list[Shape]) -> Shape:
        c = self.input_channels(inputs)
        return self.windowed_out(spatial(inputs[0])) + (c * self.depth_multiplier,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        w = [Weight("depthwise_kernel", self.kernel_size + (c, self.depth_multiplier))]
        if self.use_bias:
            w.append(Weight("bias", (c * self.depth_multiplier,)))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return math.prod(output) * math.prod(self.kernel_size)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        x = xs[0]
        sizes = x.shape[1:-1]
        return K.depthwise(x, params["depthwise_kernel"], params.get("bias"),
                           self.windowed_out(sizes), self.strides, self.dilation(),
                           self.pads(sizes), self.mode(), self.act(x.ndim))


class SeparableConvND(_ConvBase):
    """Depthwise-separable convolution: depthwise k-window, then a 1×1 pointwise convolution.

    Shape: as ConvND with ``filters`` output channels.
    Params: prod(k)·C_in·dm + C_in·dm·filters + filters (bias on the pointwise only, as Keras).
    MACs: prod(out_spatial)·C_in·dm·(prod(k) + filters)  (MobileNet, arXiv 1704.04861).
    """

    filters: int
    depth_multiplier: int

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.input_channels(inputs)
        return self.windowed_out(spatial(inputs[0])) + (self.filters,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        dm = self.depth_multiplier
        w = [Weight("depthwise_kernel", self.kernel_size + (c, dm)),
             Weight("pointwise_kernel", (1,) * self.rank + (c * dm, self.filters))]
        if self.use_bias:
            w.append(Weight("bias", (self.filters,)))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        c = channels(inputs[0])
        positions = math.prod(spatial(output))
        return positions * c * self.depth_multiplier * (math.prod(self.kernel_size) + self.filters)

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.runtime import kernels as K
        x = xs[0]
        sizes = x.shape[1:-1]
        out = self.windowed_out(sizes)
        y = K.depthwise(x, params["depthwise_kernel"], None, out, self.strides, self.dilation(),
                        self.pads(sizes), self.mode())
        ones = (1,) * self.rank
        return K.conv(y, params["pointwise_kernel"], params.get("bias"), out, ones, ones,
                      [(0, 0)] * self.rank, act=self.act(x.ndim))


class ConvNDTranspose(ConvND):
    """Transposed convolution ("deconvolution"), as Keras ``ConvNDTranspose`` / PyTorch ``ConvTransposeNd``.

    Shape, explicit padding (PyTorch): (n-1)·s - p_l - p_r + d·(k-1) + output_padding + 1.
    Shape, 'valid' (Keras): (n-1)·s + k_eff + op, op defaulting to max(k_eff, s) - k_eff;
    'same' (Keras): n·s without output_padding, else (n-1)·s + k_eff - 2·(k_eff//2) + op.
    output_padding must be smaller than the stride or the dilation (PyTorch's rule).
    Params: prod(k)·C_in·(filters/groups) + filters (bias).
    MACs: prod(in_spatial)·C_in·(filters/groups)·prod(k), on the input grid.
    """

    output_padding: tuple[int, ...] | None

    def validate(self) -> list[LayerError]:
        errors = super().validate()
        if self.output_padding is not None:
            d, s, op = self.dilation(), self.strides, self.output_padding
            bad = [i for i in range(self.rank) if op[i] >= s[i] and op[i] >= d[i]]
            if bad:
                i = bad[0]
                errors.append(LayerError(
                    f"output_padding must be smaller than the stride or the dilation; received "
                    f"output_padding={op[i]} with strides={s[i]}, dilation_rate={d[i]} on axis "
                    f"{', '.join(self.axis(j) for j in bad)}", arg="output_padding",
                    hint=f"use output_padding < {max(s[i], d[i])}"))
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
                o = shapes.keras_transposed_out(n, k[i], s[i], d[i], self.padding,
                                                None if op is None else op[i])
            else:
                o = shapes.transposed_out(n, k[i], s[i], d[i], self.padding[i],
                                          0 if op is None else op[i])
            if o < 1:
                p = self.padding[i]
                raise LayerError(
                    f"output size on axis {self.axis(i)} would be {o}: padding {p[0]}+{p[1]} "
                    f"removes more than the full transposed output "
                    f"{shapes.transposed_out(n, k[i], s[i], d[i])}", arg="padding",
                    hint="use less padding")
            out.append(o)
        return tuple(out) + (self.filters,)

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        c = channels(inputs[0])
        w = [Weight("kernel", self.kernel_size + (self.filters // self.groups, c))]
        if self.use_bias:
            w.append(Weight("bias", (self.filters,)))
        return w

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        c = channels(inputs[0])
        return (math.prod(spatial(inputs[0])) * c * (self.filters // self.groups)
                * math.prod(self.kernel_size))

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """The full transposed output, zero-extended and cropped from ``crop``: PyTorch's
        ``padding[0]`` for explicit padding, ``keras_transposed_crop`` for 'valid'/'same'."""
        from convcalc.runtime import kernels as K
        if self.mode() != "zeros":
            raise LayerError(f"--run supports only padding_mode 'zeros' for a transposed "
                             f"convolution (as PyTorch); received {self.padding_mode!r}",
                             arg="padding_mode")
        x = xs[0]
        out = self.output_shape([x.shape[1:]])[:-1]
        k, s, d = self.kernel_size, self.strides, self.dilation()
        if isinstance(self.padding, str):
            crop = [shapes.keras_transposed_crop(out[i], k[i], s[i], d[i], self.padding)
                    for i in range(self.rank)]
        else:
            crop = [p[0] for p in self.padding]
        return K.conv_transpose(x, params["kernel"], params.get("bias"), out, s, d, crop,
                                self.groups, self.act(x.ndim))


def _define(base: type, kind: str, rank: int, aliases: tuple[str, ...], args: dict[str, Arg],
            **extra: Any) -> type:
    cls = type(kind, (base,), {"kind": kind, "rank": rank, "aliases": aliases, "args": args,
                               "input_rank": rank + 1, "__doc__": base.__doc__, **extra})
    return register(cls)


for _r in (1, 2, 3):
    _define(ConvND, f"Conv{_r}D", _r, (f"Conv{_r}d",),
            _conv_args(_r, modes=("valid", "same", "causal") if _r == 1 else ("valid", "same")))
    if _r < 3:
        _define(SeparableConvND, f"SeparableConv{_r}D", _r, (),
                _conv_args(_r, groups=False, depth=True))
        _define(DepthwiseConvND, f"DepthwiseConv{_r}D", _r, (),
                _conv_args(_r, filters=False, groups=False, depth=True))
    _targs = _conv_args(_r)
    _targs["output_padding"] = Arg(optional(ints(_r, minimum=0)), None,
                                   doc="extra size on the output's far side (per axis)")
    _define(ConvNDTranspose, f"Conv{_r}DTranspose", _r, (f"ConvTranspose{_r}d",), _targs)
