"""Adaptive poolings: AdaptiveAveragePooling1D/2D and AdaptiveMaxPooling1D/2D (PyTorch's
AdaptiveAvgPool1d/2d and AdaptiveMaxPool1d/2d; Keras 3 has the same names and windows)."""

from __future__ import annotations

from typing import Any, ClassVar

from convcalc.errors import ArgError
from convcalc.fields import Arg, is_int, json_schema
from convcalc.layers.base import (
    RFStep,
    Shape,
    TorchModule,
    Unknown,
    Whole,
    Window,
    channels,
    spatial,
)
from convcalc.layers.common import DATA_FORMAT
from convcalc.layers.registry import register
from convcalc.layers.windowed import SpatialLayer


def output_sizes(rank: int) -> Arg:
    """``output_size``: an int for every axis, or one per axis where (in 2-D) null keeps the
    axis's size (PyTorch's None; Keras refuses it; PyTorch's 1-D pooling refuses it too). Keras
    and convcalc refuse 0, for which PyTorch returns an empty tensor."""
    keep = rank > 1
    size = {"type": "integer", "minimum": 1}
    one = {"anyOf": [size, {"type": "null"}]} if keep else size

    @json_schema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "array", "items": one, "minItems": rank, "maxItems": rank},
            ]
        }
    )
    def check(v: object) -> tuple[int | None, ...]:
        values = [v] * rank if is_int(v) else v
        if (
            not isinstance(values, (list, tuple))
            or len(values) != rank
            or not all((x is None and keep) or (is_int(x) and x >= 1) for x in values)
        ):
            each = "a positive integer or null (keep that axis)" if keep else "a positive integer"
            entries = f"a list of {rank} entries, each {each}" if keep else f"a list of one {each}"
            raise ArgError(
                f"must be a positive integer or {entries}; received {v!r}",
                hint=f"e.g. {[7] * rank if keep else 7}",
            )
        return tuple(values)

    return Arg(
        check, doc="output size per axis" + ("; null keeps an axis (PyTorch)" if keep else "")
    )


class AdaptivePoolingND(SpatialLayer):
    """Shared by the adaptive poolings."""

    formulas = """
    Shape: output_size per axis (null: the input's size). Output i of an axis of length L pools
    input positions [floor(i·L/out), ceil((i+1)·L/out)) (PyTorch's windows; Keras 3 the same),
    so windows are uneven unless out divides L, and overlap when out > L.
    Params: 0. MACs: 0.
    """
    operator = "pool"
    output_size: tuple[int | None, ...]
    op: ClassVar[str] = "average"

    def sizes(self, inputs: Shape) -> Shape:
        return tuple(n if o is None else o for n, o in zip(inputs, self.output_size))

    def output_shape(self, inputs: list[Shape]) -> Shape:
        self.check_rank(inputs)
        return self.sizes(spatial(inputs[0])) + (channels(inputs[0]),)

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        """A plain window when every output size divides its axis; a global pool when every
        output size is 1; otherwise the windows differ from output to output."""
        n = spatial(inputs[0])
        out = self.sizes(n)
        if all(o == 1 for o in out):
            return Whole()
        if all(length % o == 0 for length, o in zip(n, out)):
            k = tuple(length // o for length, o in zip(n, out))
            return Window(k, k, (1,) * self.rank, (0,) * self.rank)
        return Unknown(
            f"pools uneven windows ({list(n)} -> {list(out)}): the field of an "
            f"output depends on its position"
        )

    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        from convcalc.ops import pool

        x = xs[0]
        return pool.adaptive_pool(x, self.sizes(x.shape[1:-1]), self.op)


class AdaptiveAveragePoolingND(AdaptivePoolingND):
    """Shared by the adaptive average poolings."""

    op = "average"

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule(self.aliases[0], f"adaptive_avg_pool{self.rank}d")


class AdaptiveMaxPoolingND(AdaptivePoolingND):
    """Shared by the adaptive max poolings."""

    op = "max"

    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        return TorchModule(self.aliases[0], f"adaptive_max_pool{self.rank}d")


@register
class AdaptiveAveragePooling1D(AdaptiveAveragePoolingND):
    """Average pooling to a fixed output length (PyTorch's uneven windows)."""

    kind = "AdaptiveAveragePooling1D"
    aliases = ("AdaptiveAvgPool1d",)
    rank = 1
    args = {"output_size": output_sizes(1), "data_format": DATA_FORMAT}


@register
class AdaptiveAveragePooling2D(AdaptiveAveragePoolingND):
    """Average pooling to a fixed output size (torchvision's VGG and ResNet heads)."""

    kind = "AdaptiveAveragePooling2D"
    aliases = ("AdaptiveAvgPool2d",)
    rank = 2
    args = {"output_size": output_sizes(2), "data_format": DATA_FORMAT}


@register
class AdaptiveMaxPooling1D(AdaptiveMaxPoolingND):
    """Max pooling to a fixed output length (PyTorch's uneven windows)."""

    kind = "AdaptiveMaxPooling1D"
    aliases = ("AdaptiveMaxPool1d",)
    rank = 1
    args = {"output_size": output_sizes(1), "data_format": DATA_FORMAT}


@register
class AdaptiveMaxPooling2D(AdaptiveMaxPoolingND):
    """Max pooling to a fixed output size (PyTorch's uneven windows)."""

    kind = "AdaptiveMaxPooling2D"
    aliases = ("AdaptiveMaxPool2d",)
    rank = 2
    args = {"output_size": output_sizes(2), "data_format": DATA_FORMAT}
