"""An animated SVG of the sliding window, for slides and web pages (``explain --animate``).

Every step is one group of rectangles (the input grid with the kernel's cells lit, the output
grid with the cell being written); SMIL ``<animate>`` shows them one after another, one second
each, in a loop. The file is standalone (no script, no external resource) and plays in every
browser, in reveal.js and Jupyter; viewers without SMIL (PowerPoint, Keynote) show the first
step. Chosen over a GIF because it needs no image library (a GIF writer would add Pillow or
imageio to the install), stays sharp at any size and keeps its text as text.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from convcalc.tools.sliding import GAP, IN, OVER, PAD, Picture

CELL = 22
MARGIN = 12
TITLE = 40
FILL = {IN: "#9ecae1", PAD: "#f0f0f0", GAP: "#ffffff", OVER: "#ffffff"}
STROKE = {IN: "#3182bd", PAD: "#bdbdbd", GAP: "#bdbdbd", OVER: "#de2d26"}
TAP = "#fd8d3c"
CURRENT, DONE, PENDING = "#31a354", "#c7e9c0", "#ffffff"
SECONDS = 1.0


def _rect(x: float, y: float, fill: str, stroke: str, dash: bool = False) -> str:
    d = ' stroke-dasharray="3,2"' if dash else ""
    return (
        f'<rect x="{x:g}" y="{y:g}" width="{CELL - 2}" height="{CELL - 2}" fill="{fill}" '
        f'stroke="{stroke}"{d}/>'
    )


def _frame(pic: Picture, index: int, out_x: float) -> list[str]:
    f = pic.frames[index]
    parts = []
    for r, row in enumerate(pic.cells):
        for c, kind in enumerate(row):
            x, y = MARGIN + c * CELL, TITLE + r * CELL
            tapped = (r, c) in f.taps
            fill = TAP if tapped else FILL[kind]
            parts.append(_rect(x, y, fill, STROKE[kind], dash=kind in (GAP, OVER)))
    ho, wo = pic.out_shape
    for i in range(ho):
        for j in range(wo):
            k = i * wo + j
            fill = CURRENT if k == index else DONE if k < index else PENDING
            parts.append(_rect(out_x + j * CELL, TITLE + i * CELL, fill, "#238b45"))
    parts.append(
        f'<text x="{MARGIN}" y="{TITLE - 8}" font-size="12">step {index + 1} of '
        f"{len(pic.frames)}: output ({f.out[0]}, {f.out[1]})</text>"
    )
    return parts


def _timing(index: int, n: int) -> str:
    if n == 1:
        return ""
    if index == 0:
        values, times = "1;0", f"0;{1 / n:.6g}"
    elif index == n - 1:
        values, times = "0;1", f"0;{index / n:.6g}"
    else:
        values, times = "0;1;0", f"0;{index / n:.6g};{(index + 1) / n:.6g}"
    return (
        f'<animate attributeName="opacity" dur="{n * SECONDS:g}s" repeatCount="indefinite" '
        f'calcMode="discrete" values="{values}" keyTimes="{times}"/>'
    )


def animated_svg(pic: Picture) -> str:
    h, w = len(pic.cells), len(pic.cells[0])
    ho, wo = pic.out_shape
    out_x = MARGIN + w * CELL + 3 * CELL
    legend = (
        f"input {pic.in_shape[0]}x{pic.in_shape[1]} (blue; grey: zero padding; dashed: inserted "
        f"zeros or outside) -> output {ho}x{wo}"
    )
    width = max(out_x + wo * CELL + MARGIN, 8 * len(pic.title), 7 * len(legend)) + 2 * MARGIN
    height = TITLE + max(h, ho) * CELL + 2 * MARGIN + 16
    n = len(pic.frames)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace">',
        f"<title>{escape(pic.title)}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="16" font-size="13" font-weight="bold">{escape(pic.title)}</text>',
        f'<text x="{MARGIN}" y="{height - MARGIN}" font-size="11">{escape(legend)}</text>',
    ]
    for i in range(n):
        lines.append(f'<g opacity="{1 if i == 0 else 0}">{_timing(i, n)}')
        lines += ["  " + p for p in _frame(pic, i, out_x)]
        lines.append("</g>")
    lines.append("</svg>")
    return "\n".join(lines) + "\n"
