"""JSON text as convcalc prints it: indented by two spaces, with lists of numbers (shapes) on
one line, written about three times faster than ``json.dumps(indent=2)`` (whose indenting
encoder is pure Python), so that a 100,000-layer summary stays fast.

The text is exactly what ``json.dumps(doc, indent=2)`` gives, with every non-empty list of
plain numbers joined onto one line (``tests/render/test_json_text.py`` checks it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from typing import Any

_str = json.encoder.encode_basestring_ascii
string = _str  # a str as JSON text
_INF = float("inf")


def _float(x: float) -> str:
    if math.isnan(x):
        return "NaN"
    if x == _INF:
        return "Infinity"
    if x == -_INF:
        return "-Infinity"
    return float.__repr__(x)


def _number(x: Any) -> str | None:
    """A list item's text if it keeps the list on one line: ints, and floats written with
    digits, a point and a sign only (not 1e-05, NaN or Infinity)."""
    t = type(x)
    if t is int:
        return int.__repr__(x)
    if t is float:
        text = float.__repr__(x)
        return None if "e" in text or "n" in text else text
    return None


class Each:
    """A list written item by item: ``make(x)`` for each ``x`` of ``items``, made when it is
    written and joined into one string at once, so that a long list costs one string per item
    and never every item's document at the same time."""

    def __init__(self, items: Sequence[Any], make: Callable[[Any], Any]) -> None:
        self.items, self.make = items, make


class EachText(Each):
    """Like :class:`Each`, with each item's text made by ``text(item, newline)`` directly (the
    item as :func:`dumps` would write it, at the indentation ``newline`` gives)."""

    def __init__(self, items: Sequence[Any], text: Callable[[Any, str], str]) -> None:
        super().__init__(items, lambda x: x)
        self.text = text


def numbers(items: Sequence[int]) -> str:
    """A tuple of ints (a shape) as :func:`dumps` writes it: on one line."""
    return "[" + ", ".join(map(int.__repr__, items)) + "]" if items else "[]"


def dumps(doc: Any) -> str:
    """``doc`` as indented JSON text ending in a newline."""
    parts: list[str] = []
    write(doc, parts.append)
    return "".join(parts)


def write(doc: Any, add: Callable[[str], Any]) -> None:
    """The text of :func:`dumps`, given to ``add`` piece by piece (a file's ``write``: a long
    document is never one string)."""
    _emit(doc, "\n", add)
    add("\n")


def _emit(v: Any, newline: str, add: Any) -> None:  # noqa: C901 (one branch per JSON type)
    t = type(v)
    if t is str:
        add(_str(v))
    elif t is int:
        add(int.__repr__(v))
    elif t is dict:
        if not v:
            add("{}")
            return
        inner = newline + "  "
        sep = "{" + inner
        for k, x in v.items():
            add(sep)
            add(_str(k) if type(k) is str else _key(k))
            add(": ")
            _emit(x, inner, add)
            sep = "," + inner
        add(newline + "}")
    elif t is list or t is tuple:
        if not v:
            add("[]")
            return
        numbers = [_number(x) for x in v]
        if None not in numbers:
            add("[" + ", ".join(numbers) + "]")  # type: ignore[arg-type]
            return
        inner = newline + "  "
        sep = "[" + inner
        for x in v:
            add(sep)
            _emit(x, inner, add)
            sep = "," + inner
        add(newline + "]")
    elif t is Each or t is EachText:
        if not v.items:
            add("[]")
            return
        inner = newline + "  "
        sep = "[" + inner
        for x in v.items:
            if t is EachText:
                add(sep + v.text(x, inner))
            else:
                one: list[str] = [sep]
                _emit(v.make(x), inner, one.append)
                add("".join(one))
            sep = "," + inner
        add(newline + "]")
    elif v is True:
        add("true")
    elif v is False:
        add("false")
    elif v is None:
        add("null")
    elif t is float:
        add(_float(v))
    else:
        add(json.dumps(v))  # anything else json knows (int and float subclasses): as json does


def _key(k: Any) -> str:
    """A non-string key as json.dumps writes it (ints, floats, bools and None as text)."""
    return json.dumps({k: 0})[1:-4]
