"""``convcalc diff`` as a rich table (text), JSON or Markdown (a pull-request comment)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from convcalc.counting import TOTAL_FIELDS
from convcalc.render import escape
from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.table import to_text
from convcalc.render.units import change_percent, grouped, keras_shape, signed
from convcalc.report import LayerRow
from convcalc.tools.diff import LayerDiff, SpecDiff

if TYPE_CHECKING:
    from rich.console import RenderableType

MARKS = {"same": " ", "changed": "~", "added": "+", "removed": "-"}
LABELS = {
    "params": "Total params",
    "trainable_params": "Trainable params",
    "non_trainable_params": "Non-trainable params",
    "macs": "Total MACs",
}
SHORT = {
    "params": "Params",
    "trainable_params": "Trainable params",
    "non_trainable_params": "Non-trainable params",
    "macs": "MACs",
}


def _pair(old: str | None, new: str | None) -> str:
    if old is None:
        return new or ""
    if new is None:
        return old
    return old if old == new else f"{old} -> {new}"


def _cells(d: LayerDiff) -> list[str]:
    o, n = d.old, d.new
    kind = _pair(o.kind if o else None, n.kind if n else None)
    shape = _pair(
        keras_shape(o.output_shape) if o else None, keras_shape(n.output_shape) if n else None
    )
    params = _pair(grouped(o.params) if o else None, grouped(n.params) if n else None)
    macs = _pair(grouped(o.macs) if o else None, grouped(n.macs) if n else None)
    return [
        MARKS[d.status],
        f"{d.name} ({kind})",
        shape,
        params,
        signed((n.params if n else 0) - (o.params if o else 0)),
        macs,
        signed((n.macs if n else 0) - (o.macs if o else 0)),
    ]


def _rows(diff: SpecDiff, show_all: bool) -> list[LayerDiff]:
    return [d for d in diff.layers if show_all or d.status != "same"]


def _headline(diff: SpecDiff) -> str:
    n = {s: diff.count(s) for s in ("changed", "added", "removed")}
    if not diff.differs:
        return "No differences in output shapes, params or MACs."
    return (
        f"{n['changed']} layer{'s' if n['changed'] != 1 else ''} changed, {n['added']} "
        f"added, {n['removed']} removed"
    )


def build_table(diff: SpecDiff, show_all: bool = False) -> RenderableType:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    old, new = diff.old, diff.new
    title = escape.text(f'Model: "{old.name}" ({old.file}) -> "{new.name}" ({new.file})')
    parts: list[Any] = [Text(title), Text(_headline(diff))]
    rows = _rows(diff, show_all)
    if rows:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for header, justify in (
            ("", "left"),
            ("Layer (type)", "left"),
            ("Output Shape", "left"),
            ("Param #", "right"),
            ("Δ Params", "right"),
            ("MACs", "right"),
            ("Δ MACs", "right"),
        ):
            table.add_column(header, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for d in rows:
            table.add_row(*_cells(d))
        parts.append(table)
    totals = Table.grid(padding=(0, 1))
    for justify in ("left", "right", "left", "right", "left"):
        totals.add_column(justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for field in TOTAL_FIELDS:
        a, b = getattr(old.totals, field), getattr(new.totals, field)
        pct = f", {change_percent(a, b)}" if a and b != a else ""
        change = f"({signed(b - a)}{pct})" if b != a else "(unchanged)"
        totals.add_row(f"{LABELS[field]}:", grouped(a), "->", grouped(b), change)
    a_shape, b_shape = keras_shape(old.output_shape), keras_shape(new.output_shape)
    totals.add_row(
        "Output shape:",
        a_shape,
        "->",
        b_shape,
        "(unchanged)" if a_shape == b_shape else "(changed)",
    )
    parts.append(totals)
    return Group(*parts)


def render_text(diff: SpecDiff, show_all: bool = False, color: bool = False) -> str:
    return to_text(build_table(diff, show_all), color)


def _row_dict(r: LayerRow | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "type": r.kind,
        "output_shape": list(r.output_shape),
        "params": r.params,
        "trainable_params": r.trainable_params,
        "macs": r.macs,
    }


def diff_dict(diff: SpecDiff, show_all: bool = False) -> dict[str, Any]:
    old, new = diff.old, diff.new
    return {
        "schema_version": SCHEMA_VERSION,
        "old": {"name": old.name, "file": old.file},
        "new": {"name": new.name, "file": new.file},
        "differs": diff.differs,
        "counts": {s: diff.count(s) for s in ("changed", "added", "removed", "same")},
        "layers": [
            {
                "name": d.name,
                "status": d.status,
                "changed": list(d.changed_fields),
                "old": _row_dict(d.old),
                "new": _row_dict(d.new),
                "delta": {
                    "params": (d.new.params if d.new else 0) - (d.old.params if d.old else 0),
                    "macs": (d.new.macs if d.new else 0) - (d.old.macs if d.old else 0),
                },
            }
            for d in _rows(diff, show_all)
        ],
        "totals": {
            "old": {**old.totals.as_dict(), "output_shape": list(old.output_shape)},
            "new": {**new.totals.as_dict(), "output_shape": list(new.output_shape)},
            "delta": {f: getattr(new.totals, f) - getattr(old.totals, f) for f in TOTAL_FIELDS},
        },
    }


def render_json(diff: SpecDiff, show_all: bool = False) -> str:
    return json.dumps(diff_dict(diff, show_all), indent=2) + "\n"


def render_markdown(diff: SpecDiff, show_all: bool = False) -> str:
    old, new = diff.old, diff.new
    lines = [
        f"**convcalc diff** {escape.markdown_code(old.file)} → "
        f"{escape.markdown_code(new.file)}: {_headline(diff)}",
        "",
    ]
    rows = _rows(diff, show_all)
    if rows:
        lines += [
            "| | Layer (type) | Output Shape | Param # | Δ Params | MACs | Δ MACs |",
            "|:-:|:--|:--|--:|--:|--:|--:|",
        ]
        for d in rows:
            c = [x.replace(" -> ", " → ") for x in _cells(d)]
            c[1] = escape.markdown(c[1])  # the layer's name: a user string
            c[2] = f"`{c[2]}`"
            lines.append("| " + " | ".join(c) + " |")
        lines.append("")
    lines += ["| Total | Old | New | Δ |", "|:--|--:|--:|--:|"]
    for field in TOTAL_FIELDS:
        a, b = getattr(old.totals, field), getattr(new.totals, field)
        pct = f" ({change_percent(a, b)})" if a and b != a else ""
        lines.append(f"| {SHORT[field]} | {grouped(a)} | {grouped(b)} | {signed(b - a)}{pct} |")
    a_shape, b_shape = keras_shape(old.output_shape), keras_shape(new.output_shape)
    lines.append(
        f"| Output shape | `{a_shape}` | `{b_shape}` | "
        f"{'unchanged' if a_shape == b_shape else 'changed'} |"
    )
    return "\n".join(lines) + "\n"


def _json(diff: SpecDiff, show_all: bool = False, color: bool = False) -> str:
    return render_json(diff, show_all)


def _markdown(diff: SpecDiff, show_all: bool = False, color: bool = False) -> str:
    return render_markdown(diff, show_all)


RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": _json,
    "markdown": _markdown,
}
