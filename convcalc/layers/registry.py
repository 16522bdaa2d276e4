"""The registry of layer kinds: an explicit dict filled by :func:`register`.

Adding a layer kind is one class in ``convcalc/layers/`` decorated with ``@register``; the spec
loader, ``convcalc layers`` and the JSON schema read everything else from the class.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from convcalc.layers.base import Layer

REGISTRY: dict[str, type[Layer]] = {}
ALIASES: dict[str, str] = {}

T = TypeVar("T")


def register(cls: T) -> T:
    kind = cls.kind  # type: ignore[attr-defined]
    if kind in REGISTRY or kind in ALIASES:
        raise RuntimeError(f"layer kind {kind} registered twice")
    REGISTRY[kind] = cls  # type: ignore[assignment]
    for alias in cls.aliases:  # type: ignore[attr-defined]
        ALIASES[alias] = kind
    return cls


def lookup(name: str) -> type[Layer] | None:
    """The class for a Keras name or a PyTorch alias; ``None`` if unknown."""
    kind = ALIASES.get(name, name)
    return REGISTRY.get(kind)


def suggest(name: str, choices: list[str] | None = None) -> str | None:
    """The closest known name (case-insensitive), for "did you mean" hints."""
    pool = choices if choices is not None else list(ALIASES) + list(REGISTRY)
    lowered = {c.lower(): c for c in pool}  # later entries win: Keras names over aliases
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None
