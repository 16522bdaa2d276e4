"""Element-wise layers run as the epilogue of the convolution before them.

A convolution without an activation of its own, followed by a chain of element-wise layers
(BatchNormalization, ReLU, ReLU6, element-wise Activation) each of which is the only reader of
the output before it, runs the chain on each slab of its output while the slab is in cache
(``Layer.forward_then``), instead of as separate passes over memory with their own output
arrays. Every epilogue is the same operations as its layer's forward, so the values are
identical; only the intermediate outputs are never made. The executor fuses the passes that
keep no per-layer outputs (not the first one, which checks shapes and takes statistics).

1x1 convolutions of one input (Inception's branches) run side by side as one GEMM by their
kernels put side by side (:class:`Siblings`), each one's bias and epilogue on its own columns.
``CONVCALC_FUSE=0`` turns both off.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from convcalc.ops.conv import pointwise_columns
from convcalc.ops.epilogues import chain
from convcalc.report import Report
from convcalc.spec.model import LayerSpec

Plan = dict[int, tuple[int, ...]]  # head layer index -> the indices it runs as its epilogue


def plan(layer_specs: list[LayerSpec], report: Report, params: dict[str, dict[str, Any]]) -> Plan:
    """Which layers fuse into which convolutions (an empty plan with CONVCALC_FUSE=0): after
    each convolution that takes an epilogue, the chain of element-wise layers each of which
    is the only reader of the output before it (and reads nothing else)."""
    if not enabled():
        return {}
    readers = Counter(name for ls in layer_specs for name in ls.inputs)
    reader = {name: j for j, ls in enumerate(layer_specs) for name in ls.inputs}
    outputs = set(report.outputs)
    rows = {r.name: r for r in report.rows}
    fused: Plan = {}
    taken: set[int] = set()
    for i, head in enumerate(layer_specs):
        if i in taken or not head.layer.takes_epilogue() or len(head.inputs) != 1:
            continue
        tail: list[int] = []
        prev = head
        # the only reader of the output so far, if it reads nothing else: it can run as soon
        # as that output is made (a spec may list it later, as Keras's ResNet50 its shortcut)
        while readers[prev.name] == 1 and prev.name not in outputs:
            j = reader[prev.name]
            nxt = layer_specs[j]
            if list(nxt.inputs) != [prev.name]:
                break
            if nxt.layer.epilogue((1,) + tuple(rows[nxt.name].shape), params[nxt.name]) is None:
                break
            tail.append(j)
            prev = nxt
        if tail:
            fused[i] = tuple(tail)
            taken.update(tail)
    return fused


def epilogue(
    layer_specs: list[LayerSpec],
    tail: tuple[int, ...],
    shape: tuple[int, ...],
    params: dict[str, dict[str, Any]],
) -> Any:
    """The chained in-place function of the layers ``tail`` for an output of ``shape``."""
    fns = []
    for j in tail:
        ls = layer_specs[j]
        fns.append(ls.layer.epilogue(shape, params[ls.name]))
    return chain(fns)


def enabled() -> bool:
    return os.environ.get("CONVCALC_FUSE", "").strip() != "0"


@dataclass(frozen=True)
class Siblings:
    """1x1 convolutions of one input, run as one GEMM when the first of them comes."""

    source: str  # the input they read
    members: tuple[int, ...]  # their layers' indices, in spec order
    ends: tuple[int, ...]  # the layers whose outputs they make: their own, or their epilogues' last
    kernel: np.ndarray  # (C, sum of widths): their kernels side by side
    widths: tuple[int, ...]
    biases: tuple[np.ndarray | None, ...]
    acts: tuple[Any, ...]  # each one's activation or epilogue (in place, element-wise)

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        return pointwise_columns(x, self.kernel, self.widths, self.biases, self.acts)


def siblings(
    layer_specs: list[LayerSpec], report: Report, params: dict[str, dict[str, Any]], fused: Plan
) -> dict[int, Siblings]:
    """The groups of two or more layers that are one GEMM of the same input's channels
    (``Layer.as_matmul``), with the epilogues of ``fused``, by their first member's index."""
    if not enabled():
        return {}
    rows = {r.name: r for r in report.rows}
    absorbed = {j for tail in fused.values() for j in tail}
    found: dict[str, list[tuple[int, int, tuple[Any, Any, Any]]]] = {}
    for i, ls in enumerate(layer_specs):
        if i in absorbed or len(ls.inputs) != 1:
            continue
        source = ls.inputs[0]
        matmul = ls.layer.as_matmul((1,) + tuple(rows[source].shape), params[ls.name])
        if matmul is None:
            continue
        end = i
        if i in fused:  # then it has no activation of its own: the epilogue is all
            tail = fused[i]
            shape = (1,) + tuple(rows[ls.name].shape)
            matmul = matmul[:2] + (epilogue(layer_specs, tail, shape, params),)
            end = tail[-1]
        found.setdefault(source, []).append((i, end, matmul))
    groups: dict[int, Siblings] = {}
    for source, members in found.items():
        if len(members) < 2:
            continue
        groups[members[0][0]] = Siblings(
            source,
            tuple(i for i, _, _ in members),
            tuple(end for _, end, _ in members),
            np.concatenate([m[0] for _, _, m in members], axis=1),
            tuple(m[0].shape[1] for _, _, m in members),
            tuple(m[1] for _, _, m in members),
            tuple(m[2] for _, _, m in members),
        )
    return groups
