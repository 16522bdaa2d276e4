"""The default ``summary`` view: a rich table in the layout of Keras's summary, plus MACs, the
columns of :mod:`convcalc.render.columns` and the sections of :mod:`convcalc.render.sections`.

The table is built at its natural width and then fitted to the output width
(:mod:`convcalc.render.fit`): only where lines break depends on the terminal, never the
content, and nothing is cut; numbers carry thousands separators.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from convcalc.analysis.blocks import ShownRow, grouping, layer_row, rows_at_depth
from convcalc.analysis.conventions import convention, default_for
from convcalc.counting import DTYPE_BYTES, macs_note
from convcalc.render.columns import COLUMNS, DEFAULT, View, header
from convcalc.render.columns import totals as column_totals
from convcalc.render.conventions import printed_totals
from convcalc.render.units import binary_bytes, grouped, si
from convcalc.report import Report

if TYPE_CHECKING:
    from rich.console import RenderableType


MAX_TABLE_ROWS = 1_000  # a longer table shows its first and last 500 rows (rich: ~0.3 ms a row)

T = TypeVar("T")

# An extra column: (header, right-justified, cell text by layer name), e.g. the --run columns.
Column = tuple[str, bool, dict[str, str]]


def abridged(rows: list[T]) -> list[T | None]:
    """``rows``, or beyond MAX_TABLE_ROWS their first and last halves with None between."""
    if len(rows) <= MAX_TABLE_ROWS:
        return list(rows)
    half = MAX_TABLE_ROWS // 2
    return [*rows[:half], None, *rows[-half:]]


def shown_rows(report: Report, depth: int | None, by: str | None = None) -> list[ShownRow]:
    """Every layer (the InputLayer row left out of a sequential model, as Keras does), or the
    rows of ``depth`` (blocks or dotted names folded, :mod:`convcalc.analysis.blocks`)."""
    if depth is None:
        rows = [layer_row(r) for r in report.rows]
    else:
        rows = rows_at_depth(report, depth, by or grouping(report))
    return [s for s in rows if not (report.model == "sequential" and s.is_input)]


def _shown(report: Report, depth: int | None, by: str | None) -> tuple[int, list[ShownRow | None]]:
    """How many rows :func:`shown_rows` has, and those of them the table shows
    (:func:`abridged`); flat, only the rows shown are made."""
    if depth is not None:
        rows = shown_rows(report, depth, by)
        return len(rows), abridged(rows)
    sequential = report.model == "sequential"
    layers = [r for r in report.rows if not (sequential and r.is_input)]
    return len(layers), [None if r is None else layer_row(r) for r in abridged(layers)]


def build_table(
    report: Report,
    extra: Sequence[Column] = (),
    footer: Sequence[tuple[str, str, str]] = (),
    batch: int | None = None,
    depth: int | None = None,
    *,
    view: View | None = None,
    columns: Sequence[str] | None = None,
    chart: bool = False,
    by: str | None = None,
    sections: Sequence[RenderableType] = (),
) -> RenderableType:
    """``batch``: shapes with that batch first (as PyTorch prints them) instead of None, and
    the counts of the whole batch; ``view``: the convention and vocabulary (default: the
    spec's own, :func:`convcalc.analysis.conventions.default_for`); ``columns``: the column
    keys of :mod:`convcalc.render.columns` (default: output shape, params, MACs and, for a
    graph, connected to); ``chart``: a bar per row, its share of the MACs; ``sections``:
    more blocks printed after the totals (memory, operators)."""
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    v = view or default_view(report, batch)
    keys = list(columns or DEFAULT)
    if columns is None and report.sequential_like:
        keys.remove("connected_to")
    table = Table(
        title=f'Model: "{report.name}"',
        box=box.SIMPLE_HEAD,
        show_footer=False,
        title_justify="left",
        pad_edge=False,
    )
    table.add_column("Layer (type)", no_wrap=True, overflow="fold")  # may wrap (fit.py)
    tail = ["connected_to"] if keys and keys[-1] == "connected_to" else []
    keys = keys[: len(keys) - len(tail)]
    for key in keys:
        table.add_column(
            header(key, v), justify="right" if COLUMNS[key].right else "left", no_wrap=True
        )
    for head, right, _ in extra:
        table.add_column(head, justify="right" if right else "left", no_wrap=True)
    if chart:
        table.add_column(f"{v.convention.header} share", no_wrap=True)
    for key in tail:
        table.add_column(header(key, v), no_wrap=True, overflow="fold")
    whole = column_totals(report, v)
    count, shown = _shown(report, depth, by)
    for s in shown:
        if s is None:
            table.add_row(
                f"... {count - MAX_TABLE_ROWS:,} more layers",
                "(--format json lists all)",
                *[""] * (len(table.columns) - 2),
            )
            continue
        cells = [_name(s, v, depth is not None)]
        cells += [COLUMNS[k].cell(s, v, whole) for k in keys]
        cells += [c.get(s.name, "") for _, _, c in extra]
        if chart:
            cells.append(bar(sum(v.convention.count(m, v.n) for m in s.members), whole.macs, s))
        cells += [COLUMNS[k].cell(s, v, whole) for k in tail]
        table.add_row(*cells)
    parts: list[RenderableType] = [table, totals_grid(report, v, footer)]
    parts += [Text(line, style="dim") for line in notes(report, v)]
    if report.incomplete:
        parts.append(Text(incomplete_note(report), style="yellow"))
    for section in sections:
        parts += [Text(""), section]
    return Group(*parts)


def _name(s: ShownRow, v: View, indent: bool) -> str:
    if s.is_block:
        what = f"{s.kind}, {s.layers} layers" if s.kind else f"{s.layers} layers"
    else:
        what = v.kind(s.row)
    return ("  " * (s.level - 1) if indent else "") + f"{s.name} ({what})"


def bar(part: int, whole: int, s: ShownRow, width: int = 20) -> str:
    """A bar of ``part / whole`` (eighths of a block, so small shares still show)."""
    if not s.counted or whole <= 0 or part <= 0:
        return ""
    eighths = max(1, round(8 * width * part / whole))
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


def table_options(
    report: Report,
    batch: int | None,
    columns: str | None = None,
    convention_name: str | None = None,
    dtype: str = "float32",
    memory: bool = False,
    operators: bool = False,
) -> dict[str, Any]:
    """The keyword arguments of :func:`build_table` for ``summary``'s options: the view (a
    convention given names the vocabulary too: keras shows Keras's names and shapes, any other
    PyTorch's), the parsed columns and the sections."""
    from convcalc.render.columns import parse_columns

    if convention_name is None:
        v = default_view(report, batch, dtype)
    else:
        v = View(convention(convention_name), convention_name != "keras", batch, dtype)
    sections: list[RenderableType] = []
    if memory:
        from convcalc.render.sections import memory_section

        sections.append(memory_section(report, v))
    if operators:
        from convcalc.render.sections import operators_section

        sections.append(operators_section(report, v))
    return {
        "view": v,
        "columns": None if columns is None else parse_columns(columns),
        "sections": sections,
    }


def default_view(report: Report, batch: int | None = None, dtype: str = "float32") -> View:
    name = default_for(report)
    return View(convention(name), name != "keras", batch, dtype)


def totals_grid(
    report: Report, v: View, footer: Sequence[tuple[str, str, str]] = ()
) -> RenderableType:
    """The totals under the table, as the convention's tool prints them (convcalc's own: params,
    trainable, non-trainable, buffers for PyTorch's view, MACs and FLOPs)."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(no_wrap=True, overflow="fold")
    c = v.convention
    n = v.n
    if c.tool:
        grid.add_row(f"As {c.describe()} prints it:", "", "")
        for line in printed_totals(c, report, n, DTYPE_BYTES[v.dtype]):
            grid.add_row("  " + line, "", "")
    else:
        total, trainable = c.params(report)
        size = binary_bytes(total * DTYPE_BYTES[v.dtype])
        grid.add_row("Total params:", grouped(total), f"({size} at {v.dtype})")
        grid.add_row("Trainable params:", grouped(trainable), "")
        grid.add_row("Non-trainable params:", grouped(total - trainable), "")
        buffers = sum(r.buffers + r.torch_buffers for r in report.rows) if c.torch_params else 0
        if buffers:
            stats = sum(r.buffers for r in report.rows)
            grid.add_row(
                "Buffers:",
                grouped(buffers),
                f"(running statistics {grouped(stats)}, num_batches_tracked "
                f"{grouped(buffers - stats)}: state, not parameters)",
            )
        t = report.totals
        per = "" if v.batch is None else f", a batch of {v.batch}"
        bound = "; at least: incomplete" if report.incomplete else ""
        grid.add_row(
            "Total MACs:",
            grouped(t.macs * n),
            f"({si(t.macs * n, 'MAC')}, {si(t.flops * n, 'FLOP')}{per}{bound})",
        )
    for row in footer:
        grid.add_row(*row)
    return grid


def notes(report: Report, v: View) -> list[str]:
    """The convention, always stated under the table."""
    c = v.convention
    if c.tool:
        return [f"Convention {c.name}: {c.note}"]
    per = v.batch is None
    first = macs_note(per) + ("" if per else f" MACs for the batch of {v.batch}.")
    params = (
        "Params as PyTorch counts them (buffers apart); --convention keras for Keras's view, "
        if c.torch_params
        else "Params as Keras counts them (BatchNorm's moving statistics non-trainable); "
        "--convention torch for PyTorch's view, "
    )
    return [
        first,
        params + "torchinfo, fvcore, thop, ptflops, calflops or flopcounter for that tool's.",
    ]


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
    **options: Any,
) -> str:
    """The table as text (with ANSI colours only when ``color`` is true); ``depth``: block
    uses deeper than that shown as one row each (None: every layer, flat); ``options``: those
    of :func:`build_table` (view, columns, chart, by, sections).

    Fitted to :func:`convcalc.render.fit.output_width` (``--width``, else $COLUMNS, else the
    terminal's width, else none: pipes and files get the natural width); the content is the same
    at every width, only where lines break changes.
    """
    return to_text(build_table(report, extra, footer, batch, depth, **options), color)


def to_text(renderable: RenderableType, color: bool | None = None, width: int | None = -1) -> str:
    """``renderable`` as text, fitted to ``width`` (-1: :func:`output_width`; None: its
    natural width) by :func:`convcalc.render.fit.fitted`: nothing is ever cut."""
    from rich.console import Console

    from convcalc.render.fit import fitted, output_width

    target = output_width() if width == -1 else width
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
    if target is not None:
        renderable, console.width = fitted(renderable, console, target)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
