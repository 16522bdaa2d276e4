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


class Node(NamedTuple):
    """One entry of Keras's model.layers: a layer, or a nested model (its rows)."""

    name: str
    inputs: tuple[str, ...]
    rows: tuple[LayerRow, ...]


def nodes(report: Report) -> tuple[list[Node], tuple[str, ...]]:
    """The model's layers as Keras lists them at the top level, and its outputs: the layers of
    a nested model (``group:``) are one node, named after that model."""
    of = {r.name: (r.group[0] if r.group else r.name) for r in report.rows}
    order: dict[str, list[LayerRow]] = {}
    for r in report.rows:
        order.setdefault(of[r.name], []).append(r)
    out = []
    for name, rows in order.items():
        inputs: list[str] = []
        for r in rows:
            for i in r.inputs:
                if of[i] != name and of[i] not in inputs:
                    inputs.append(of[i])
        out.append(Node(name, tuple(inputs), tuple(rows)))
    outputs = tuple(dict.fromkeys(of[o] for o in report.outputs))
    return out, outputs


def keras_order(report: Report) -> list[LayerRow]:
    """Rows in the order of Keras 2's ``model.layers`` for a functional graph."""
    ordered = _order(*nodes(report))
    return [n.rows[0] for n in ordered]


def _order(graph: list[Node], outputs: tuple[str, ...]) -> list[Node]:
    by_name = {n.name: n for n in graph}
    depth = {n.name: 0 for n in graph}
    for n in reversed(graph):  # spec order is topological; walk it from the outputs
        for name in n.inputs:
            depth[name] = max(depth[name], depth[n.name] + 1)
    visit_order: dict[str, int] = {}

    def visit(name: str) -> None:
        if name in visit_order:
            return
        visit_order[name] = len(visit_order)
        for inbound in by_name[name].inputs:
            visit(inbound)

    for out in outputs:
        visit(out)
    return sorted(
        (n for n in graph if n.name in visit_order),
        key=lambda n: (-depth[n.name], visit_order[n.name]),
    )


def sequential_like(report: Report) -> bool:
    """A chain (or a keras.Sequential): the layouts without a Connected-to column; a nested
    model counts as one layer."""
    if report.model == "sequential" or report.sequential_like:
        return True
    if not any(r.group for r in report.rows):
        return False
    graph, outputs = nodes(report)
    consumers: dict[str, int] = {}
    for n in graph:
        for i in n.inputs:
            consumers[i] = consumers.get(i, 0) + 1
    starts = [n for n in graph if not n.inputs]
    return (
        len(starts) == 1
        and len(outputs) == 1
        and all(len(n.inputs) <= 1 for n in graph)
        and all(c <= 1 for c in consumers.values())
    )


def keras_rows(report: Report) -> list[KerasRow]:
    graph, outputs = nodes(report)
    chain = sequential_like(report)
    ordered = graph if chain else _order(graph, outputs)
    if report.model == "sequential":
        ordered = [n for n in ordered if not n.rows[0].is_input]
    calls: dict[str, list[LayerRow]] = {}
    tensor: dict[str, str] = {}  # a call's name -> how Keras names its output tensor
    for r in report.rows:
        owner = r.shares or r.name
        calls.setdefault(owner, []).append(r)
        tensor[r.name] = f"{owner}[{len(calls[owner]) - 1}][0]"
    of = {r.name: (r.group[0] if r.group else r.name) for r in report.rows}
    out = []
    for n in ordered:
        first = n.rows[0]
        if first.group:  # a nested model: one row, the shape of its output
            names = {r.name for r in n.rows}
            used = {i for r in report.rows if r.name not in names for i in r.inputs}
            ends = [r for r in n.rows if r.name in used or r.name in report.outputs]
            inbound = [i for r in n.rows for i in r.inputs if of[i] != n.name]
            out.append(
                KerasRow(
                    first.group[0],
                    first.group[1],
                    tuple(r.output_shape for r in ends[-1:]),
                    sum(r.params for r in n.rows),
                    tuple(tensor[i] if of[i] == i else f"{of[i]}[0][0]" for i in inbound),
                    False,
                )
            )
            continue
        if first.shares:
            continue  # shown in its layer's row
        group = calls[first.name]
        connections = tuple(
            tensor[name] if of[name] == name else f"{of[name]}[0][0]"
            for call in group
            for name in call.inputs
        )
        out.append(
            KerasRow(
                first.name,
                first.kind,
                tuple(c.output_shape for c in group),
                sum(c.params for c in group),
                connections,
                first.is_input,
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
