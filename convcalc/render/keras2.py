"""tf.keras 2.7-2.15 ``model.summary()`` text, character for character.

Rules read from each keras wheel's ``keras/utils/layer_utils.py`` (2.13+:
``keras/src/utils/layer_utils.py``) ``print_summary``, the same in 2.7-2.12 for the default
options, and in 2.13-2.15:

* a ``Model: "name"`` line; ``_`` and ``=`` lines frame the header; the rows are separated by
  blank lines (spaces, the width of the table), the last one too, then a ``=`` line;
* a chain prints 65-character lines with columns ending at int(65·[.45, .85, 1]) = [29, 55, 65];
  another graph prints 98 characters with a ``Connected to`` column, ending at
  int(98·[.33, .55, .67, 1]) = [32, 53, 65, 98] (2.7-2.12) or int(98·[.3, .6, .7, 1]) =
  [29, 58, 68, 98] (2.13-2.15);
* every field is wrapped inside its column instead of cut: a row prints as many lines as its
  longest field needs. Each line takes from each field as much as fits in the column less 2
  (the last column: all of its width; 2.13+: one less again in every column but the last),
  broken earlier after the first ``),`` ``},`` ``],`` or ``',``; the first column starts with a
  space; each piece is followed by 2 spaces (not the last column) and the line is padded to the
  column's end when it is shorter;
* an InputLayer's shape is a list (``[(None, 224, 224, 3)]``); a layer called with different
  shapes prints ``multiple``; the connections are a Python list of ``'layer[node][tensor]'``;
* totals: ``Total params: 138,357,544`` (2.7-2.12); ``Total params: 138357544 (527.79 MB)``
  with no thousands separators and the float32 size in 1024 steps, ``Byte`` below 1 KB
  (2.13-2.15); then a ``_`` line.
"""

from __future__ import annotations

from convcalc.render.keras_rows import keras_rows, memory, sequential_like, shape_text
from convcalc.report import Report

BREAKS = ("),", "},", "],", "',")


def wrap_row(fields: list[str], positions: list[int], narrower: int) -> list[str]:
    """The lines of one row (see the module's docstring); ``narrower`` is 0 for 2.7-2.12 and
    1 for 2.13-2.15."""
    left = list(fields)
    lines = []
    last = len(positions) - 1
    while any(left):
        line = ""
        for col, text in enumerate(left):
            start = positions[col - 1] if col else 0
            space = 0 if col == last else 2
            cutoff = positions[col] - start - space - (0 if col == last else narrower)
            piece = text[:cutoff]
            ends = [piece.find(b) + len(b) for b in BREAKS if b in piece]
            if ends:
                cutoff = min(ends)
                piece = piece[:cutoff]
            line += (" " if col == 0 else "") + piece + " " * space
            left[col] = text[cutoff:]
            line += " " * (positions[col] - len(line))
        lines.append(line)
    return lines


def render_keras2(report: Report, version: str) -> str:
    """``version``: "2.12" (what 2.7-2.12 print) or "2.15" (2.13-2.15)."""
    new = version == "2.15"
    chain = sequential_like(report)
    if chain:
        width, fractions = 65, (0.45, 0.85, 1.0)  # type: tuple[int, tuple[float, ...]]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        width = 98
        fractions = (0.3, 0.6, 0.70, 1.0) if new else (0.33, 0.55, 0.67, 1.0)
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    positions = [int(width * f) for f in fractions]
    narrower = 1 if new else 0
    lines = [f'Model: "{report.name}"', "_" * width]
    lines += wrap_row(header, positions, narrower)
    lines.append("=" * width)
    for r in keras_rows(report):
        shape = shape_text(r.shapes)
        fields = [f"{r.name} ({r.kind})", f"[{shape}]" if r.is_input else shape, str(r.params)]
        if not chain:
            fields.append(repr(list(r.connections)))
        lines += wrap_row(fields, positions, narrower)
        lines.append(" " * width)
    lines.append("=" * width)
    t = report.totals
    totals = (
        ("Total params", t.params),
        ("Trainable params", t.trainable_params),
        ("Non-trainable params", t.non_trainable_params),
    )
    for label, n in totals:
        lines.append(f"{label}: {n} ({memory(n, 'Byte')})" if new else f"{label}: {n:,}")
    lines.append("_" * width)
    return "\n".join(lines) + "\n"
