"""Keras 3's ``model.summary()`` text (the box-drawn table), character for character.

Rules read from the keras 3 wheel's ``keras/src/utils/summary_utils.py`` (``print_summary``):
a rich ``Table(show_lines=True)`` (heavy header box, a rule between every two rows) of fixed
width: 88 for a chain with columns ending at [0.45, 0.80, 1.0] of it, 108 for another graph
([0.3, 0.56, 0.74, 1.0], with ``Connected to``); Keras narrows the table to the terminal's width
minus 4 when that is smaller, which is not reproduced: the text is that of a wide terminal. A
column's width is int(position·width) minus where it starts; ``Param #`` is right-aligned. Cells
wrap inside their columns (rich's word wrapping). Shapes print with ``None`` for the batch;
params with thousands separators; connections as ``layer[node][tensor]`` joined by ", " (``-``
for none); a shared layer shows the shape of its last call. The title is ``Model: "name"``; the
totals follow with a leading space and the float32 size in 1024 steps (``B`` below 1 KB).
"""

from __future__ import annotations

import io

from convcalc.render.keras_rows import keras_rows, memory, sequential_like
from convcalc.report import Report


def render_keras3(report: Report) -> str:
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    chain = sequential_like(report)
    if chain:
        width, positions = 88, (0.45, 0.80, 1.0)  # type: tuple[int, tuple[float, ...]]
        header = ["Layer (type)", "Output Shape", "Param #"]
        justify = ["left", "left", "right"]
    else:
        width, positions = 108, (0.3, 0.56, 0.74, 1.0)
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
    widths, current = [], 0
    for p in positions:
        widths.append(int(p * width) - current)
        current += widths[-1]
    columns = [
        Column(h, justify=j, width=w)  # type: ignore[arg-type]
        for h, j, w in zip(header, justify, widths)
    ]
    table = Table(*columns, width=width, show_lines=True)
    for r in keras_rows(report):
        shape = "(" + ", ".join(str(x) for x in (None, *r.shapes[-1])) + ")"
        cells = [f"{r.name} ({r.kind})", shape, f"{r.params:,}"]
        if not chain:
            cells.append(", ".join(r.connections) or "-")
        table.add_row(*(Text(c) for c in cells))
    buf = io.StringIO()
    console = Console(
        file=buf,
        width=max(width, 200),
        highlight=False,
        force_terminal=False,
        color_system=None,
        emoji=False,
        legacy_windows=False,
    )
    console.print(Text(f'Model: "{report.name}"'))
    console.print(table)
    t = report.totals
    for label, n in (
        ("Total params", t.params),
        ("Trainable params", t.trainable_params),
        ("Non-trainable params", t.non_trainable_params),
    ):
        console.print(Text(f" {label}: {n:,} ({memory(n, 'B')})"))
    return buf.getvalue()
