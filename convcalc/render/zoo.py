"""``convcalc zoo``'s listing: a table of the zoo's specs with their totals, then their sources
(text), or one JSON object per spec."""

from __future__ import annotations

from collections.abc import Sequence

from convcalc.render.machine import dumps
from convcalc.render.units import grouped, plain_shape, si
from convcalc.tools.zoo import ZooEntry


def render_zoo(entries: Sequence[ZooEntry]) -> str:
    header = ("Name", "Input", "Params", "Trainable", "Non-trainable", "MACs", "")
    rows = [header]
    for e in entries:
        t = e.report.totals
        inputs = e.report.input_rows
        rows.append(
            (
                e.name,
                " + ".join(plain_shape(r.output_shape) for r in inputs),
                grouped(t.params),
                grouped(t.trainable_params),
                grouped(t.non_trainable_params),
                grouped(t.macs),
                f"({si(t.macs, 'MAC')})",  # "0 MAC", "486 MAC", "19.58 kMAC"
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for r in rows:
        cells = [
            c.ljust(w) if i in (0, 1, 6) else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths[:-1]))
    lines.append("")
    lines.append("Sources of the expected values (each spec's source:):")
    for e in entries:
        lines.append(f"  {e.name}: {e.source}")
    lines.append("")
    lines.append("`convcalc summary NAME` analyses one; `convcalc zoo show NAME` prints its YAML.")
    return "\n".join(lines) + "\n"


def render_zoo_json(entries: Sequence[ZooEntry]) -> str:
    return dumps([e.as_dict() for e in entries])
