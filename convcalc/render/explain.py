"""Terminal pictures of ``convcalc explain``: the sliding window on a grid, an overview and
every step, as rich renderables (plain text when printed without colour; ``--save`` records
them and exports SVG or HTML).

Cells are three characters wide. Input ``x``, zero padding ``·``, zeros inserted by a
transposed convolution ``∘``, cells past the padded input (ceil_mode's overhang) ``-``; a cell
the kernel reads is in brackets, ``[x]``. The output grid beside it shows the cell being
written ``[#]``, the ones written before ``o`` and the others ``.``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from convcalc.analysis.gridding import Coverage
from convcalc.tools.sliding import GAP, IN, OVER, PAD, Frame, Picture

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

GLYPH = {IN: "x", PAD: "·", GAP: "∘", OVER: "-"}
STYLE = {IN: "", PAD: "dim", GAP: "dim italic", OVER: "red dim"}
TAP = "bold black on yellow"
CURRENT = "bold white on green"
DONE = "green"
LEGEND = (
    "x input   · zero padding   ∘ zero inserted (transposed)   - outside (ceil_mode)   "
    "[ ] read by the kernel; output: [#] being written, o written, . not yet"
)
GAP_COLS = 4


Cells = list[list[tuple[str, str]]]


def _cell(kind: str, tapped: bool) -> tuple[str, str]:
    g = GLYPH[kind]
    return (f"[{g}]", TAP) if tapped else (f" {g} ", STYLE[kind])


def _out_cell(index: int, current: int) -> tuple[str, str]:
    if index == current:
        return "[#]", CURRENT
    if index < current:
        return " o ", DONE
    return " . ", "dim"


def _grids(left: Cells, right: Cells, titles: tuple[str, str]) -> Text:
    from rich.text import Text

    width = 3 * len(left[0])
    if len(titles[0]) + 2 > width + GAP_COLS:
        width = len(titles[0]) + 2 - GAP_COLS
    text = Text()
    text.append(titles[0].ljust(width + GAP_COLS) + titles[1] + "\n")
    for r in range(max(len(left), len(right))):
        if r < len(left):
            for glyph, style in left[r]:
                text.append(glyph, style=style or None)
        else:
            text.append(" " * 3 * len(left[0]))
        if r < len(right):
            text.append(" " * (width - 3 * len(left[0])))
            text.append(" " * GAP_COLS)
            for glyph, style in right[r]:
                text.append(glyph, style=style or None)
        text.append("\n")
    return text


def _titles(pic: Picture) -> tuple[str, str]:
    h, w = len(pic.cells), len(pic.cells[0])
    left = f"input {pic.in_shape[0]}x{pic.in_shape[1]}"
    if (h, w) != pic.in_shape:
        left += f" ({h}x{w} drawn)"
    return left, f"output {pic.out_shape[0]}x{pic.out_shape[1]}"


def frame_text(pic: Picture, index: int) -> Text:
    """Step ``index`` (0-based): the window of output ``pic.frames[index]``."""
    from rich.text import Text

    f: Frame = pic.frames[index]
    left = [
        [_cell(kind, (r, c) in f.taps) for c, kind in enumerate(row)]
        for r, row in enumerate(pic.cells)
    ]
    ho, wo = pic.out_shape
    right = [[_out_cell(i * wo + j, index) for j in range(wo)] for i in range(ho)]
    what = {"pool": "reduces", "transpose": "sums w·x over", "deformable": "samples"}.get(
        pic.kind, "sums w·x over"
    )
    head = Text(
        f"\nstep {index + 1} of {len(pic.frames)}: output ({f.out[0]}, {f.out[1]}) {what} "
        f"{len(f.taps)} cells, rows {f.rows[0]}-{f.rows[1]} and columns {f.cols[0]}-{f.cols[1]} "
        f"of the grid" + (" (part of the window is outside: ignored)" if f.overhang else "") + "\n"
    )
    return head + _grids(left, right, _titles(pic))


def overview_text(pic: Picture) -> Text:
    """Every window at once: how many windows read each cell."""
    from rich.text import Text

    counts = pic.coverage()
    left = []
    for r, row in enumerate(pic.cells):
        line = []
        for c, kind in enumerate(row):
            n = counts[r][c]
            if kind != IN:
                line.append((f" {GLYPH[kind]} ", STYLE[kind]))
            elif n:
                line.append((f" {n if n < 10 else '+'} ", "bold"))
            else:
                line.append((" x ", "bold red"))
        left.append(line)
    ho, wo = pic.out_shape
    right = [[(" o ", DONE)] * wo for _ in range(ho)]
    unread = sum(
        1
        for r, row in enumerate(pic.cells)
        for c, k in enumerate(row)
        if k == IN and not counts[r][c]
    )
    head = Text(
        f"overview: {len(pic.frames)} windows; each input cell shows how many of them read it"
        + (f" ({unread} input cells are never read: 'x')" if unread else "")
        + "\n"
    )
    return head + _grids(left, right, _titles(pic))


def formula_text(pic: Picture) -> Text:
    from rich.text import Text

    text = Text()
    for st in pic.steps:
        text.append(
            f"axis {st.axis}: {st.formula} = {st.numbers}; padding {st.pads}, "
            f"effective kernel {st.k_eff}\n"
        )
    for note in pic.notes:
        text.append(f"note: {note}\n", style="dim")
    return text


def explain_renderables(pic: Picture, steps: list[int]) -> list[RenderableType]:
    from rich.text import Text

    parts: list[RenderableType] = [
        Text(pic.title + "\n", style="bold"),
        formula_text(pic),
        Text(LEGEND + "\n\n", style="dim"),
        overview_text(pic),
    ]
    parts += [frame_text(pic, i) for i in steps]
    left = len(pic.frames) - len(steps)
    if left > 0 and len(steps) > 1:
        parts.append(Text(f"({left} more steps: --steps all shows every one)\n", style="dim"))
    return parts


def coverage_text(name: str, cov: Coverage) -> Text:
    """The receptive field of one output of ``name``: read cells ``x``, holes ``·``."""
    from rich.text import Text

    rows, cols = cov.positions[0], cov.positions[1] if len(cov.positions) > 1 else (0,)
    r_set, c_set = set(rows), set(cols)
    text = Text()
    size = "x".join(map(str, cov.sizes))
    text.append(
        f"receptive field of one output of '{name}': {size}, of which {cov.seen} of "
        f"{cov.area} positions are read (x) and {cov.area - cov.seen} skipped (·)\n"
    )
    for r in range(rows[0], rows[-1] + 1):
        for c in range(cols[0], cols[-1] + 1):
            if r in r_set and c in c_set:
                text.append(" x ", style="bold")
            else:
                text.append(" · ", style="red dim")
        text.append("\n")
    return text
