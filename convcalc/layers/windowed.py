"""What every layer over spatial axes shares (rank, axis letters), and the geometry of the ones
that slide a window: per-axis pads, output sizes and the receptive-field window."""

from __future__ import annotations

from typing import Any, ClassVar

from convcalc import shapes
from convcalc.layers.base import Layer, LayerError, RFStep, Shape, Window
from convcalc.layers.common import axis_letter, data_format_errors


class SpatialLayer(Layer):
    """A layer over ``rank`` spatial axes plus channels: its input has rank ``rank + 1``."""

    rank: ClassVar[int] = 2

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_rank = cls.rank + 1

    def axis(self, i: int) -> str:
        return axis_letter(self.rank, i)

    def validate(self) -> list[LayerError]:
        return data_format_errors(getattr(self, "data_format", None), self.channels_first)


class Windowed(SpatialLayer):
    """Shared geometry of everything that slides a kernel: per-axis pads and output sizes."""

    kernel_arg: ClassVar[str] = "kernel_size"

    strides: tuple[int, ...]
    padding: Any

    def kernel(self) -> tuple[int, ...]:
        kernel: tuple[int, ...] = getattr(self, self.kernel_arg)
        return kernel

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
            o = (
                shapes.pool_out(n, k[i], s[i], d[i], p, ceil_mode)
                if pool
                else shapes.conv_out(n, k[i], s[i], d[i], p)
            )
            if o < 1:
                ke = shapes.effective_kernel(k[i], d[i])
                raise LayerError(
                    f"output size on axis {self.axis(i)} would be {o}: effective kernel {ke} "
                    f"({self.kernel_arg} {k[i]}, dilation {d[i]}) > padded input {n + p[0] + p[1]} "
                    f"(input {n} + padding {p[0]}+{p[1]})",
                    arg=self.kernel_arg,
                    hint="use a smaller kernel or dilation, more padding, or padding: same",
                )
            out.append(o)
        return tuple(out)

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        """A window of the kernel's span, the layer's stride and its left padding."""
        left = tuple(before for before, _ in self.pads(inputs[0][:-1]))
        return Window(self.kernel(), self.strides, self.dilation(), left)
