"""The one exception hierarchy of convcalc, and the one place where errors become text.

Library code raises only these; the CLI turns them into a message on stderr and an exit code, in
exactly one place. Every problem in an input file carries a :class:`Location` so that a user can
jump to the line that caused it. :class:`ArgError` and :class:`LayerError` are internal: the
loader and the engine turn them into :class:`Problem` objects with the layer's location.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Location:
    """A position in a file: 1-based line and column, as editors count them."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


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
        lines = [p.render() for p in sorted(self.problems, key=lambda p: p.loc)]
        files = {p.loc.file for p in self.problems}
        if len(self.problems) > 1:
            where = next(iter(files)) if len(files) == 1 else f"{len(files)} files"
            lines.append(f"{len(self.problems)} problems in {where}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class UsageError(ConvcalcError):
    """A command-line argument (or a request made through the API) is invalid."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

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
