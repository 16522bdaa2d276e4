"""Element-wise layers run as the epilogue of the convolution before them.

A convolution without an activation of its own, followed by a chain of element-wise layers
(BatchNormalization, ReLU, ReLU6, element-wise Activation) each of which is the only reader of
the output before it, runs the chain on each slab of its output while the slab is in cache
(``Layer.forward_then``), instead of as separate passes over memory with their own output
arrays. Every epilogue is the same operations as its layer's forward, so the values are
identical; only the intermediate outputs are never made. The executor fuses the passes that
keep no per-layer outputs (not the first one, which checks shapes and takes statistics).
``CONVCALC_FUSE=0`` turns it off.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from convcalc.ops.base import chain
from convcalc.report import Report
from convcalc.spec.model import LayerSpec

Plan = dict[int, tuple[int, ...]]  # head layer index -> the indices it runs as its epilogue


def plan(layer_specs: list[LayerSpec], report: Report, params: dict[str, dict[str, Any]]) -> Plan:
    """Which layers fuse into which convolutions (an empty plan with CONVCALC_FUSE=0): after
    each convolution that takes an epilogue, the chain of element-wise layers each of which
    is the only reader of the output before it (and reads nothing else)."""
    if os.environ.get("CONVCALC_FUSE", "").strip() == "0":
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
