"""The records of the expansion step (:mod:`convcalc.spec.expand`): an expanded layer entry
and where it came from, a block definition, a block's input before names are known, and the
helpers that read them."""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc.spec.yaml_source import Path

Group = tuple[str, str]  # (the block use's name, the block's name)


class Ref:
    """``$input`` before names are known: the output of expanded entry ``index`` (-1: the
    spec's input layer)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return "the block's input layer"


class Entry(NamedTuple):
    """One layer entry (``{Kind: {args}}``, or a bare ``Kind`` string) and where it came from."""

    value: Any
    path: Path
    use: Path = ()  # the top-level ``layers:`` entry that produced it
    blocks: tuple[Group, ...] = ()  # the block uses around it, outermost first
    via: str = ""  # ", in block 'b' used at file:line": the use sites, for messages
    broken: bool = False  # a substitution failed (reported): parsed as a broken layer


class Block(NamedTuple):
    name: str
    args: dict[str, Any]  # name -> default; REQUIRED_ARG when it has none
    layers: list[Any]
    output: Any  # None: the last layer
    path: Path  # ("blocks", name)


REQUIRED_ARG = object()


class Scope(NamedTuple):
    env: dict[str, Any]
    use: Path | None
    blocks: tuple[Group, ...]
    via: str
    stack: tuple[str, ...]  # the blocks being expanded, outermost first
    trainable: Any  # a block use's trainable: false, given to its layers


def split(item: Any) -> tuple[str, Any] | None:
    """``(kind, args)`` of an entry that has the form of one; None otherwise."""
    if isinstance(item, str):
        return item, None
    if isinstance(item, dict) and len(item) == 1:
        kind, args = next(iter(item.items()))
        if isinstance(kind, str) and (args is None or isinstance(args, dict)):
            return kind, args
    return None


def resolve_inputs(value: Any, names: list[str], input_name: str) -> Any:
    """``value`` with every :class:`Ref` replaced by the name of the layer it points at."""
    if isinstance(value, Ref):
        return names[value.index] if value.index >= 0 else input_name
    if isinstance(value, list):
        return [resolve_inputs(v, names, input_name) for v in value]
    if isinstance(value, dict):
        return {k: resolve_inputs(v, names, input_name) for k, v in value.items()}
    return value
