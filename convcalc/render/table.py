"""The default ``summary`` view: a rich table in the layout of Keras's summary, plus MACs.

The table is built for its natural width (never cut or wrapped to the terminal), so its content
never depends on the terminal; numbers carry thousands separators.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from convcalc.analysis.blocks import rows_at_depth
from convcalc.counting import macs_note
from convcalc.render.units import batch_shape, binary_bytes, grouped, keras_shape, si
from convcalc.report import Report

if TYPE_CHECKING:
    from rich.console import RenderableType


MAX_TABLE_ROWS = 1_000  # a longer table shows its first and last 500 rows (rich: ~0.3 ms a row)

T = TypeVar("T")

# An extra column: (header, right-justified, cell text by layer name), e.g. the --run columns.
Column = tuple[str, bool, dict[str, str]]


def _cells(
    report: Report, depth: int | None, batch: int | None = None
) -> list[tuple[str, str, str, str, str, str]]:
    """(layer, shape, params, MACs, connected to, name for the extra columns) per shown row:
    every layer, or the rows of ``depth`` (block uses folded, :mod:`convcalc.analysis.blocks`);
    with ``batch``, shapes with the batch first and the MACs of the whole batch."""

    def shape(s: tuple[int, ...]) -> str:
        return keras_shape(s) if batch is None else batch_shape(batch, s)

    n = batch or 1
    if depth is None:
        return [
            (
                f"{r.name} ({r.kind})",
                shape(r.output_shape),
                grouped(r.params),
                "?" if r.incomplete else grouped(r.macs * n),
                "\n".join(r.inputs),
                r.name,
            )
            for r in report.rows
            if not (report.model == "sequential" and r.is_input)
        ]
    out = []
    for s in rows_at_depth(report, depth):
        if report.model == "sequential" and s.is_input:
            continue
        what = f"{s.kind}, {s.layers} layers" if s.is_block else s.kind
        out.append(
            (
                "  " * (s.level - 1) + f"{s.name} ({what})",
                shape(s.output_shape),
                grouped(s.params) if s.counted else "--",
                grouped(s.macs * n) if s.counted else "--",
                "\n".join(s.inputs),
                s.name,
            )
        )
    return out


def abridged(rows: list[T]) -> list[T | None]:
    """``rows``, or beyond MAX_TABLE_ROWS their first and last halves with None between."""
    if len(rows) <= MAX_TABLE_ROWS:
        return list(rows)
    half = MAX_TABLE_ROWS // 2
    return [*rows[:half], None, *rows[-half:]]


def build_table(
    report: Report,
    extra: Sequence[Column] = (),
    footer: Sequence[tuple[str, str, str]] = (),
    batch: int | None = None,
    depth: int | None = None,
) -> RenderableType:
    """``batch``: shapes with that batch first (as PyTorch prints them) instead of None, and
    the MACs of the whole batch."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    connected = not report.sequential_like
    table = Table(
        title=f'Model: "{report.name}"',
        box=box.SIMPLE_HEAD,
        show_footer=False,
        title_justify="left",
        pad_edge=False,
    )
    table.add_column("Layer (type)", no_wrap=True)
    table.add_column("Output Shape", no_wrap=True)
    table.add_column("Param #", justify="right", no_wrap=True)
    table.add_column("MACs", justify="right", no_wrap=True)
    for header, right, _ in extra:
        table.add_column(header, justify="right" if right else "left", no_wrap=True)
    if connected:
        table.add_column("Connected to", no_wrap=True)
    rows = _cells(report, depth, batch)
    for shown in abridged(rows):
        if shown is None:
            table.add_row(
                f"... {len(rows) - MAX_TABLE_ROWS:,} more layers",
                "(--format json lists all)",
                *[""] * (len(table.columns) - 2),
            )
            continue
        layer, shape, params, macs, inputs, name = shown
        cells = [layer, shape, params, macs] + [cells.get(name, "") for _, _, cells in extra]
        if connected:
            cells.append(inputs)
        table.add_row(*cells)
    t = report.totals
    totals = Table.grid(padding=(0, 1))
    totals.add_column(no_wrap=True)
    totals.add_column(justify="right", no_wrap=True)
    totals.add_column(no_wrap=True)
    totals.add_row(
        "Total params:", grouped(t.params), f"({binary_bytes(t.param_bytes('float32'))} at float32)"
    )
    totals.add_row("Trainable params:", grouped(t.trainable_params), "")
    totals.add_row("Non-trainable params:", grouped(t.non_trainable_params), "")
    n = batch or 1
    per = "" if batch is None else f", a batch of {batch}"
    bound = "; at least: incomplete" if report.incomplete else ""
    totals.add_row(
        "Total MACs:",
        grouped(t.macs * n),
        f"({si(t.macs * n)}MAC, {si(t.flops * n)}FLOP{per}{bound})",
    )
    for row in footer:
        totals.add_row(*row)
    note = Text(
        macs_note() if batch is None else macs_note(False) + f" MACs for the batch of {batch}.",
        style="dim",
    )
    if not report.incomplete:
        return Group(table, totals, note)
    return Group(table, totals, note, Text(incomplete_note(report), style="yellow"))


def incomplete_note(report: Report) -> str:
    """The lines that say which layers are not analysable (every text output prints them)."""
    rows = report.incomplete
    lines = [
        f"Incomplete: {len(rows)} layer{'s' if len(rows) != 1 else ''} not analysable "
        f"(MACs shown as ?; the totals are lower bounds):"
    ]
    lines += [f"  {r.name} ({r.kind}): {r.incomplete}" for r in rows]
    return "\n".join(lines)


def render_table(
    report: Report,
    color: bool | None = None,
    extra: Sequence[Column] = (),
    footer: Sequence[tuple[str, str, str]] = (),
    batch: int | None = None,
    depth: int | None = None,
) -> str:
    """The table as text (with ANSI colours only when ``color`` is true); ``depth``: block
    uses deeper than that shown as one row each (None: every layer, flat).

    Rendered on a console far wider than any table, so nothing is wrapped or cut whatever the
    terminal's width; a table that does not expand takes only its natural width.
    """
    return to_text(build_table(report, extra, footer, batch, depth), color)


def to_text(renderable: RenderableType, color: bool | None = None) -> str:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(
        width=10_000,
        file=buf,
        force_terminal=bool(color),
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        markup=False,  # names like "[red]" or "[/x]" are text, not styles
        emoji=False,
        legacy_windows=False,
        soft_wrap=False,
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
