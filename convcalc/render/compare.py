"""Text for ``convcalc compare``: one layer against its variants, or a spec before and after.

Formats as for ``summary``: a rich table at its natural width (``text``), ``json``, ``markdown``
and ``csv``. Ratios are computed as exact fractions in :mod:`convcalc.compare` and shown here
with 4 significant digits.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from convcalc.counting import macs_note
from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.table import to_text
from convcalc.render.units import (
    grouped,
    milliseconds,
    plain_shape,
    share,
    speed,
    times_fewer,
)
from convcalc.render.units import ratio as ratio_text
from convcalc.tools.compare import (
    LayerChange,
    LayerComparison,
    Part,
    Skip,
    SpecComparison,
    Variant,
    transform_flags,
)
from convcalc.tools.compare.results import SPEC_REPEATS

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


# --- one layer ---------------------------------------------------------------------------------
def layer_heading(cmp: LayerComparison) -> str:
    r = cmp.request
    pad = r.padding if isinstance(r.padding, str) else f"{r.padding} (each side)"
    batch = f", batch of {r.batch}" if r.batch else ", one sample"
    return (
        f"Conv2D {plain_shape(r.kernel)}, {r.filters} filters, strides "
        f"{plain_shape(r.strides)}, padding {pad}, dilation {plain_shape(r.dilation)}: "
        f"{plain_shape(r.display_input)} -> "
        f"{plain_shape(cmp.standard.output_shape)} ({r.data_format}{batch})"
    )


def layer_notes(cmp: LayerComparison) -> list[str]:
    r = cmp.request
    k = plain_shape(r.kernel)
    notes = [
        MACS_NOTE
        + (
            f" MACs are for all {r.batch} samples; params do not depend on the batch."
            if r.batch
            else ""
        )
    ]
    keys = {v.key: v for v in cmp.variants}
    if "separable" in keys:
        notes.append(
            f"separable: DepthwiseConv2D {k} (no bias) then Conv2D 1x1, as Keras's "
            f"SeparableConv2D; closed form from MobileNet (arXiv 1704.04861), exact."
        )
    if "grouped" in keys:
        notes.append(
            "grouped: each of the G groups maps M/G input channels to N/G outputs; 1/G is exact."
        )
    for v in cmp.variants:
        if v.key == "bottleneck":
            reduce, conv = v.parts
            text = (
                f"bottleneck B={v.setting}: Conv2D 1x1 to B channels at stride 1, then the "
                f"{k} convolution (Inception, arXiv 1409.4842)"
            )
            if not v.closed_form.exact:
                text += (
                    f"; the closed form assumes both run on the same positions, but here "
                    f"the 1x1 runs on the {plain_shape(_spatial(reduce, r))} input and the "
                    f"{k} on the {plain_shape(_spatial(conv, r))} output, so it costs more"
                )
            notes.append(text + ".")
    if "spatial" in keys:
        v = keys["spatial"]
        first = v.parts[0]
        text = (
            f"spatial: Conv2D {r.kernel[0]}x1 to C=min(M, N) channels, then Conv2D "
            f"1x{r.kernel[1]}; it equals the {k} convolution only for rank-1 kernels "
            f"(a column times a row, like Sobel): a cheaper layer, not an exact rewrite"
        )
        if not v.closed_form.exact:
            text += (
                f"; the closed form assumes the first step already has the output width, "
                f"but it runs on {plain_shape(_spatial(first, r))} positions"
            )
        notes.append(text + ".")
    return notes


def _spatial(p: Part, r: Any) -> tuple[int, ...]:
    shape = p.output_shape[1:] if r.batch else p.output_shape
    return tuple(shape[1:]) if r.channels_first else tuple(shape[:-1])


def _timed(cmp: LayerComparison) -> bool:
    return any(v.median_ns is not None for v in cmp.variants)


def layer_headers(cmp: LayerComparison) -> list[str]:
    return LAYER_HEADERS + (["Median time"] if _timed(cmp) else [])


def _layer_rows(cmp: LayerComparison) -> list[list[str]]:
    rows = []
    for v in cmp.variants:
        ratio = cmp.macs_ratio(v)
        timing = [milliseconds(v.median_ns) if v.median_ns is not None else "-"]
        rows.append(
            [
                variant_label(v),
                parts_label(v.parts),
                plain_shape(v.output_shape),
                grouped(v.params),
                grouped(v.params_without_bias),
                grouped(v.macs),
                " + ".join(grouped(p.macs) for p in v.parts) if len(v.parts) > 1 else "",
                ratio_text(ratio) + ("" if ratio == 1 else f" ({times_fewer(ratio)})"),
                closed_form_text(v),
            ]
            + (timing if _timed(cmp) else [])
        )
    return rows


LAYER_HEADERS = [
    "Variant",
    "Layers",
    "Output",
    "Params",
    "w/o bias",
    "MACs",
    "MACs per layer",
    "vs standard",
    "Closed form (MACs ratio)",
]


def build_layer_table(cmp: LayerComparison) -> Any:
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, h in enumerate(layer_headers(cmp)):
        table.add_column(h, justify="left" if i in (0, 1, 2, 8) else "right", no_wrap=True)
    for row in _layer_rows(cmp):
        table.add_row(*row)
    notes = [Text(n, style="dim") for n in layer_notes(cmp)]
    return Group(Text(layer_heading(cmp)), table, *notes)


def layer_dict(cmp: LayerComparison) -> dict[str, Any]:
    r = cmp.request
    return {
        "schema_version": SCHEMA_VERSION,
        "mode": "layer",
        "input_shape": list(r.display_input),
        "batch": r.batch,
        "data_format": r.data_format,
        "kernel_size": list(r.kernel),
        "filters": r.filters,
        "strides": list(r.strides),
        "padding": r.padding,
        "dilation_rate": list(r.dilation),
        "use_bias": r.use_bias,
        "variants": [
            {
                "variant": v.key,
                "setting": v.setting or None,
                "layers": [_part_dict(p) for p in v.parts],
                "output_shape": list(v.output_shape),
                "params": v.params,
                "params_without_bias": v.params_without_bias,
                "macs": v.macs,
                "macs_ratio": _fraction(cmp.macs_ratio(v)),
                "params_ratio": _fraction(cmp.params_ratio(v)),
                "closed_form": {
                    "formula": v.closed_form.formula,
                    "symbols": dict(v.closed_form.symbols),
                    **_fraction(v.closed_form.value),
                    "exact": v.closed_form.exact,
                },
                **({"median_ns": v.median_ns} if v.median_ns is not None else {}),
            }
            for v in cmp.variants
        ],
    }


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


def layer_markdown(cmp: LayerComparison) -> str:
    lines = [
        f"**{layer_heading(cmp)}**",
        "",
        "| " + " | ".join(layer_headers(cmp)) + " |",
        "|:--|:--|:--|--:|--:|--:|--:|--:|:--|" + ("--:|" if _timed(cmp) else ""),
    ]
    for row in _layer_rows(cmp):
        row[2] = f"`{row[2]}`"
        lines.append("| " + " | ".join(row) + " |")
    return _notes_markdown(lines, layer_notes(cmp))


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header] + rows)
    return buf.getvalue()


def _notes_markdown(lines: list[str], notes: list[str]) -> str:
    return "\n".join(lines + [""] + [f"- {n}" for n in notes]) + "\n"


def layer_csv(cmp: LayerComparison) -> str:
    rows = []
    for v in cmp.variants:
        cf = v.closed_form
        rows.append(
            [
                v.key,
                v.setting or "",
                parts_label(v.parts),
                plain_shape(v.output_shape),
                v.params,
                v.params_without_bias,
                v.macs,
                ";".join(str(p.macs) for p in v.parts),
                ratio_text(cmp.macs_ratio(v)),
                cf.formula,
                ratio_text(cf.value),
                "yes" if cf.exact else "no",
            ]
        )
    return _csv(
        [
            "variant",
            "setting",
            "layers",
            "output_shape",
            "params",
            "params_without_bias",
            "macs",
            "macs_per_layer",
            "macs_ratio",
            "closed_form",
            "closed_form_value",
            "closed_form_exact",
        ],
        rows,
    )


# --- a whole spec ------------------------------------------------------------------------------
def spec_heading(cmp: SpecComparison) -> str:
    what = {
        "separable": "a separable convolution (depthwise + pointwise 1x1)",
        "grouped": f"grouped convolutions (groups {cmp.transform.value})",
        "bottleneck": f"a 1x1 reduction to C_in/{cmp.transform.value} channels followed by "
        f"the convolution",
    }[cmp.transform.kind]
    return (
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
        f"**{spec_heading(cmp)}**",
        "",
        "| " + " | ".join(SPEC_HEADERS) + " |",
        "|:--|:--|--:|--:|--:|--:|--:|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in _change_rows(cmp)]
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


# --- entry point -------------------------------------------------------------------------------
def render_comparison(cmp: LayerComparison | SpecComparison, fmt: str, color: bool = False) -> str:
    """``fmt``: text (the rich table), json, markdown or csv."""
    if isinstance(cmp, LayerComparison):
        views = LAYER_VIEWS
    else:
        views = SPEC_VIEWS
    if fmt == "text":
        return to_text(views["text"](cmp), color)
    return views[fmt](cmp)  # type: ignore[no-any-return]


def _json(doc: Callable[[Any], dict[str, Any]]) -> Callable[[Any], str]:
    return lambda cmp: json.dumps(doc(cmp), indent=2, ensure_ascii=False) + "\n"


LAYER_VIEWS: dict[str, Callable[[Any], Any]] = {
    "text": build_layer_table,
    "json": _json(layer_dict),
    "markdown": layer_markdown,
    "csv": layer_csv,
}
SPEC_VIEWS: dict[str, Callable[[Any], Any]] = {
    "text": build_spec_table,
    "json": _json(spec_dict),
    "markdown": spec_markdown,
    "csv": spec_csv,
}
