"""A layer's weight tensors: Keras's layout, PyTorch's name and axis order, the initialiser."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from convcalc.shapes import Shape


@dataclass(frozen=True)
class Weight:
    """A weight tensor: name and shape in Keras's layout, whether training updates it, and how
    PyTorch stores it.

    ``torch_order`` lists the Keras axes in PyTorch's order (None: the same order), and
    ``torch_shape`` is PyTorch's shape when it also merges axes (a depthwise kernel
    ``(k..., C, dm)`` is PyTorch's ``(C·dm, 1, k...)``). ``init`` is Keras's default
    initialiser; ``flip`` is how many leading (spatial) axes a true convolution flips.
    """

    name: str
    shape: Shape
    trainable: bool = True
    torch_name: str = ""
    torch_order: tuple[int, ...] | None = field(default=None, compare=False)
    torch_reshape: Shape | None = field(default=None, compare=False)
    init: str = field(default="zeros", compare=False)  # glorot_uniform | zeros | ones
    flip: int = field(default=0, compare=False)
    # a PyTorch buffer (BatchNorm's running statistics): state, not a parameter; Keras counts
    # it as a non-trainable weight
    buffer: bool = field(default=False, compare=False)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def torch_shape(self) -> Shape:
        """The shape PyTorch stores this weight in."""
        if self.torch_reshape is not None:
            return self.torch_reshape
        if self.torch_order is None:
            return self.shape
        return tuple(self.shape[i] for i in self.torch_order)

    def from_torch(self, a: Any) -> Any:
        """A PyTorch-layout array (``torch_shape``) in this weight's Keras layout (a view)."""
        if self.torch_order is None:
            return a
        permuted = tuple(self.shape[i] for i in self.torch_order)
        inverse = tuple(self.torch_order.index(i) for i in range(len(self.shape)))
        return a.reshape(permuted).transpose(inverse)

    def to_torch(self, a: Any) -> Any:
        """A Keras-layout array in PyTorch's layout (a view or a copy)."""
        if self.torch_order is None:
            return a
        return a.transpose(self.torch_order).reshape(self.torch_shape)


def kernel_weight(name: str, shape: Shape, torch_name: str = "weight") -> Weight:
    """A convolution kernel ``(k..., in, out)``: PyTorch stores ``(out, in, k...)``."""
    r = len(shape) - 2
    return Weight(
        name,
        shape,
        torch_name=torch_name,
        torch_order=(r + 1, r) + tuple(range(r)),
        init="glorot_uniform",
        flip=r,
    )


def depthwise_weight(shape: Shape, torch_name: str = "weight") -> Weight:
    """A depthwise kernel ``(k..., C, dm)``: PyTorch stores ``(C·dm, 1, k...)``."""
    r = len(shape) - 2
    c, dm = shape[r], shape[r + 1]
    return Weight(
        "depthwise_kernel",
        shape,
        torch_name=torch_name,
        torch_order=(r, r + 1) + tuple(range(r)),
        torch_reshape=(c * dm, 1) + shape[:r],
        init="glorot_uniform",
        flip=r,
    )


def vector(
    name: str,
    size: int,
    torch_name: str,
    trainable: bool = True,
    init: str = "zeros",
    buffer: bool = False,
) -> Weight:
    """A per-channel vector (bias, BatchNorm's gamma/beta/statistics): the same in both."""
    return Weight(name, (size,), trainable, torch_name=torch_name, init=init, buffer=buffer)
