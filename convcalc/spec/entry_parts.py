"""What a validated layer entry becomes: the memo's key and record for entries written alike,
and the :class:`LayerSpec` that places the layer in the graph."""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc.layers import Layer
from convcalc.spec.expand import Entry
from convcalc.spec.model import LayerSpec


class _Made(NamedTuple):
    """What an entry's arguments (all but its name and inputs) made: the next entry written
    with the same arguments is the same layer under another name (a long spec repeats a few
    configurations many times)."""

    layer: Layer
    spelled: dict[str, str]
    trainable: bool
    functional: bool
    group: tuple[str, ...]


def _made_key(written: str, args: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two entries the same layer but for their names and inputs (hashable only if
    every value is: the caller finds out when it looks the key up)."""
    own = args.copy()
    own.pop("name", None)
    own.pop("inputs", None)
    return (written, *own.items())


def _takes_previous(cls: type[Layer], args: dict[str, Any]) -> bool:
    """Whether the entry, which names no inputs, takes the previous layer's output as its one
    input, as its kind allows (the input layer takes none)."""
    return "inputs" not in args and (
        cls.is_input or (cls.min_inputs <= 1 and (cls.max_inputs is None or cls.max_inputs >= 1))
    )


def _spec(
    entry: Entry,
    layer: Layer,
    inputs: list[str],
    trainable: bool,
    args: dict[str, Any],
    owner: str,
    group: tuple[str, ...],
    functional: bool,
) -> LayerSpec:
    """The validated entry: ``layer`` (which knows its index, name, place and spelling) in its
    place in the graph."""
    return LayerSpec(
        layer.index,
        layer.kind,
        layer.name,
        layer,
        inputs,
        layer.loc,
        trainable,
        layer.spelling,
        entry.path,
        entry.use or entry.path,
        entry.blocks,
        entry.via,
        args,
        owner,
        group,
        functional,
    )
