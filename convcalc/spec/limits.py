"""The limits on what convcalc reads, declared once (README "Limits" documents each one).

A spec comes from a pull request as often as from its author, so the work that reading one may
cost is bounded: the file's size, its layer count, how deep it nests, how many values its
aliases may copy, how long an integer may be. The first three have a command-line flag to raise
them (``--max-file-size``, ``--max-layers``, ``--allow-outside-links``); the CLI sets them for
the command with :func:`using`, and library calls read :func:`current`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import NamedTuple

from convcalc.errors import MAX_MESSAGE, MAX_PROBLEMS, MAX_QUOTE

MAX_FILE_BYTES = 16 * 2**20  # a spec file (16 MiB: about 200,000 one-line layers)
MAX_LAYERS = 100_000  # layer entries in one spec, after expansion
MAX_DEPTH = 50  # nesting of mappings and lists in a spec (a spec needs about 6)
MAX_INT_DIGITS = 100  # characters of an integer in a spec (Python refuses 4,300)
ALIAS_FLOOR = 10_000  # values that aliases (*name, <<: *name) may copy, at least ...
ALIAS_PER_CHARACTER = 1  # ... or this many per character of the document, whichever is more
MAX_ARCHIVE_MEMBERS = 100_000  # arrays in one --weights / --input archive

__all__ = [
    "ALIAS_FLOOR",
    "ALIAS_PER_CHARACTER",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_INT_DIGITS",
    "MAX_LAYERS",
    "MAX_MESSAGE",  # from convcalc.errors, which applies them to every message
    "MAX_PROBLEMS",
    "MAX_QUOTE",
    "Limits",
    "alias_budget",
    "current",
    "using",
]


class Limits(NamedTuple):
    """The limits a command line can raise."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_layers: int = MAX_LAYERS
    allow_outside_links: bool = False  # follow symlinks that leave the working directory


_current = Limits()


def current() -> Limits:
    """The limits in force (the defaults unless a command set others)."""
    return _current


@contextlib.contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Read with ``limits`` inside the ``with`` block."""
    global _current  # noqa: PLW0603  (one setting for the whole command)
    before, _current = _current, limits
    try:
        yield limits
    finally:
        _current = before


def alias_budget(characters: int) -> int:
    """How many values the aliases of a document of ``characters`` characters may copy."""
    return max(ALIAS_FLOOR, ALIAS_PER_CHARACTER * characters)
