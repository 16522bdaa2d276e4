"""What a layer's configuration is, as the engine's memos key it: its signature, and the set
of the arguments it wrote (one shared set per combination)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from convcalc.layers.base import Layer


_GIVEN: dict[tuple[str, ...], frozenset[str]] = {}  # a few sets shared by many layers


def _given(values: dict[str, Any]) -> frozenset[str]:
    """The set of ``values``' names, one object for every layer that wrote the same names."""
    names = tuple(values)
    found = _GIVEN.get(names)
    if found is None:
        found = frozenset(names)
        if len(_GIVEN) < 10_000:
            _GIVEN[names] = found
    return found


def signature(layer: Layer) -> tuple[Any, ...] | None:
    """A hashable statement of a layer's configuration (its kind, spelling, layout and every
    argument's value as the formulas see it), or None when a value is not hashable."""
    values = layer.__dict__
    defaults = layer.defaults(layer.torch_spelling)
    try:
        sig = (
            type(layer),
            layer.torch_spelling,
            layer.channels_first,
            tuple(map({**defaults, **values}.__getitem__, layer.args)),
        )
        hash(sig)
    except TypeError:
        return None
    return sig
