"""Local response normalisation across channels (AlexNet's norm1/norm2)."""

from __future__ import annotations

from typing import Any

from convcalc.fields import Arg, number, pos_int
from convcalc.layers.base import Layer, Shape, Unchanged
from convcalc.layers.registry import register


@register
class LocalResponseNormalization(Layer):
    """Each value divided by (k + alpha/size · the sum of squares over ``size`` neighbouring
    channels)^beta, as PyTorch's LocalResponseNorm and Caffe's LRN (across channels).

    Shape: unchanged. Params: 0. MACs: 0 (no weights; the squares and the division are other
    operations). The window covers channels c - size//2 .. c + (size-1)//2 (zeros beyond).
    """

    kind = "LocalResponseNormalization"
    aliases = ("LocalResponseNorm",)
    operator = "norm"
    torch_function = "local_response_norm"
    min_input_rank = 2
    args = {
        "size": Arg(pos_int, doc="channels in the window (AlexNet: 5)"),
        "alpha": Arg(number, 1e-4, doc="scale of the sum of squares (divided by size)"),
        "beta": Arg(number, 0.75, doc="exponent"),
        "k": Arg(number, 1.0, doc="additive constant"),
    }
    size: int
    alpha: float
    beta: float
    k: float

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        return inputs[0]

    def rf_step(self, inputs: list[Shape]) -> Unchanged:
        return Unchanged()  # across channels at one position

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import lrn

        return lrn.local_response_norm(xs[0], self.size, self.alpha, self.beta, self.k)
