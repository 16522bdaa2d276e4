"""What a layer kind says about itself for ``convcalc export``: the PyTorch and Keras code
that builds it (:meth:`~convcalc.layers.base.Layer.torch_code`,
:meth:`~convcalc.layers.base.Layer.keras_code`).

A :class:`Code` lists the modules the layer needs (PyTorch: ``self.<name><suffix> = ...``;
Keras: layer objects) and the expression of its output, with ``{x}`` for its (first) input,
``{xs}`` for the list of its inputs and ``{m}`` for the module attribute (``self.<name>``).
Exported PyTorch models compute in NCHW whatever the spec's data_format; the exporter turns a
channels_last input into that layout once, at the start.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc.errors import LayerError
from convcalc.shapes import same_pads


class Code(NamedTuple):
    modules: tuple[tuple[str, str], ...]  # (attribute suffix, constructor source)
    call: str


def lit(v: Any) -> str:
    """A Python literal for generated code (tuples stay tuples)."""
    if isinstance(v, float) and v == int(v) and abs(v) < 1e15:
        return repr(v)
    return repr(v)


def kwargs(**values: Any) -> str:
    return ", ".join(f"{k}={lit(v)}" for k, v in values.items())


def torch_dim(canonical: int, rank: int) -> int:
    """A canonical (channels-last, per-sample) axis -> PyTorch's NCHW dim (batch = 0)."""
    return 1 if canonical == rank - 1 else canonical + 2


def pad_module(pads: list[tuple[int, int]], rank: int, value: float = 0.0) -> str:
    """The source of an nn.ConstantPadNd for [before, after] pairs (F.pad's order: last axis
    first)."""
    flat: list[int] = []
    for b, a in reversed(pads):
        flat += [b, a]
    fill = "0.0" if value == 0.0 else "float('-inf')"
    return f"nn.ConstantPad{rank}d({tuple(flat)!r}, {fill})"


def symmetric_or_pad(pads: list[tuple[int, int]], rank: int, value: float = 0.0) -> tuple[Any, str]:
    """PyTorch padding for [before, after] pairs: an int tuple when symmetric, else 0 with a
    padding module first (its source, or "")."""
    if all(b == a for b, a in pads):
        return tuple(b for b, _ in pads), ""
    return (0,) * rank, pad_module(pads, rank, value)


def window_pads(layer: Any, sizes: tuple[int, ...]) -> list[tuple[int, int]]:
    """The layer's (before, after) pads for these input sizes (its own rule)."""
    pads: list[tuple[int, int]] = layer.pads(sizes)
    return pads


def same(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    return same_pads(n, k, s, d)


def refuse(kind: str, framework: str, why: str = "") -> LayerError:
    return LayerError(
        f"convcalc export --to {framework} does not write {kind}" + (f" {why}" if why else ""),
        hint="write the layer in the generated module by hand, or use another kind",
    )


TORCH_ACTIVATIONS = {
    "relu": "torch.relu({y})",
    "relu6": "nn.functional.relu6({y})",
    "sigmoid": "torch.sigmoid({y})",
    "tanh": "torch.tanh({y})",
    "softmax": "torch.softmax({y}, dim={dim})",
    "log_softmax": "torch.log_softmax({y}, dim={dim})",
    "elu": "nn.functional.elu({y})",
    "selu": "nn.functional.selu({y})",
    "gelu": "nn.functional.gelu({y})",
    "silu": "nn.functional.silu({y})",
    "swish": "nn.functional.silu({y})",
    "softplus": "nn.functional.softplus({y})",
    "softsign": "nn.functional.softsign({y})",
    "hard_swish": "nn.functional.hardswish({y})",
    "hard_silu": "nn.functional.hardswish({y})",
    "mish": "nn.functional.mish({y})",
    "leaky_relu": "nn.functional.leaky_relu({y}, 0.2)",
    "exponential": "torch.exp({y})",
}


def torch_activation(name: str | None, expr: str, rank: int, channels_first: bool) -> str:
    """``expr`` with a Keras activation applied (axis-wise ones on the spec's last axis)."""
    if name is None or name == "linear":
        return expr
    template = TORCH_ACTIVATIONS.get(name)
    if template is None:
        raise refuse(f"activation '{name}'", "pytorch")
    last = rank - 2 if channels_first and rank >= 2 else rank - 1  # the displayed last axis
    return template.format(y=expr, dim=torch_dim(last, rank))
