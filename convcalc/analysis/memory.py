"""How much memory executing a spec needs, estimated from its :class:`~convcalc.report.Report`
alone (no numpy): what ``convcalc run`` checks before it allocates anything.

The runtime (:mod:`convcalc.runtime.executor`) holds, at once:

* the inputs and every weight, as float32;
* the activations still alive: a layer's output lives until the last layer that reads it has
  run (the model's outputs until the end), walked over the graph in spec order exactly as the
  executor frees them; with ``keep_all`` (``--output``) every activation lives to the end;
* a working set: ops copy a layer's (padded) inputs, and reuse grow-only scratch buffers of
  at most ``SLAB_BYTES`` per slab (im2col columns, Winograd transforms), so the largest inputs
  of any layer plus two slabs for each thread that keeps its own (``threads``: every batch
  shard and every split-layer worker of the timed passes does), the float64 chunks of the
  output statistics, and the memory of the interpreter, NumPy and the BLAS themselves
  (``RUNTIME_BYTES``).

The peak is the largest sum of these over the layers; it is an estimate, meant to refuse runs
that cannot fit before they start, not to predict the resident size to the byte (VGG16: 709
MiB estimated, 774 MiB measured; batch 8: 970 MiB and 977 MiB).
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.report import Report

FLOAT32 = 4
SLAB_BYTES = (1 << 22) * FLOAT32  # convcalc.ops.base.TUNING.chunk elements of float32
STATS_BYTES = 2 * (1 << 20) * 8  # the float64 chunks of the output statistics
RUNTIME_BYTES = 96 * 2**20  # the interpreter, NumPy and the BLAS's own buffers (measured: 70-90)


class MemoryEstimate(NamedTuple):
    """Bytes a run needs at its peak, and what they are made of."""

    peak: int
    inputs: int
    weights: int
    activations: int  # the live activations at the peak (every one with keep_all)
    workspace: int
    peak_layer: str  # the layer running when the peak is reached
    largest_layer: str  # the layer with the largest output
    largest_bytes: int


def estimate(
    report: Report,
    batch: int = 1,
    keep_all: bool = False,
    itemsize: int = FLOAT32,
    threads: int = 1,
) -> MemoryEstimate:
    """The peak memory of executing ``report``'s spec with ``batch`` samples, ``threads`` of
    them with scratch buffers of their own."""
    size = {r.name: r.output_elements * batch * itemsize for r in report.rows}
    inputs = sum(size[r.name] for r in report.rows if r.is_input)
    weights = sum(w.size for r in report.rows for w in r.weights) * itemsize
    layers = [r for r in report.rows if not r.is_input]
    last_use: dict[str, int] = {}
    for i, r in enumerate(layers):
        for name in r.inputs:
            last_use[name] = i
    kept = set(report.outputs) | {r.name for r in report.rows if r.is_input}  # never freed
    work = max((sum(size[n] for n in r.inputs) for r in layers), default=0)
    workspace = work + 2 * SLAB_BYTES * max(1, threads) + STATS_BYTES + RUNTIME_BYTES
    live = 0  # activations of layers (the inputs are counted apart)
    peak_live, peak_layer = 0, report.rows[0].name if report.rows else ""
    for i, r in enumerate(layers):
        during = live + size[r.name]
        if during > peak_live:
            peak_live, peak_layer = during, r.name
        live = during
        if not keep_all:
            for name in set(r.inputs):
                if last_use.get(name) == i and name not in kept:
                    live -= size[name]
    largest = max(report.rows, key=lambda r: size[r.name])
    return MemoryEstimate(
        inputs + weights + peak_live + workspace,
        inputs,
        weights,
        peak_live,
        workspace,
        peak_layer,
        largest.name,
        size[largest.name],
    )
