"""The expansion step between the YAML document and the layer list.

Every later stage works on :class:`Entry` objects: one layer entry each, with the path of the
YAML node it came from, so that messages, ``check --update`` and ``compare --write`` find the
use site in the file. Today each item of ``layers:`` is one entry; parameterised blocks and
``repeat:`` expand here, and nothing downstream assumes that entry *i* is ``layers[i]``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc.spec.yaml_source import Path


class Entry(NamedTuple):
    """One layer entry as written (``{Kind: {args}}``, or a bare ``Kind`` string) and where."""

    value: Any
    path: Path


def expand(layers: list[Any]) -> list[Entry]:
    """The layer entries of a ``layers:`` list, in order."""
    return [Entry(value, ("layers", i)) for i, value in enumerate(layers)]
