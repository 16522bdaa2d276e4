"""The registry of layer kinds: an explicit dict filled by :func:`register`.

Adding a layer kind is one class in ``convcalc/layers/`` decorated with ``@register``; the spec
loader, the engine, the receptive field, the runtime, ``compare``, ``convcalc layers`` and the
JSON schema read everything else from the class (``tests/unit/test_registry.py`` checks the
whole contract for every kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from convcalc import fields

if TYPE_CHECKING:
    from convcalc.layers.base import Layer

REGISTRY: dict[str, type[Layer]] = {}
ALIASES: dict[str, str] = {}

L = TypeVar("L", bound="type[Layer]")


def register(cls: L) -> L:
    kind = cls.kind
    if not kind or kind in REGISTRY or kind in ALIASES:
        raise RuntimeError(f"layer kind {kind!r} registered twice (or without a kind)")
    REGISTRY[kind] = cls
    for alias in cls.aliases:
        ALIASES[alias] = kind
    return cls


def lookup(name: str) -> type[Layer] | None:
    """The class for a Keras name or a PyTorch alias; ``None`` if unknown."""
    kind = ALIASES.get(name, name)
    return REGISTRY.get(kind)


def suggest(name: str, choices: list[str] | None = None) -> str | None:
    """The closest known kind or alias (case-insensitive), for "did you mean" hints; Keras names
    win over aliases spelled alike. With ``choices``, the closest of those."""
    return fields.suggest(name, choices if choices is not None else list(ALIASES) + list(REGISTRY))
