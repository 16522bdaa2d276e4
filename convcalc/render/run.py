"""Renderings of a Report together with its ``--run`` result: executed shapes, times, statistics.

The run columns follow the summary's own: ``Executed`` (the executed output shape with the real
batch, which always equals the analytic one, or the run would have stopped), ``Time`` (median
per layer), and the output's ``Mean``, ``Std``, ``Min`` and ``Max`` over the whole batch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from convcalc.render import machine
from convcalc.render.table import render_table
from convcalc.render.units import batch_shape, plain_shape, seconds, si, stat
from convcalc.render.values import render_values, values_dict
from convcalc.report import Report

if TYPE_CHECKING:
    from convcalc.runtime.executor import RunResult

STATS = ("mean", "std", "min", "max")


def run_cells(report: Report, result: RunResult) -> list[tuple[str, dict[str, str]]]:
    """(header, text by layer name) for each run column."""
    layers = result.layers
    cols = [
        ("Executed", {n: batch_shape(result.batch, lr.executed_shape) for n, lr in layers.items()}),
        ("Time", {n: seconds(lr.time_s) for n, lr in layers.items() if not report.row(n).is_input}),
    ]
    for s in STATS:
        cols.append((s.capitalize(), {n: stat(getattr(lr, s)) for n, lr in layers.items()}))
    return cols


def throughput(report: Report, result: RunResult) -> str:
    flops = report.totals.flops * result.batch
    if result.forward_s <= 0:
        return ""
    return f"{si(int(flops / result.forward_s))}FLOP/s"


def footer(report: Report, result: RunResult) -> list[tuple[str, str, str]]:
    passes = (
        "1 pass"
        if result.passes == 1 and not result.warmup
        else f"median of {result.passes} after a warm-up"
    )
    if result.threading:
        passes += f", {result.threads} threads: {result.threading}"
        if len(result.trials) > 1:  # what the warm-up measured, the chosen way first
            others = [f"{way} {seconds(t)}" for way, t in result.trials.items()]
            chosen = seconds(result.trials[result.threading])
            others.remove(f"{result.threading} {chosen}")
            passes += f" (warm-up: {chosen}; {', '.join(others)})"
    return [
        (
            "Forward:",
            seconds(result.forward_s),
            f"(batch {result.batch}, {passes}, {throughput(report, result)}; seed "
            f"{result.seed}; weight creation excluded)",
        )
    ]


def render_run(
    report: Report, result: RunResult, fmt: str, color: bool = False, show_values: bool = False
) -> str:
    """``show_values``: also the tensors' values (text: matrices after the table; JSON: a
    ``values`` block); the run must have kept its activations."""
    cells = run_cells(report, result)
    if fmt == "table":
        text = render_table(
            report,
            color=color,
            extra=[(h, h != "Executed", c) for h, c in cells],
            footer=footer(report, result),
        )
        return text + ("\n" + render_values(report, result) if show_values else "")
    if fmt == "json":
        doc = run_dict(report, result)
        if show_values:
            doc["values"] = values_dict(report, result)
        return machine.dumps(doc)
    if fmt == "markdown":
        text = machine.render_markdown(report, extra=[(h, c) for h, c in cells])
        return text + f"\nForward: {seconds(result.forward_s)} (batch {result.batch})\n"
    values: list[tuple[str, dict[str, Any]]] = [
        (
            "executed_shape",
            {
                n: plain_shape((result.batch,) + lr.executed_shape)
                for n, lr in result.layers.items()
            },
        ),
        ("time_s", {n: f"{lr.time_s:.6g}" for n, lr in result.layers.items()}),
    ]
    values += [(s, {n: repr(getattr(lr, s)) for n, lr in result.layers.items()}) for s in STATS]
    return machine.render_csv(report, extra=values)


def _finite(v: float) -> float | None:
    return None if math.isnan(v) else v


def run_dict(report: Report, result: RunResult) -> dict[str, Any]:
    """The summary's JSON document plus, per layer, ``executed_shape`` (per sample, as
    ``output_shape``), ``time_s`` (median seconds) and the output statistics; and at the top
    ``forward_s`` (median whole forward) and a ``run`` block."""
    doc = machine.report_dict(report)
    for layer in doc["layers"]:
        lr = result.layers[layer["name"]]
        layer["executed_shape"] = list(lr.executed_shape)
        layer["time_s"] = lr.time_s
        layer["stats"] = {s: _finite(getattr(lr, s)) for s in STATS}
    doc["forward_s"] = result.forward_s
    doc["run"] = {
        "batch": result.batch,
        "seed": result.seed,
        "passes": result.passes,
        "warmup": result.warmup,
        "threads": result.threads,
        "threading": result.threading or None,
        "threading_trials_s": result.trials,
        "forward_s": result.forward_s,
        "flops_per_s": (
            report.totals.flops * result.batch / result.forward_s if result.forward_s > 0 else None
        ),
    }
    return doc
