"""What both compare views share: labels of variants, layers and skips; small tables."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from typing import Any

from convcalc.counting import macs_note
from convcalc.render.escape import csv_row
from convcalc.render.units import plain_shape
from convcalc.render.units import ratio as ratio_text
from convcalc.tools.compare import (
    LayerChange,
    Part,
    Skip,
    Variant,
)

MACS_NOTE = macs_note(per_sample=False)


SKIP_REASONS = {
    "transposed": "a transposed convolution",
    "depthwise": "already depthwise",
    "separable": "already separable",
    "no_separable_3d": "no SeparableConv3D exists",
    "pointwise": "1x1 kernel",
    "grouped": "already grouped (groups {groups})",
    "channels": "input channels {channels} not divisible by {by}",
    "filters": "filters {filters} not divisible by {by}",
}


def part_label(p: Part, last: bool = True) -> str:
    text = f"{p.kind} {plain_shape(p.kernel)}" if p.kernel else p.kind
    if p.groups > 1:
        text += f" groups {p.groups}"
    return text if last or not p.sets_channels else f"{text} to {p.channels}"


def parts_label(parts: tuple[Part, ...]) -> str:
    return " + ".join(part_label(p, i == len(parts) - 1) for i, p in enumerate(parts))


def variant_label(v: Variant) -> str:
    if v.key == "grouped":
        return f"grouped G={v.setting}"
    if v.key == "bottleneck":
        return f"bottleneck B={v.setting}"
    if v.key == "separable" and v.setting != 1:
        return f"separable dm={v.setting}"
    return v.key


def closed_form_text(v: Variant) -> str:
    cf = v.closed_form
    if not cf.symbols:
        return cf.formula
    where = ", ".join(f"{k}={val}" for k, val in cf.symbols)
    return f"{cf.formula} = {ratio_text(cf.value)} ({where})" + (
        "" if cf.exact else ", not exact here: see note"
    )


def skip_reason(skip: Skip) -> str:
    return SKIP_REASONS[skip.code].format(**dict(skip.values))


def change_label(c: LayerChange) -> str:
    if c.rewritten:
        return parts_label(c.after)
    if c.skip is not None:
        return f"kept: {skip_reason(c.skip)}"
    return "-"


def _fraction(x: Fraction) -> dict[str, Any]:
    return {"numerator": x.numerator, "denominator": x.denominator, "value": float(x)}


def _part_dict(p: Part) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": p.kind,
        "kernel_size": list(p.kernel),
        "groups": p.groups,
        "output_shape": list(p.output_shape),
        "params": p.params,
        "params_without_bias": p.params_without_bias,
        "macs": p.macs,
    }


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header] + [csv_row(r) for r in rows])
    return buf.getvalue()


def _notes_markdown(lines: list[str], notes: list[str]) -> str:
    return "\n".join(lines + [""] + [f"- {n}" for n in notes]) + "\n"
