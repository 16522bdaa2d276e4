"""The one exception hierarchy of convcalc.

Library code raises only these; ``cli.py`` turns them into a message on stderr and an exit code,
in exactly one place. Every problem carries a :class:`Location` so that a user can jump to the
line of the spec that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where, which layer, what rule, what to do about it.

    ``layer`` is the layer's description (``layers[3] 'conv2d_1' (Conv2D)``) or empty for
    problems outside the layer list.
    """

    loc: Location
    message: str
    layer: str = ""
    hint: str = ""

    def render(self) -> str:
        where = f"{self.layer}: " if self.layer else ""
        text = f"{self.loc}: error: {where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class ConvcalcError(Exception):
    """Base of every error convcalc reports to a user (exit code 2 unless said otherwise)."""

    exit_code = 2

    def render(self) -> str:
        return str(self)


@dataclass
class SpecError(ConvcalcError):
    """A spec (or a command-line request) is invalid; holds every independent problem found."""

    problems: list[Problem] = field(default_factory=list)

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
    """A command-line argument is invalid (not tied to a spec file)."""


class RuntimeMismatch(ConvcalcError):
    """Executing a spec gave a shape different from the analytic one (a bug: report it)."""

    exit_code = 3
