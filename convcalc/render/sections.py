"""The sections ``summary`` can print after its totals: ``--memory`` (the footprint, each
figure with its assumptions) and ``--operators`` (per operator class, as fvcore's by-operator
table and FlopCounterMode's per-operator counts group them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from convcalc.analysis.conventions import convention
from convcalc.analysis.footprint import OPTIMIZERS, footprint
from convcalc.counting import DTYPE_BYTES
from convcalc.layers.counts import OPERATORS
from convcalc.render.columns import View
from convcalc.render.conventions import printed_totals
from convcalc.render.units import binary_bytes, grouped, share
from convcalc.report import Report

if TYPE_CHECKING:
    from rich.console import RenderableType


def _size(n: int) -> str:
    return f"{binary_bytes(n)} ({grouped(n)} B)"


def memory_section(report: Report, v: View) -> RenderableType:
    """The memory a forward pass and a training step need (:mod:`convcalc.analysis.footprint`)."""
    from rich.table import Table

    itemsize = DTYPE_BYTES[v.dtype]
    f = footprint(report, v.n, itemsize)
    grid = Table.grid(padding=(0, 1))
    grid.title = f"Memory ({v.dtype}, batch {v.n}):"
    grid.title_justify = "left"
    for _ in range(3):
        grid.add_column(no_wrap=True)
    grid.columns[1].justify = "right"
    grid.columns[2].overflow = "fold"  # the assumptions wrap to fit a width (fit.py)
    grid.add_row("Input:", _size(f.inputs), "the input tensors")
    grid.add_row("Parameters:", _size(f.params), "every weight and BatchNorm's running statistics")
    grid.add_row("Forward activations:", _size(f.activations), "every layer's output once")
    grid.add_row(
        "Peak inference:",
        _size(f.inference),
        f"input + parameters + {binary_bytes(f.peak_live)} of activations alive at once (at "
        f"{f.peak_layer}): layers in spec order, each output freed after its last consumer, "
        "nothing in place, no framework workspace",
    )
    for name, state in OPTIMIZERS.items():
        extra = f" + {state} state buffer{'s' if state > 1 else ''} each" if state else ""
        grid.add_row(
            f"Training, {name}:",
            _size(f.training(state)),
            f"input + parameters + gradients ({binary_bytes(f.trainable)}){extra} + "
            f"{binary_bytes(f.kept)} kept for backward"
            + (
                " (inputs of convolutions, Linear, normalisation and pooling, outputs of "
                "activations, pooling indices, BatchNorm statistics)"
                if state == 0
                else ""
            ),
        )
    torchinfo = printed_totals(convention("torchinfo"), report, v.n, itemsize)
    grid.add_row(
        "torchinfo's estimate:",
        torchinfo[-1].split(": ")[-1] + " MB",
        "its Estimated Total Size: input + 2 x the outputs of layers with parameters + "
        "parameters (10^6 bytes a MB)",
    )
    return grid


def operators_section(report: Report, v: View) -> RenderableType:
    """Layers, parameters and counts per operator class (conv, linear, norm, activation, pool,
    merge, reshape, other), in the view's convention, with convcalc's backward MACs."""
    from rich import box
    from rich.table import Table

    c = v.convention
    table = Table(
        title="By operator:",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        caption="Backward MACs (convcalc's): an input and a weight gradient per weighted layer, "
        "each as many MACs as its forward; no input gradient where no earlier layer trains.",
        caption_justify="left",
    )
    table.add_column("Operator", no_wrap=True)
    for head in ("Layers", "Param #", c.header, f"{c.header} %", "Backward MACs"):
        table.add_column(head, justify="right", no_wrap=True)
    total = c.total(report, v.n)
    for op in OPERATORS:
        rows = [r for r in report.rows if r.operator == op]
        if not rows:
            continue
        count = sum(c.count(r, v.n) for r in rows)
        table.add_row(
            op,
            grouped(len(rows)),
            grouped(sum(c.row_params(r) for r in rows)),
            grouped(count),
            share(count, total),
            grouped(sum(r.backward_macs for r in rows) * v.n),
        )
    backward = sum(r.backward_macs for r in report.rows) * v.n
    table.add_row(
        "all",
        grouped(sum(1 for r in report.rows if not r.is_input)),
        grouped(c.params(report)[0]),
        grouped(total),
        share(total, total),
        grouped(backward),
        end_section=True,
    )
    return table


def memory_dict(report: Report, v: View) -> dict[str, Any]:
    """The memory section's figures in bytes (``--format json --memory``)."""
    f = footprint(report, v.n, DTYPE_BYTES[v.dtype])
    return {
        "dtype": v.dtype,
        "batch": v.n,
        "input": f.inputs,
        "parameters": f.params,
        "forward_activations": f.activations,
        "peak_inference": f.inference,
        "peak_activations": f.peak_live,
        "peak_at": f.peak_layer,
        "kept_for_backward": f.kept,
        "training": {name: f.training(state) for name, state in OPTIMIZERS.items()},
    }


def json_sections(
    report: Report,
    text: str,
    batch: int | None,
    convention_name: str | None,
    dtype: str,
    memory: bool,
) -> str:
    """``text`` (the summary's JSON document) with a ``memory`` object and/or a
    ``convention`` object (the tool's total, parameters and printed lines) added."""
    import json

    from convcalc.render.machine import dumps
    from convcalc.render.table import table_options

    v: View = table_options(report, batch, None, convention_name, dtype)["view"]
    doc = json.loads(text)
    if memory:
        doc["memory"] = memory_dict(report, v)
    if convention_name is not None:
        c = v.convention
        total, trainable = c.params(report)
        doc["convention"] = {
            "name": c.name,
            "tool": c.describe(),
            "unit": c.unit,
            "total": c.total(report, v.n),
            "params": total,
            "trainable_params": trainable,
            "printed": printed_totals(c, report, v.n, DTYPE_BYTES[v.dtype]) if c.tool else [],
            "note": c.note,
        }
    return dumps(doc)
