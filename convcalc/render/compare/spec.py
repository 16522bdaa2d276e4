"""``convcalc compare SPEC``: every eligible convolution of a spec, before and after."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from convcalc.render import escape
from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.compare.common import (
    MACS_NOTE,
    _csv,
    _fraction,
    _notes_markdown,
    _part_dict,
    change_label,
    skip_reason,
)
from convcalc.render.units import grouped, milliseconds, share, speed, times_fewer
from convcalc.render.units import ratio as ratio_text
from convcalc.tools.compare import (
    SpecComparison,
    transform_flags,
)
from convcalc.tools.compare.results import SPEC_REPEATS


def spec_heading(cmp: SpecComparison) -> str:
    what = {
        "separable": "a separable convolution (depthwise + pointwise 1x1)",
        "grouped": f"grouped convolutions (groups {cmp.transform.value})",
        "bottleneck": f"a 1x1 reduction to C_in/{cmp.transform.value} channels followed by "
        f"the convolution",
    }[cmp.transform.kind]
    return escape.text(
        f"{cmp.before.name} -> {cmp.after.name} ({cmp.before.file} "
        f"{transform_flags(cmp.transform)}): every eligible convolution as {what}"
    )


def spec_totals(cmp: SpecComparison) -> list[tuple[str, str, str, str]]:
    b, a = cmp.before.totals, cmp.after.totals
    macs_ratio = Fraction(a.macs, b.macs) if b.macs else Fraction(1)
    return [
        (
            "Total params:",
            grouped(b.params),
            grouped(a.params),
            f"saved {grouped(b.params - a.params)}, {share(b.params - a.params, b.params)}",
        ),
        (
            "Total MACs:",
            grouped(b.macs),
            grouped(a.macs),
            f"saved {grouped(b.macs - a.macs)}, {share(b.macs - a.macs, b.macs)}; "
            f"{times_fewer(macs_ratio)}",
        ),
    ] + (
        []
        if cmp.forward_ns is None
        else [
            (
                "Forward time:",
                milliseconds(cmp.forward_ns[0], 2),
                milliseconds(cmp.forward_ns[1], 2),
                f"median of {SPEC_REPEATS} forwards after a warm-up; {speed(*cmp.forward_ns)}",
            )
        ]
    )


def spec_notes(cmp: SpecComparison) -> list[str]:
    convs = sum(1 for c in cmp.changes if c.rewritten or c.skip is not None)
    notes = [f"Rewrote {len(cmp.rewritten)} of {convs} convolutions."]
    by_reason: dict[str, list[str]] = {}
    for c in cmp.skipped:
        by_reason.setdefault(skip_reason(c.skip), []).append(c.name)  # type: ignore[arg-type]
    for reason, names in by_reason.items():
        notes.append(f"Not rewritten ({reason}): {', '.join(names)}.")
    if cmp.transform.kind == "bottleneck":
        notes.append(
            f"--bottleneck {cmp.transform.value} is a reduction factor: a convolution "
            f"with C_in input channels gets a 1x1 convolution to "
            f"C_in/{cmp.transform.value} channels before it (same activation and bias)."
        )
    notes.append(MACS_NOTE + " Layers without params or MACs are not shown.")
    return notes


def _change_rows(cmp: SpecComparison) -> list[list[str]]:
    rows = []
    for c in cmp.changes:
        ratio = Fraction(c.macs_after, c.macs_before) if c.macs_before else Fraction(1)
        rows.append(
            [
                f"{c.name} ({c.kind})",
                change_label(c),
                grouped(c.params_before),
                grouped(c.params_after),
                grouped(c.macs_before),
                grouped(c.macs_after),
                ratio_text(ratio),
            ]
        )
    return rows


SPEC_HEADERS = [
    "Layer (type)",
    "Rewritten as",
    "Params",
    "Params after",
    "MACs",
    "MACs after",
    "MACs ratio",
]


def build_spec_table(cmp: SpecComparison) -> Any:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, h in enumerate(SPEC_HEADERS):
        table.add_column(h, justify="right" if i >= 2 else "left", no_wrap=True)
    for row in _change_rows(cmp):
        table.add_row(*row)
    totals = Table.grid(padding=(0, 1))
    for justify in ("left", "right", "left", "right", "left"):
        totals.add_column(justify=justify, no_wrap=True)
    for label, before, after, saved in spec_totals(cmp):
        totals.add_row(label, before, "->", after, f"({saved})")
    notes = spec_notes(cmp)
    styled = [Text(n, style="dim" if i == len(notes) - 1 else "") for i, n in enumerate(notes)]
    return Group(Text(spec_heading(cmp)), table, totals, *styled)


def spec_dict(cmp: SpecComparison) -> dict[str, Any]:
    b, a = cmp.before.totals, cmp.after.totals
    return {
        "schema_version": SCHEMA_VERSION,
        "mode": "spec",
        "name": cmp.before.name,
        "file": cmp.before.file,
        "rewritten_name": cmp.after.name,
        "transform": {"kind": cmp.transform.kind, "value": cmp.transform.value},
        "layers": [
            {
                "name": c.name,
                "type": c.kind,
                "rewritten": c.rewritten,
                "skip": None
                if c.skip is None
                else {"code": c.skip.code, "reason": skip_reason(c.skip), **dict(c.skip.values)},
                "after": [_part_dict(p) for p in c.after],
                "params_before": c.params_before,
                "params_after": c.params_after,
                "macs_before": c.macs_before,
                "macs_after": c.macs_after,
            }
            for c in cmp.changes
        ],
        "totals": {
            "params_before": b.params,
            "params_after": a.params,
            "macs_before": b.macs,
            "macs_after": a.macs,
            "params_saved": b.params - a.params,
            "macs_saved": b.macs - a.macs,
            "macs_ratio": _fraction(Fraction(a.macs, b.macs) if b.macs else Fraction(1)),
            **(
                {}
                if cmp.forward_ns is None
                else {"forward_ns_before": cmp.forward_ns[0], "forward_ns_after": cmp.forward_ns[1]}
            ),
        },
    }


def spec_markdown(cmp: SpecComparison) -> str:
    lines = [
        f"**{escape.markdown(spec_heading(cmp))}**",
        "",
        "| " + " | ".join(SPEC_HEADERS) + " |",
        "|:--|:--|--:|--:|--:|--:|--:|",
    ]
    lines += [
        "| " + " | ".join([escape.markdown(row[0]), *row[1:]]) + " |" for row in _change_rows(cmp)
    ]
    (_, p_before, p_after, p_saved), (_, m_before, m_after, m_saved) = spec_totals(cmp)[:2]
    lines.append(
        f"| **Total** | | **{p_before}** | **{p_after}** | **{m_before}** | **{m_after}** | |"
    )
    lines += [
        "",
        f"Params: {p_before} -> {p_after} ({p_saved}). MACs: {m_before} -> {m_after} ({m_saved}).",
    ]
    return _notes_markdown(lines, spec_notes(cmp))


def spec_csv(cmp: SpecComparison) -> str:
    return _csv(
        [
            "name",
            "type",
            "rewritten_as",
            "params_before",
            "params_after",
            "macs_before",
            "macs_after",
        ],
        [
            [
                c.name,
                c.kind,
                change_label(c),
                c.params_before,
                c.params_after,
                c.macs_before,
                c.macs_after,
            ]
            for c in cmp.changes
        ],
    )
