"""The scalars of :mod:`convcalc.spec.yaml_fast`: plain ones by YAML 1.1's rules, quoted ones
folded across lines.

Plain scalars: the common forms are read here (:data:`WORDS`, the boolean and null words;
:data:`INT`, a decimal integer; :data:`FLOAT`, a float with a dot); a scalar that starts like a
number, a timestamp, ``<<`` or ``=`` (a sign, a digit, a dot, ``~ < =``) is a string only if
none of PyYAML's implicit resolvers matches it (PyYAML is imported then), and otherwise left
to libyaml (:class:`Unsure`). ``tests/unit/test_yaml_fast.py`` checks these forms against PyYAML.
"""

from __future__ import annotations

import re
from typing import Any

from convcalc.spec.limits import MAX_INT_DIGITS
from convcalc.spec.yaml_values import resolvers

WORDS: dict[str, Any] = {  # YAML 1.1's bool and null words (PyYAML's implicit resolvers)
    **dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}
INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
FLOAT = re.compile(r"(?:[-+]?[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+][0-9]+)?\Z")
NUMERIC_START = frozenset("0123456789+-.~<=")  # starts that other resolvers may claim


class Unsure(Exception):
    """This document is left to libyaml (which reads it exactly and reports its problems)."""


def plain_value(text: str) -> Any:
    """The value of a plain scalar, by YAML 1.1's rules for the forms read here."""
    if text in WORDS:
        return WORDS[text]
    if text[0] not in NUMERIC_START:
        return text
    if INT.match(text):
        if len(text) > MAX_INT_DIGITS:
            raise Unsure
        return int(text)
    if FLOAT.match(text):
        return float(text)
    if any(regexp.match(text) for _, regexp in resolvers().get(text[:1], ())):
        raise Unsure  # another number form, a timestamp, <<, =: libyaml's reader decides
    return text  # e.g. 3a_1x1, 1e5 (YAML 1.1 wants a dot in a float), -.5


def fold(raw: str) -> str:
    """A quoted scalar's lines folded as YAML folds them: a line break becomes a space, n
    empty lines become n newlines, the spaces around each break are dropped."""
    lines = raw.split("\n")
    out = lines[0].rstrip(" ")
    last = len(lines) - 1
    breaks = 0
    for j in range(1, last + 1):
        breaks += 1
        piece = lines[j].strip(" ") if j < last else lines[j].lstrip(" ")
        if not piece and j < last:
            continue
        out += (" " if breaks == 1 else "\n" * (breaks - 1)) + piece
        breaks = 0
    return out
