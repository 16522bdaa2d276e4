"""The sliding window of one 2-D layer, as the frames of a picture (``convcalc explain``).

A :class:`Picture` is a grid of cells (the input with its padding) and one :class:`Frame` per
output position: the cells its kernel taps read. Drawn as in Dumoulin & Visin's "A guide to
convolution arithmetic for deep learning" (arXiv 1603.07285):

* convolution and pooling: the padded input; a tap at ``(i·s_h + a·d_h, j·s_w + b·d_w)`` for
  output ``(i, j)`` and kernel position ``(a, b)``, so dilation leaves visible holes inside the
  window and a stride larger than the window skips cells; with PyTorch's ceil_mode the last
  window may overhang the padded input (those cells are marked outside and ignored);
* transposed convolution: the equivalent direct convolution, stride 1 over the input with
  ``s - 1`` zeros inserted between its cells and ``k_eff - 1`` zeros around it, of which the
  first ``crop`` rows and columns (PyTorch's padding, Keras's 'same' crop) are dropped; the
  kernel is the transposed convolution's rotated by 180°.

The geometry comes from the layer (:func:`convcalc.tools.axes.axis_steps` reads its pads and
output sizes from the engine); :func:`picture` checks that the frames fill exactly the output
the engine computed.
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.errors import UsageError
from convcalc.layers.base import Layer
from convcalc.report import LayerRow
from convcalc.tools.axes import AxisStep, axis_steps

IN, PAD, GAP, OVER = "in", "pad", "gap", "over"  # cell kinds
MAX_GRID = 40  # cells per axis that a terminal picture can show


class Frame(NamedTuple):
    out: tuple[int, int]
    taps: frozenset[tuple[int, int]]  # grid cells read
    rows: tuple[int, int]  # first and last grid row of the window's span
    cols: tuple[int, int]
    overhang: bool  # some taps lie outside the padded input (ceil_mode)


class Picture(NamedTuple):
    kind: str  # conv | pool | transpose | deformable
    title: str
    cells: tuple[tuple[str, ...], ...]  # kind of every grid cell
    input_at: tuple[
        tuple[int, int], ...
    ]  # grid position of input row 0 / col 0 per axis: (start, step)
    in_shape: tuple[int, int]
    out_shape: tuple[int, int]
    frames: tuple[Frame, ...]
    steps: tuple[AxisStep, ...]
    notes: tuple[str, ...]

    def coverage(self) -> list[list[int]]:
        """How many windows read each grid cell."""
        h, w = len(self.cells), len(self.cells[0])
        counts = [[0] * w for _ in range(h)]
        for f in self.frames:
            for r, c in f.taps:
                counts[r][c] += 1
        return counts

    def input_cell(self, r: int, c: int) -> tuple[int, int] | None:
        """The input position a grid cell holds, if it holds one."""
        (r0, rs), (c0, cs) = self.input_at
        if self.cells[r][c] != IN:
            return None
        return (r - r0) // rs, (c - c0) // cs


def kind_of(layer: Layer) -> str:
    if hasattr(layer, "output_padding"):
        return "transpose"
    if hasattr(layer, "pool_size"):
        return "pool"
    if hasattr(layer, "offset_groups"):
        return "deformable"
    if hasattr(layer, "kernel_size") and hasattr(layer, "pads"):
        return "conv"
    raise UsageError(
        f"explain draws sliding windows; a {layer.kind} layer has none",
        hint="pick a convolution, transposed convolution or pooling layer with --layer",
    )


def _axis_cells(st: AxisStep, ceil_over: int) -> list[str]:
    b, a = st.pads
    return [PAD] * b + [IN] * st.n + [PAD] * a + [OVER] * ceil_over


def _direct(layer: Layer, row: LayerRow, kind: str) -> Picture:
    steps = axis_steps(layer, row)
    out = row.shape[:2]
    axes = []
    for st, o in zip(steps, out):
        padded = st.n + st.pads[0] + st.pads[1]
        over = max(0, (o - 1) * st.s + st.k_eff - padded)
        axes.append(_axis_cells(st, over))
    cells = tuple(tuple(_merge(rk, ck) for ck in axes[1]) for rk in axes[0])
    frames = []
    (sh, sw), (dh, dw) = (steps[0].s, steps[1].s), (steps[0].d, steps[1].d)
    for i in range(out[0]):
        for j in range(out[1]):
            taps = frozenset(
                (i * sh + a * dh, j * sw + b * dw)
                for a in range(steps[0].k)
                for b in range(steps[1].k)
            )
            over = any(cells[r][c] == OVER for r, c in taps)
            frames.append(
                Frame(
                    (i, j),
                    taps,
                    (i * sh, i * sh + steps[0].k_eff - 1),
                    (j * sw, j * sw + steps[1].k_eff - 1),
                    over,
                )
            )
    notes = []
    if kind == "deformable":
        notes.append(
            "deformable: each tap is drawn at offset 0; the learned offsets move it to a "
            "fractional position read by bilinear interpolation"
        )
    if any(st.d > 1 for st in steps):
        notes.append(
            "dilation: the taps of a window are d cells apart; the cells between are skipped"
        )
    if any(f.overhang for f in frames):
        notes.append("ceil_mode: the last window overhangs the padded input; '-' cells are ignored")
    at = tuple((st.pads[0], 1) for st in steps)
    return _make(kind, layer, row, cells, at, frames, steps, notes)


def _merge(rk: str, ck: str) -> str:
    for kind in (OVER, PAD, GAP):
        if kind in (rk, ck):
            return kind
    return IN


def _transposed(layer: Layer, row: LayerRow) -> Picture:
    steps = axis_steps(layer, row)
    out = row.shape[:2]
    axes, starts = [], []
    for st, o in zip(steps, out):
        crop = st.pads[0]
        first = st.k_eff - 1 - crop  # grid position of input cell 0
        size = o + st.k_eff - 1
        lo = min(0, first)
        hi = max(size, first + (st.n - 1) * st.s + 1)
        cells = []
        for g in range(lo, hi):
            rel = g - first
            if 0 <= rel <= (st.n - 1) * st.s:
                cells.append(IN if rel % st.s == 0 else GAP)
            else:
                cells.append(PAD)
        axes.append((cells, -lo))
        starts.append((first - lo, st.s))
    (rows, r_off), (cols, c_off) = axes
    grid = tuple(tuple(_merge(rk, ck) for ck in cols) for rk in rows)
    frames = []
    (dh, dw) = steps[0].d, steps[1].d
    for i in range(out[0]):
        for j in range(out[1]):
            taps = frozenset(
                (r_off + i + a * dh, c_off + j + b * dw)
                for a in range(steps[0].k)
                for b in range(steps[1].k)
            )
            frames.append(
                Frame(
                    (i, j),
                    taps,
                    (r_off + i, r_off + i + steps[0].k_eff - 1),
                    (c_off + j, c_off + j + steps[1].k_eff - 1),
                    False,
                )
            )
    notes = [
        "transposed convolution drawn as the equivalent direct one: stride 1 over the input "
        "with s-1 zeros inserted between its cells and k_eff-1 zeros around it (minus the "
        "cropped padding), with the kernel rotated by 180°"
    ]
    return _make("transpose", layer, row, grid, tuple(starts), frames, steps, notes)


def _make(
    kind: str,
    layer: Layer,
    row: LayerRow,
    cells: tuple[tuple[str, ...], ...],
    at: tuple[tuple[int, int], ...],
    frames: list[Frame],
    steps: list[AxisStep],
    notes: list[str],
) -> Picture:
    out = (row.shape[0], row.shape[1])
    if len(frames) != out[0] * out[1] or (frames and frames[-1].out != (out[0] - 1, out[1] - 1)):
        raise AssertionError("the frames do not fill the engine's output")
    for f in frames:
        for r, c in f.taps:
            if not (0 <= r < len(cells) and 0 <= c < len(cells[0])):
                raise AssertionError(f"tap {(r, c)} outside the grid")
    k = "x".join(str(st.k) for st in steps)
    s = "x".join(str(st.s) for st in steps)
    title = f"{layer.kind} {k}, stride {s}"
    if any(st.d > 1 for st in steps):
        title += ", dilation " + "x".join(str(st.d) for st in steps)
    pads = [st.pads for st in steps]
    if any(p != (0, 0) for p in pads):
        title += ", padding " + ", ".join(f"{st.axis} {p[0]}+{p[1]}" for st, p in zip(steps, pads))
    if getattr(layer, "ceil_mode", False):
        title += ", ceil_mode"
    in_shape = (row.in_shapes[0][0], row.in_shapes[0][1])
    return Picture(kind, title, cells, at, in_shape, out, tuple(frames), tuple(steps), tuple(notes))


def picture(layer: Layer, row: LayerRow) -> Picture:
    """The picture of a 2-D windowed layer (see the module docstring)."""
    kind = kind_of(layer)
    if len(row.in_shapes[0]) != 3:
        raise UsageError(
            f"explain draws 2-D layers; '{row.name}' ({row.kind}) has "
            f"{len(row.in_shapes[0]) - 1} spatial axes"
        )
    pic = _transposed(layer, row) if kind == "transpose" else _direct(layer, row, kind)
    h, w = len(pic.cells), len(pic.cells[0])
    if max(h, w) > MAX_GRID:
        raise UsageError(
            f"the padded input of '{row.name}' is {h}x{w} cells; explain draws at most "
            f"{MAX_GRID} per axis",
            hint="draw the same layer on a small input with flags, e.g. "
            "convcalc explain --input 7x7 --kernel 3 --stride 2",
        )
    return pic
