"""``convcalc compare`` for one layer: the standard convolution against its variants."""

from __future__ import annotations

from typing import Any

from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.compare.common import (
    MACS_NOTE,
    _csv,
    _fraction,
    _notes_markdown,
    _part_dict,
    closed_form_text,
    parts_label,
    variant_label,
)
from convcalc.render.units import grouped, milliseconds, plain_shape, times_fewer
from convcalc.render.units import ratio as ratio_text
from convcalc.tools.compare import (
    LayerComparison,
    Part,
)


def layer_heading(cmp: LayerComparison) -> str:
    r = cmp.request
    pad = r.padding if isinstance(r.padding, str) else f"{r.padding} (each side)"
    batch = f", batch of {r.batch}" if r.batch else ", one sample"
    return (
        f"Conv2D {plain_shape(r.kernel)}, {r.filters} filter{'s' if r.filters != 1 else ''}, "
        "strides "
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
        table.add_column(  # names and the closed form may wrap to fit a width (fit.py)
            h,
            justify="left" if i in (0, 1, 2, 8) else "right",
            no_wrap=True,
            overflow="fold" if i in (0, 1, 8) else "ellipsis",
        )
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
