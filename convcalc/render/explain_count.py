"""Text and JSON of ``convcalc explain-count`` (an
:class:`~convcalc.analysis.conventions.explain.Explanation`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from convcalc.analysis.conventions.explain import Explanation
from convcalc.render.conventions import printed_totals
from convcalc.render.units import grouped, signed
from convcalc.report import Report

if TYPE_CHECKING:
    from rich.console import RenderableType


def _pct(diff: int, base: int) -> str:
    return f"{100 * diff / base:+.2f}%" if base else "--"


def _unit(e: Explanation) -> str:
    return "FLOPs" if e.tool.unit == "FLOP" else "MACs"


def _ours(e: Explanation) -> str:
    return f"convcalc ({e.base.name}{', x 2: FLOPs' if e.factor == 2 else ''})"


def explanation_parts(report: Report, e: Explanation) -> list[RenderableType]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    tool = e.tool.describe()
    per = "one sample" if e.batch == 1 else f"a batch of {e.batch}"
    parts: list[RenderableType] = [Text(f'{tool} against {_ours(e)} on "{report.name}", {per}:')]
    if e.refusal:
        parts.append(Text(f"  {tool} prints no count here: {e.refusal}"))
    grid = Table.grid(padding=(0, 1))
    for justify in ("left", "right", "left"):
        grid.add_column(justify=justify, no_wrap=True)
    diff = e.theirs - e.ours
    grid.add_row(f"  {_ours(e)}:", grouped(e.ours), _unit(e))
    name = e.tool.name
    change = f"({signed(diff)}, {_pct(diff, e.ours)})"
    grid.add_row(f"  {name}:", grouped(e.theirs), f"{_unit(e)} {change}")
    p_ours, p_theirs = e.params
    grid.add_row(f"  params, {e.base.name}:", grouped(p_ours), "")
    grid.add_row(
        f"  params, {name}:",
        grouped(p_theirs),
        "(" + signed(p_theirs - p_ours) + ": BatchNorm's statistics are buffers in PyTorch)"
        if p_theirs != p_ours
        else "",
    )
    parts.append(grid)
    if not e.differences:
        every = "The layer counts" if e.layers == 1 else f"All {e.layers} layers count"
        parts.append(Text(f"{every} the same."))
    else:
        n = len(e.differences)
        which = "the layer that differs" if n == 1 else f"the {n} layers that differ"
        parts.append(Text(f"What {tool} counts in {which}:"))
        why = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        why.add_column(f"{name} counts", no_wrap=True, overflow="fold")
        why.add_column("Layers", justify="right", no_wrap=True)
        why.add_column(_unit(e), justify="right", no_wrap=True)
        for what, n, total in e.by_reason:
            why.add_row(what, grouped(n), grouped(total))
        parts.append(why)
        parts.append(Text(f"Layers that differ ({len(e.differences)} of {e.layers}):"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("Layer (type)", no_wrap=True, overflow="fold")
        for head in ("convcalc", e.tool.name, "difference"):
            table.add_column(head, justify="right", no_wrap=True)
        table.add_column(f"{e.tool.name}: its terms", no_wrap=True, overflow="fold")
        for d in e.differences:
            if len(d.terms) == 1:
                terms = d.terms[0].what
            else:
                terms = "; ".join(f"{t.what} {grouped(t.value)}" for t in d.terms) or "nothing"
            if d.params[0] != d.params[1]:
                terms += f"; params {grouped(d.params[1])} (convcalc {grouped(d.params[0])})"
            table.add_row(
                f"{d.name} ({d.kind})",
                grouped(d.ours),
                grouped(d.theirs),
                signed(d.theirs - d.ours),
                terms,
            )
        parts.append(table)
    if not e.refusal:
        parts.append(Text(f"{tool} prints:"))
        parts += [Text("  " + line) for line in printed_totals(e.tool, report, e.batch)]
    parts.append(Text(f"Convention {e.tool.name}: {e.tool.note}", style="dim"))
    parts.append(Text(f"Convention {e.base.name}: {e.base.note}", style="dim"))
    return parts


def explanation_text(report: Report, e: Explanation, color: bool | None = None) -> str:
    from rich.console import Group

    from convcalc.render.table import to_text

    return to_text(Group(*explanation_parts(report, e)), color)


def explanation_dict(report: Report, e: Explanation) -> dict[str, Any]:
    return {
        "spec": report.name,
        "batch": e.batch,
        "convcalc": {"convention": e.base.name, "count": e.ours, "params": e.params[0]},
        "tool": {
            "convention": e.tool.name,
            "name": e.tool.describe(),
            "unit": e.tool.unit,
            "count": e.theirs,
            "params": e.params[1],
            "refuses": e.refusal or None,
            "printed": [] if e.refusal else printed_totals(e.tool, report, e.batch),
        },
        "by_reason": [{"counts": w, "layers": n, "value": v} for w, n, v in e.by_reason],
        "layers": [
            {
                "name": d.name,
                "module": d.kind,
                "convcalc": d.ours,
                "tool": d.theirs,
                "terms": [{"counts": t.what, "value": t.value} for t in d.terms],
                "params": {"convcalc": d.params[0], "tool": d.params[1]},
            }
            for d in e.differences
        ],
    }
