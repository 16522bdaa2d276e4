"""Text and JSON of ``convcalc conv|pool|transpose`` (a :class:`Calculation`)."""

from __future__ import annotations

from typing import Any

from convcalc.counting import macs_note
from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.units import grouped
from convcalc.shapes import to_display
from convcalc.tools.calculator import Calculation


def _shapes(calc: Calculation) -> tuple[tuple[int | None, ...], tuple[int | None, ...]]:
    b = calc.built
    cf = b.report.channels_first
    lead: tuple[int | None, ...] = (b.batch,) if b.batch else (None,)
    return lead + to_display(b.row.in_shapes[0], cf), lead + to_display(b.row.shape, cf)


def render_text(calc: Calculation) -> str:
    b = calc.built
    x, y = _shapes(calc)
    where = f"{b.report.data_format}" + (f", a batch of {b.batch}" if b.batch else ", one sample")
    lines = [
        f"{b.written}: {x} -> {y} ({where})",
        f"PyTorch: {calc.torch_code}",
        f"Keras:   {calc.keras_code}",
    ]
    lines += [f"  note: {n}" for n in calc.code_notes]
    for st in calc.steps:
        lines += [
            "",
            f"Axis {st.axis}: n = {st.n}, k = {st.k}, s = {st.s}, d = {st.d}, "
            f"padding (before, after) = {st.pads}",
            f"  effective kernel  d·(k-1) + 1 = {st.d}·({st.k}-1) + 1 = {st.k_eff}",
            f"  output            {st.formula}",
            f"                    = {st.numbers}",
        ]
        lines += [f"  note: {n}" for n in st.notes]
    lines.append("")
    layout = "PyTorch" if b.row.torch_layout else "Keras"
    ws = ", ".join(f"{n} {tuple(s)}" for n, s in calc.weights) or "none"
    lines.append(f"Weights ({layout} layout): {ws}")
    lines.append(f"Params: {calc.params_text}")
    per = "per sample" + (f"; {grouped(b.row.macs * calc.batch)} for the batch" if b.batch else "")
    lines.append(f"MACs:   {calc.macs_formula}")
    if b.row.macs:
        lines.append(f"        = {calc.macs_text} ({per})")
    if calc.sampling_ops is not None:
        lines.append(
            f"Bilinear sampling: {grouped(calc.sampling_ops)} multiply-adds per sample "
            f"(4 per sampled value, 5 with the mask; not counted as MACs)"
        )
    lines.append(f"Receptive field of one output: {calc.field}")
    lines.append(macs_note())
    return "\n".join(lines) + "\n"


def calc_dict(calc: Calculation) -> dict[str, Any]:
    b = calc.built
    x, y = _shapes(calc)
    return {
        "schema_version": SCHEMA_VERSION,
        "layer": b.written,
        "data_format": b.report.data_format,
        "batch": b.batch,
        "input_shape": list(x),
        "output_shape": list(y),
        "pytorch": calc.torch_code,
        "keras": calc.keras_code,
        "axes": [
            {
                "axis": st.axis,
                "n": st.n,
                "kernel": st.k,
                "stride": st.s,
                "dilation": st.d,
                "effective_kernel": st.k_eff,
                "padding": list(st.pads),
                "formula": st.formula,
                "substituted": st.numbers,
                "output": st.out,
                "notes": list(st.notes),
            }
            for st in calc.steps
        ],
        "weights_layout": "torch" if b.row.torch_layout else "keras",
        "weights": [{"name": n, "shape": list(s)} for n, s in calc.weights],
        "params": b.row.params,
        "macs": b.row.macs,
        "macs_batch": b.row.macs * calc.batch,
        "sampling_ops": calc.sampling_ops,
        "receptive_field": calc.field,
    }
