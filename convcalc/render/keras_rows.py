"""What every Keras summary layout prints per layer, in Keras's order: name, class, output
shape(s), parameter count and the ``layer[node][tensor]`` connections.

The order (Keras's ``model.layers`` for a functional graph): by decreasing depth (the longest
path to an output), ties in the order of a depth-first walk from the outputs. A layer called
more than once (``shares:``) is one row, as in Keras: its parameters once, the connections of
every call, and its later calls named ``layer[k][0]`` where other layers take them. A
``keras.Sequential`` model shows no InputLayer row.
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.report import LayerRow, Report
from convcalc.shapes import Shape


class KerasRow(NamedTuple):
    name: str
    kind: str
    shapes: tuple[Shape, ...]  # one per call, in the spec's data_format, without the batch
    params: int
    connections: tuple[str, ...]  # layer[node][tensor] of every call's inputs
    is_input: bool


def keras_order(report: Report) -> list[LayerRow]:
    """Rows in the order of Keras 2's ``model.layers`` for a functional graph."""
    rows = {r.name: r for r in report.rows}
    depth = {name: 0 for name in rows}
    for r in reversed(report.rows):  # spec order is topological; walk it from the outputs
        for name in r.inputs:
            depth[name] = max(depth[name], depth[r.name] + 1)
    visit_order: dict[str, int] = {}

    def visit(name: str) -> None:
        if name in visit_order:
            return
        visit_order[name] = len(visit_order)
        for inbound in rows[name].inputs:
            visit(inbound)

    for out in report.outputs:
        visit(out)
    return sorted(
        (r for r in report.rows if r.name in visit_order),
        key=lambda r: (-depth[r.name], visit_order[r.name]),
    )


def sequential_like(report: Report) -> bool:
    """A chain (or a keras.Sequential): the layouts without a Connected-to column."""
    return report.sequential_like or report.model == "sequential"


def keras_rows(report: Report) -> list[KerasRow]:
    chain = sequential_like(report)
    rows = list(report.rows) if chain else keras_order(report)
    if report.model == "sequential":
        rows = [r for r in rows if not r.is_input]
    calls: dict[str, list[LayerRow]] = {}
    node: dict[str, str] = {}  # a call's name -> how Keras names its output tensor
    for r in report.rows:
        owner = r.shares or r.name
        calls.setdefault(owner, []).append(r)
        node[r.name] = f"{owner}[{len(calls[owner]) - 1}][0]"
    out = []
    for r in rows:
        if r.shares:
            continue  # shown in its layer's row
        group = calls[r.name]
        connections = tuple(node[name] for call in group for name in call.inputs)
        out.append(
            KerasRow(
                r.name,
                r.kind,
                tuple(c.output_shape for c in group),
                sum(c.params for c in group),
                connections,
                r.is_input,
            )
        )
    return out


def shape_text(shapes: tuple[Shape, ...]) -> str:
    """Keras 2's ``layer.output_shape``: the shape, or ``multiple`` when the calls differ."""
    if len(set(shapes)) > 1:
        return "multiple"
    return repr((None,) + tuple(shapes[0]))


def memory(count: int, smallest: str) -> str:
    """A parameter count's float32 bytes as Keras prints them: 1024 steps, two decimals, the
    smallest unit ``Byte`` (tf.keras 2.13-2.15) or ``B`` (Keras 3)."""
    size = float(count * 4)
    for unit in (smallest, "KB", "MB", "GB", "TB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"
