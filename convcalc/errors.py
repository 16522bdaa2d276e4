"""The one exception hierarchy of convcalc, and the one place where errors become text.

Library code raises only these; the CLI turns them into a message on stderr and an exit code, in
exactly one place. Every problem in an input file carries a :class:`Location` so that a user can
jump to the line that caused it. :class:`ArgError` and :class:`LayerError` are internal: the
loader and the engine turn them into :class:`Problem` objects with the layer's location.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, NamedTuple

# Unicode categories never printed as they are: controls (ESC, newline, ...), format characters
# (bidirectional overrides, zero-width spaces), line and paragraph separators, surrogates.
UNPRINTABLE = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs"))
# limits on what an error says (convcalc.spec.limits lists them with the others)
MAX_PROBLEMS = 50  # problems shown per input; the rest are counted ("and N more")
MAX_QUOTE = 120  # characters of a received value quoted in a message
MAX_MESSAGE = 400  # characters of one message (a longer one is cut, saying how much)


def unprintable(text: str) -> str | None:
    """The first character of ``text`` that must not reach a terminal, a log or a document as
    it is (a control, format or separator character), or None."""
    if text.isprintable():
        return None
    return next((c for c in text if unicodedata.category(c) in UNPRINTABLE), None)


def _escape_char(c: str) -> str:
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def printable(text: str) -> str:
    """``text`` with every control, format and separator character written as an escape
    (``\\n``, ``\\x1b``, ``\\u202e``): safe to print on a terminal and in any log; ordinary text
    (any language, spaces) is unchanged."""
    if text.isprintable():
        return text
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(
        named.get(c) or _escape_char(c) if unicodedata.category(c) in UNPRINTABLE else c
        for c in text
    )


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 1)
    return f"{text[:keep]}... ({len(text) - keep:,} more characters)"


def quote(value: Any, limit: int = MAX_QUOTE) -> str:
    """A received value for a message: its ``repr`` (control characters escaped), cut to
    ``limit`` characters. A long list is not turned whole into text first."""
    if isinstance(value, (list, tuple)) and len(value) > limit:
        shown = quote(type(value)(value[:limit]), limit)
        return f"{shown} ({len(value):,} items)"
    if isinstance(value, dict) and len(value) > limit:
        return f"{{...}} ({len(value):,} keys)"
    return clip(printable(repr(value)), limit)


class Location(NamedTuple):
    """A position in a file: 1-based line and column, as editors count them. A NamedTuple:
    a 100,000-layer spec makes some 500,000 of them (a frozen dataclass costs 4x as much)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        file = printable(self.file)
        if self.line <= 0:
            return file
        return f"{file}:{self.line}:{self.col}"


def error_text(message: str, hint: str = "", where: str = "") -> str:
    """``[where: ]error: message`` and, on its own line, ``  hint: ...``: every error convcalc
    prints has this form."""
    text = f"{where}: error: {message}" if where else f"error: {message}"
    return text + (f"\n  hint: {hint}" if hint else "")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, which layer, what rule, what to do about it.

    ``layer`` is the layer's description (``layers[3] 'conv2d_1' (Conv2D)``) or empty for
    problems outside the layer list.
    """

    loc: Location
    message: str
    layer: str = ""
    hint: str = ""

    def __post_init__(self) -> None:
        # every message is one line of printable text of bounded length, whatever it quotes
        for name in ("message", "layer", "hint"):
            text = getattr(self, name)
            safe = clip(printable(text), MAX_MESSAGE)
            if safe is not text:
                object.__setattr__(self, name, safe)

    def render(self) -> str:
        where = f"{self.layer}: " if self.layer else ""
        return error_text(where + self.message, self.hint, str(self.loc))


class ArgError(ValueError):
    """An argument value is invalid in itself (wrong type, out of range)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class LayerError(ValueError):
    """A layer cannot accept its inputs; ``arg`` names the argument to point the user at."""

    def __init__(self, message: str, arg: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.arg = arg
        self.hint = hint


class ConvcalcError(Exception):
    """Base of every error convcalc reports to a user (exit code 2 unless said otherwise)."""

    exit_code = 2

    def render(self) -> str:
        return str(self)

    def __str__(self) -> str:
        return self.render()


@dataclass
class SpecError(ConvcalcError):
    """An input file (a spec, a weights or input file) is invalid; holds every independent
    problem found. ``partial`` is what could still be read of a spec, so that a caller can add
    the shape problems of the layers that did parse (see :func:`convcalc.analysis.load_spec`)."""

    problems: list[Problem] = field(default_factory=list)
    partial: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        shown = self.shown
        lines = [p.render() for p in shown]
        n = len(self.problems)
        if n > len(shown):
            lines.append(f"... and {n - len(shown):,} more problems (the first {len(shown)} shown)")
        if n > 1:
            files = {p.loc.file for p in self.problems}
            where = printable(next(iter(files))) if len(files) == 1 else f"{len(files)} files"
            lines.append(f"{n:,} problems in {where}")
        return "\n".join(lines)

    @property
    def shown(self) -> list[Problem]:
        """The problems to show, in file order: at most MAX_PROBLEMS of them."""
        return sorted(self.problems, key=lambda p: p.loc)[:MAX_PROBLEMS]

    def __str__(self) -> str:
        return self.render()


class UsageError(ConvcalcError):
    """A command-line argument (or a request made through the API) is invalid."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = clip(printable(message), MAX_MESSAGE)
        self.hint = clip(printable(hint), MAX_MESSAGE)

    def render(self) -> str:
        return error_text(self.message, self.hint)


class RuntimeMismatch(ConvcalcError):
    """Executing a spec gave a shape different from the analytic one (a bug: report it)."""

    exit_code = 3

    def __init__(self, loc: Location, layer: str, message: str) -> None:
        super().__init__(message)
        self.loc, self.layer, self.message = loc, layer, message

    def render(self) -> str:
        return error_text(f"{self.layer}: {self.message}", where=str(self.loc))
