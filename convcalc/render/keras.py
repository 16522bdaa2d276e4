"""The classic Keras 2 ``model.summary()`` text, character for character.

Layout rules (standalone Keras 2.2 ``keras/utils/layer_utils.py``, ``print_summary``): a chain
("sequential-like" model) prints 65-character lines with columns ending at 45%, 85% and 100%;
any other graph prints 98-character lines with columns at 33%, 55%, 67%, 100% and a
``Connected to`` column (``name[0][0]``, one connection per line). Each field is cut to its
column, the character before a new field is always a space, rows are separated by ``_`` lines,
the table is framed by ``=`` lines, and the totals use thousands separators. A functional model
lists its InputLayer first; a ``keras.Sequential`` model does not show it. Layers are ordered as
Keras orders them (:mod:`convcalc.render.keras_rows`).

tf.keras 2.6 prints the same table under a ``Model: "name"`` line, with an InputLayer's shape
as a list (``[(None, 224, 224, 3)]``): ``render_keras(report, "2.6")``.
"""

from __future__ import annotations

from convcalc.render.keras_rows import keras_order, keras_rows, sequential_like, shape_text
from convcalc.report import Report

__all__ = ["keras_order", "render_keras"]


def cut_row(fields: list[str], positions: list[int]) -> str:
    """One line: each field cut to its column, a space before each new field."""
    line = ""
    for i, text in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += text
        line = line[: positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def render_keras(report: Report, version: str = "2.2") -> str:
    chain = sequential_like(report)
    if chain:
        width, fractions = 65, (0.45, 0.85, 1.0)  # type: tuple[int, tuple[float, ...]]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        width, fractions = 98, (0.33, 0.55, 0.67, 1.0)
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    positions = [int(width * f) for f in fractions]
    lines: list[str] = [f'Model: "{report.name}"'] if version != "2.2" else []
    lines.append("_" * width)
    lines.append(cut_row(header, positions))
    lines.append("=" * width)
    rows = keras_rows(report)
    for i, r in enumerate(rows):
        shape = shape_text(r.shapes)
        if r.is_input and version != "2.2":
            shape = f"[{shape}]"  # tf.keras: an InputLayer's output_shape is a list
        fields = [f"{r.name} ({r.kind})", shape, str(r.params)]
        if chain:
            lines.append(cut_row(fields, positions))
        else:
            lines.append(cut_row(fields + [r.connections[0] if r.connections else ""], positions))
            lines.extend(cut_row(["", "", "", extra], positions) for extra in r.connections[1:])
        lines.append("=" * width if i == len(rows) - 1 else "_" * width)
    t = report.totals
    lines.append(f"Total params: {t.params:,}")
    lines.append(f"Trainable params: {t.trainable_params:,}")
    lines.append(f"Non-trainable params: {t.non_trainable_params:,}")
    lines.append("_" * width)
    return "\n".join(lines) + "\n"
