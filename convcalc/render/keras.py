"""The classic Keras 2 ``model.summary()`` text, character for character.

Layout rules (standalone Keras 2.2 ``keras/utils/layer_utils.py``, ``print_summary``): a chain
("sequential-like" model) prints 65-character lines with columns ending at 45%, 85% and 100%;
any other graph prints 98-character lines with columns at 33%, 55%, 67%, 100% and a
``Connected to`` column (``name[0][0]``, one connection per line). Each field is cut to its
column, the character before a new field is always a space, rows are separated by ``_`` lines,
the table is framed by ``=`` lines, and the totals use thousands separators. A functional model
lists its InputLayer first; a ``keras.Sequential`` model does not show it. Layers are ordered as
Keras orders them: by decreasing depth (longest path to an output), ties in the order of a
depth-first walk from the outputs.
"""

from __future__ import annotations

from convcalc.render.units import keras_shape
from convcalc.report import LayerRow, Report


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


def render_keras(report: Report) -> str:
    sequential_like = report.sequential_like or report.model == "sequential"
    if sequential_like:
        width, fractions = 65, (0.45, 0.85, 1.0)  # type: tuple[int, tuple[float, ...]]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        width, fractions = 98, (0.33, 0.55, 0.67, 1.0)
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    positions = [int(width * f) for f in fractions]
    lines: list[str] = []

    def row(fields: list[str]) -> None:
        line = ""
        for i, text in enumerate(fields):
            if i > 0:
                line = line[:-1] + " "
            line += text
            line = line[: positions[i]]
            line += " " * (positions[i] - len(line))
        lines.append(line)

    lines.append("_" * width)
    row(header)
    lines.append("=" * width)
    rows = list(report.rows) if sequential_like else keras_order(report)
    if report.model == "sequential":
        rows = [r for r in rows if not r.is_input]
    for i, r in enumerate(rows):
        fields = [f"{r.name} ({r.kind})", keras_shape(r.output_shape), str(r.params)]
        if sequential_like:
            row(fields)
        else:
            connections = [f"{name}[0][0]" for name in r.inputs]
            row(fields + [connections[0] if connections else ""])
            for extra in connections[1:]:
                row(["", "", "", extra])
        lines.append("=" * width if i == len(rows) - 1 else "_" * width)
    t = report.totals
    lines.append(f"Total params: {t.params:,}")
    lines.append(f"Trainable params: {t.trainable_params:,}")
    lines.append(f"Non-trainable params: {t.non_trainable_params:,}")
    lines.append("_" * width)
    return "\n".join(lines) + "\n"
