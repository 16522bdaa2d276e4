"""Fitting text output to a width: which width, and how a table is made to fit it.

The width is, in this order: ``--width N`` (0: no limit), the ``COLUMNS`` environment
variable, the terminal's width when standard output is a terminal, and otherwise none (a pipe,
a file or a CI log gets every table at its natural width). Only the layout depends on it: the
same names and numbers are printed at every width.

A table wider than the width first lets its text columns (names, "Connected to", notes: those
its builder gave ``overflow="fold"``) wrap at spaces, never a number or a shape; if it is
still too wide, its columns are split into consecutive tables, each repeating the first column
(the layer), as a wide data frame is printed. A table that cannot be narrowed
further is printed at its narrowest: nothing is ever cut or ellipsised.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.table import Table

MIN_WIDTH = 20
_explicit: list[int | None] = []  # set by --width for this process


def set_width(width: int | None) -> None:
    """``--width``: None leaves the choice to COLUMNS and the terminal; 0 means no limit."""
    _explicit[:] = [] if width is None else [width]


def output_width() -> int | None:
    """The width text output is fitted to (None: no limit)."""
    if _explicit:
        return _explicit[0] or None
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) >= MIN_WIDTH:
        return int(env)
    if sys.stdout.isatty():
        return max(MIN_WIDTH, shutil.get_terminal_size().columns)
    return None


def fitted(renderable: RenderableType, console: Console, width: int) -> tuple[Any, int]:
    """``renderable`` made to fit ``width``, and the width to render it at (``width``, or the
    narrowest a table can take when that is wider)."""
    from rich.console import Group
    from rich.table import Table

    if isinstance(renderable, Group):
        parts = [fitted(r, console, width) for r in renderable.renderables]
        return Group(*(p for p, _ in parts)), max([width] + [w for _, w in parts])
    if isinstance(renderable, Table) and renderable.columns:
        return _fit_table(renderable, console, width)
    return renderable, width


def _measure(table: Table, console: Console) -> tuple[int, int]:
    """The narrowest ``table`` can be printed without folding a word or wrapping a column that
    must not wrap, and its natural width."""
    ranges = _ranges(table, console)
    natural = _natural(table, console)
    overhead = natural - sum(r.maximum for r in ranges)
    least = sum(r.maximum if c.no_wrap else r.minimum for r, c in zip(ranges, table.columns))
    return overhead + least, natural


def _natural(table: Table, console: Console) -> int:
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update_width(10_000), table).maximum


def _ranges(table: Table, console: Console) -> list[Any]:
    options = console.options.update_width(10_000)
    return [table._measure_column(console, options, c) for c in table.columns]  # rich's own


def _fit_table(table: Table, console: Console, width: int) -> tuple[Any, int]:
    from rich.console import Group
    from rich.text import Text

    if _measure(table, console)[1] <= width:
        return table, width
    for column in table.columns:  # the columns built with overflow="fold" may wrap, no other
        if column.overflow == "fold":
            column.no_wrap = False
    narrowest = _measure(table, console)[0]
    if narrowest <= width or len(table.columns) <= 2 or not table.show_header:  # a grid stays
        _share_widths(table, console, width)
        return table, max(width, narrowest)
    parts: list[list[int]] = []
    current: list[int] = []
    for i in range(1, len(table.columns)):
        trial = _subtable(table, [0, *current, i], first=not parts)
        if current and _measure(trial, console)[0] > width:
            parts.append(current)
            current = [i]
        else:
            current.append(i)
    parts.append(current)
    tables = [_subtable(table, [0, *cols], first=k == 0) for k, cols in enumerate(parts)]
    for t in tables:
        _share_widths(t, console, width)
    widest = max(_measure(t, console)[0] for t in tables)
    shown: list[Any] = []
    for k, t in enumerate(tables):
        if k:
            shown.append(Text(f"(continued: columns {_names(t)})", style="dim"))
        shown.append(t)
    return Group(*shown), max(width, widest)


def _share_widths(table: Table, console: Console, width: int) -> None:
    """Fix the widths of the wrapping columns so that none is narrower than its longest word
    (rich alone narrows the widest columns first and folds words: "separabl/e"): each gets its
    narrowest plus a share of the room left, in proportion to how much more it would take."""
    ranges = _ranges(table, console)
    least, natural = _measure(table, console)
    wrapping = [i for i, c in enumerate(table.columns) if not c.no_wrap]
    room = max(width, least) - least  # a table that cannot be as narrow is printed at its least
    if natural <= width or not wrapping:
        return
    want = {i: ranges[i].maximum - ranges[i].minimum for i in wrapping}
    total = sum(want.values()) or 1
    for i in wrapping:
        extra = min(want[i], room * want[i] // total)
        table.columns[i].width = ranges[i].minimum + extra - table._get_padding_width(i)


def _names(table: Table) -> str:
    return ", ".join(str(c.header) for c in table.columns[1:])


def _subtable(table: Table, indexes: list[int], first: bool) -> Table:
    """A copy of ``table`` with only these columns (the title on the first part only)."""
    from rich.table import Table

    sub = Table(
        title=table.title if first else None,
        box=table.box,
        show_header=table.show_header,
        show_edge=table.show_edge,
        pad_edge=table.pad_edge,
        padding=table.padding,
        title_justify=table.title_justify,
    )
    for i in indexes:
        column = copy.copy(table.columns[i])
        column._index = len(sub.columns)
        sub.columns.append(column)
    sub.rows = list(table.rows)
    return sub
