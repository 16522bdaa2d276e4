"""NumPy kernels for ``--run``: float32, batch first, channels last ``(N, spatial..., C)``.

Geometry is never derived here: callers pass the per-axis ``(before, after)`` pads from
``_Windowed.pads`` and the output sizes the layer computed with :mod:`convcalc.shapes`; a kernel
only pads (or crops) its input to exactly ``(out-1)·s + d·(k-1) + 1`` positions per axis and
slides its window with :func:`windows`, the one windowing primitive (a
``sliding_window_view``). Python loops run over kernel taps, groups or axes, never over pixels.

Conventions, as the frameworks do:

* convolution is cross-correlation (``--true-convolution`` flips kernels before they get here);
* weights are in Keras layout: Conv ``(k..., C_in/groups, filters)``, depthwise
  ``(k..., C_in, depth_multiplier)`` (output channel ``c·dm + m``), transposed
  ``(k..., filters/groups, C_in)``, Dense ``(in, units)``; group ``j`` maps input channels
  ``[j·C_in/g, (j+1)·C_in/g)`` to output channels ``[j·F/g, (j+1)·F/g)``;
* transposed convolution scatters ``x[i]·w[t]`` to position ``i·s + t·d`` of the full output
  (length ``(n-1)·s + d·(k-1) + 1``), which is then zero-extended and cropped by the caller's
  ``crop`` (PyTorch's ``padding[0]``, or Keras's ``keras_transposed_crop``).
"""

from __future__ import annotations

import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

Pads = Sequence[tuple[int, int]]
F32 = np.float32

# PyTorch padding_mode -> numpy.pad mode (reflect excludes the edge in both).
PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


# --- scratch memory -------------------------------------------------------------------------------
class Scratch:
    """Grow-only flat float32 buffers reused from layer to layer (im2col columns, GEMM output).

    Reusing them avoids a fresh allocation, and its page faults, for every layer: the im2col
    matrix of VGG16's block1_conv2 alone is 110 MiB.
    """

    def __init__(self) -> None:
        self._bufs: dict[str, np.ndarray] = {}

    def get(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        n = math.prod(shape)
        buf = self._bufs.get(key)
        if buf is None or buf.size < n:
            buf = np.empty(n, dtype=F32)
            self._bufs[key] = buf
        return buf[:n].reshape(shape)

    def clear(self) -> None:
        self._bufs.clear()


SCRATCH = Scratch()


class Workers:
    """Splits memory-bound work (window copies, Winograd transforms, bias and activation) over
    threads, by contiguous slabs of output rows; NumPy releases the GIL inside these loops.
    GEMMs stay one call each, threaded by the BLAS itself.

    One worker by default (``CONVCALC_WORKERS`` sets more): on the 2-core machine measured,
    OpenBLAS's threads keep spinning for a while after each GEMM, and a second worker competing
    with them made MobileNet 1.4x slower and VGG16 no faster (with ``OPENBLAS_THREAD_TIMEOUT=4``
    VGG16 gained a little and MobileNet lost less); see docs/run.md."""

    def __init__(self) -> None:
        self.n = max(1, int(os.environ.get("CONVCALC_WORKERS", "1") or 1))
        self._pool: ThreadPoolExecutor | None = None

    def set(self, n: int) -> None:
        if n != self.n and self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        self.n = max(1, n)

    def run(self, fn: Callable[[int, int], None], items: int, min_items: int = 2) -> None:
        """``fn(lo, hi)`` over ``range(items)`` in up to ``n`` contiguous slabs."""
        k = min(self.n, items // max(min_items, 1))
        if k <= 1:
            fn(0, items)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.n, thread_name_prefix="convcalc")
        bounds = [items * i // k for i in range(k + 1)]
        for f in [self._pool.submit(fn, lo, hi) for lo, hi in zip(bounds, bounds[1:])]:
            f.result()


WORKERS = Workers()
PARALLEL_MIN = 1 << 15  # elements per slab below which threads cost more than they save
CHUNK = 1 << 22         # elements of scratch (16 MiB) per slab of an im2col or Winograd buffer


# --- padding and windows --------------------------------------------------------------------------
def pad(x: np.ndarray, pads: Pads, mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """Pad the spatial axes of ``x`` (N, spatial..., C); negative widths crop."""
    r = x.ndim - 2
    crop = tuple(slice(max(-b, 0), x.shape[1 + i] - max(-a, 0)) for i, (b, a) in enumerate(pads))
    if any(b < 0 or a < 0 for b, a in pads):
        x = x[(slice(None),) + crop]
    widths = [(0, 0)] + [(max(b, 0), max(a, 0)) for b, a in pads] + [(0, 0)]
    if not any(b or a for b, a in widths):
        return x
    assert len(widths) == r + 2
    if mode == "zeros":  # the interior once, then only the border slabs (one pass, not two)
        out = np.empty([n + b + a for n, (b, a) in zip(x.shape, widths)], dtype=x.dtype)
        out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, widths))] = x
        for i, (b, a) in enumerate(widths):
            if b:
                out[(slice(None),) * i + (slice(0, b),)] = value
            if a:
                out[(slice(None),) * i + (slice(out.shape[i] - a, None),)] = value
        return out
    return np.pad(x, widths, mode=PAD_MODES[mode])


def window_input(x: np.ndarray, pads: Pads, out: Sequence[int], k: Sequence[int],
                 s: Sequence[int], d: Sequence[int], mode: str = "zeros",
                 value: float = 0.0) -> np.ndarray:
    """Pad ``x`` with ``pads`` and then to exactly ``(out-1)·s + d·(k-1) + 1`` per axis.

    The extra positions at the end (PyTorch's ceil_mode overhang) hold ``value``; positions the
    last window never reaches are cropped. Zero padding does both in one copy.
    """
    need = [(o - 1) * st + dd * (kk - 1) + 1 for o, kk, st, dd in zip(out, k, s, d)]
    if mode == "zeros":
        return pad(x, [(b, need[i] - x.shape[1 + i] - b) for i, (b, _) in enumerate(pads)],
                   mode, value)
    xp = pad(x, pads, mode)
    return pad(xp, [(0, need[i] - xp.shape[1 + i]) for i in range(len(pads))], "zeros", value)


def windows(xp: np.ndarray, k: Sequence[int], s: Sequence[int], d: Sequence[int],
            out: Sequence[int]) -> np.ndarray:
    """A strided view ``(N, out..., k..., C)`` of every window of ``xp`` (no copy).

    ``sliding_window_view`` gives ``(N, positions..., C, span...)``; stride and dilation are
    slices of it, and the channel axis moves last so that an im2col copy reads ``(k..., C)``
    rows with C contiguous.
    """
    r = xp.ndim - 2
    span = tuple(dd * (kk - 1) + 1 for kk, dd in zip(k, d))
    v = sliding_window_view(xp, span, axis=tuple(range(1, r + 1)))
    index = ((slice(None),) + tuple(slice(0, (o - 1) * st + 1, st) for o, st in zip(out, s))
             + (slice(None),) + tuple(slice(None, None, dd) for dd in d))
    v = v[index]
    return np.moveaxis(v, r + 1, -1)


def taps(k: Sequence[int]) -> itertools.product:
    return itertools.product(*(range(kk) for kk in k))


def tap_slices(win: np.ndarray, r: int) -> Callable[[tuple[int, ...]], np.ndarray]:
    """For a windows() view: the (N, out..., C) slice of one kernel tap."""
    def at(t: tuple[int, ...]) -> np.ndarray:
        return win[(slice(None),) * (r + 1) + t]
    return at


# --- convolution ----------------------------------------------------------------------------------
def row_tile(v: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A per-channel vector repeated over the last spatial axis of ``like`` (…, W, C), so that a
    broadcast operation runs one W·C-long inner loop instead of W loops of C (NumPy cannot
    merge the axes of a broadcast operand)."""
    if like.ndim < 3 or like.shape[-2] == 1:
        return v
    return np.ascontiguousarray(np.broadcast_to(v.reshape(-1), like.shape[-2:]))


def _bias_act(y: np.ndarray, bias: np.ndarray | None,
              act: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    if bias is not None:
        np.add(y, row_tile(bias, y), out=y)
    if act is not None:
        y = act(y)
    return y


def _bias_act_into(part: np.ndarray, bias: np.ndarray | None,
                   act: Callable[[np.ndarray], np.ndarray] | None) -> None:
    """Bias and an element-wise activation, written back into ``part`` (a view)."""
    out = _bias_act(part, bias, act)
    if out is not part:
        part[...] = out


def _bias_act_rows(y: np.ndarray, bias: np.ndarray | None,
                   act: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    """Bias and activation in place, over slabs of axis 1 in parallel (for large outputs;
    element-wise activations only, which is what convolutions fuse)."""
    if bias is None and act is None:
        return y
    if y.ndim < 3 or y.size < 2 * PARALLEL_MIN or y.shape[0] != 1:
        return _bias_act(y, bias, act)
    _run_rows(lambda lo, hi: _bias_act_into(y[:, lo:hi], bias, act), y)
    return y


def conv(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, out: Sequence[int],
         strides: Sequence[int], dilation: Sequence[int], pads: Pads, groups: int = 1,
         mode: str = "zeros", act: Callable[[np.ndarray], np.ndarray] | None = None
         ) -> np.ndarray:
    """N-D convolution (cross-correlation) with a Keras-layout ``kernel`` (k..., C/g, F).

    One GEMM of the im2col matrix ``(N·prod(out), prod(k)·C)`` (rows in ``(k..., C)`` order)
    by the kernel; 1×1 stride-1 unpadded convolutions are a plain GEMM; 3×3 stride-1 2-D
    convolutions with many channels use Winograd F(2×2, 3×3) (:func:`winograd3x3`); grouped
    convolutions are one batched GEMM over groups, and one input channel per group is a
    depthwise convolution (no dense weight).
    """
    r = x.ndim - 2
    k = kernel.shape[:r]
    cg, f = kernel.shape[r], kernel.shape[r + 1]
    n, c = x.shape[0], x.shape[-1]
    if groups > 1 and cg == 1:
        return depthwise(x, kernel.reshape(k + (groups, f // groups)), bias, out, strides,
                         dilation, pads, mode, act)
    if act is not None and not getattr(act, "elementwise", False):  # softmax, glu: whole array
        return act(conv(x, kernel, bias, out, strides, dilation, pads, groups, mode))
    if (groups == 1 and k == (3, 3) and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1)
            and mode == "zeros" and c >= WINOGRAD_MIN_CHANNELS):
        return winograd3x3(x, kernel, bias, out, pads, act)
    m = n * math.prod(out)
    kk = math.prod(k)
    y = np.empty((n,) + tuple(out) + (f,), dtype=F32)
    if groups == 1 and kk == 1 and all(st == 1 for st in strides) and not any(
            b or a for b, a in pads):
        np.matmul(x.reshape(m, c), kernel.reshape(c, f), out=y.reshape(m, f))
        return _bias_act_rows(y, bias, act)
    xp = window_input(x, pads, out, k, strides, dilation, mode)
    win = windows(xp, k, strides, dilation, out)
    if groups > 1:
        g = groups
        wg = win.reshape(win.shape[:-1] + (g, cg))
        wg = np.moveaxis(wg, -2, 0)  # (g, N, out..., k..., cg)
        cols = SCRATCH.get("cols", wg.shape)
        np.copyto(cols, wg)
        kmat = np.ascontiguousarray(
            kernel.reshape(kk, cg, g, f // g).transpose(2, 0, 1, 3)).reshape(g, kk * cg, f // g)
        yg = np.matmul(cols.reshape(g, m, kk * cg), kmat)  # (g, M, F/g)
        np.copyto(y.reshape(m, g, f // g), np.moveaxis(yg, 0, 1))
        return _bias_act(y, bias, act)
    kmat = kernel.reshape(kk * c, f)
    per_sample = math.prod(out) * kk * c
    if r == 0 or n * per_sample <= CHUNK:  # the whole batch's im2col matrix at once
        cols = SCRATCH.get("cols", (n,) + tuple(out) + tuple(k) + (c,))
        np.copyto(cols, win)
        np.matmul(cols.reshape(m, kk * c), kmat, out=y.reshape(m, f))
        return _bias_act_rows(y, bias, act)
    # sample by sample, in slabs of output rows of at most CHUNK elements, so the matrix stays
    # small (VGG16's block1_conv2 would need 110 MiB per sample at once) and in cache
    per_row = per_sample // out[0]
    step = max(1, CHUNK // per_row)
    for b in range(n):
        for lo in range(0, out[0], step):
            hi = min(lo + step, out[0])
            cols = SCRATCH.get("cols", (1, hi - lo) + tuple(out[1:]) + tuple(k) + (c,))
            rows = (hi - lo) * math.prod(out[1:])

            def copy(a: int, z: int, cols: np.ndarray = cols, lo: int = lo, b: int = b) -> None:
                np.copyto(cols[:, a:z], win[b:b + 1, lo + a:lo + z])
            WORKERS.run(copy, hi - lo, max(1, PARALLEL_MIN // per_row))
            ys = y[b:b + 1, lo:hi]
            np.matmul(cols.reshape(rows, kk * c), kmat, out=ys.reshape(rows, f))
            _bias_act_into(ys, bias, act)
    return y


# --- Winograd F(2x2, 3x3) (Lavin & Gray, arXiv 1509.09308) ------------------------------------
# Y = A^T [(G g G^T) ⊙ (B^T d B)] A per 4x4 input tile d giving a 2x2 output tile: 16 GEMMs of
# (tiles, C) @ (C, F) instead of 9 per output pixel, i.e. 2.25x fewer multiplications.
WINOGRAD_MIN_CHANNELS = 64    # measured: below this the transforms cost what the GEMMs save
WINOGRAD_SLAB = 1 << 19       # elements of a transformed buffer per slab
WINOGRAD_GEMM_ROWS = 2
_WG = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
_WINOGRAD_U: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def winograd_kernel(kernel: np.ndarray) -> np.ndarray:
    """U = G g G^T for every (C, F) pair, as (16, C, F) float32; cached per kernel array."""
    hit = _WINOGRAD_U.get(id(kernel))
    if hit is not None and hit[0] is kernel:
        return hit[1]
    c, f = kernel.shape[2:]
    u = np.einsum("ai,ijcf,bj->abcf", _WG, kernel.astype(np.float64), _WG)
    u = np.ascontiguousarray(u.astype(F32).reshape(16, c, f))
    _WINOGRAD_U[id(kernel)] = (kernel, u)
    return u


def winograd3x3(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None,
                out: Sequence[int], pads: Pads,
                act: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """3×3 stride-1 2-D convolution by Winograd F(2×2, 3×3): input transform ``B^T d B`` and
    output transform ``A^T m A`` as NumPy slices, one batched GEMM over the 16 transform
    points; in slabs of tile rows.

    Tiles overlap by two columns, so every transform step would read or write with a stride
    of two pixels, and NumPy would loop over C-long runs only. Instead the padded input is
    stored once with even and odd columns apart (``(N, H, 2, W/2, C)``) and the output
    transform writes (row parity, column parity) planes: every step then runs over contiguous
    ``(tiles·C)`` memory, and only one copy in and one copy out are strided.
    """
    n, h, w, c = x.shape
    f = kernel.shape[-1]
    oh, ow = out
    th, tw = -(-oh // 2), -(-ow // 2)
    u = winograd_kernel(kernel)
    hp, wh = 2 * th + 2, tw + 1  # padded rows; padded columns / 2
    d = SCRATCH.get("wino_d", (n, hp, 2, wh, c))
    d.fill(0)
    (top, _), (left, _) = pads
    rows_in = min(h, hp - top)
    for q in (0, 1):  # padded column j = w + left lands in parity j % 2, index j // 2
        w0 = (q - left) % 2
        k0 = (w0 + left) // 2
        cnt = min(len(range(w0, w, 2)), wh - k0)
        if cnt > 0 and rows_in > 0:
            d[:, top:top + rows_in, q, k0:k0 + cnt] = x[:, :rows_in, w0:w0 + 2 * cnt:2]
    even = oh == 2 * th and ow == 2 * tw
    y = np.empty((n, oh, ow, f), dtype=F32)
    full = y if even else np.empty((n, 2 * th, 2 * tw, f), dtype=F32)
    full6 = full.reshape(n, th, 2, tw, 2, f)
    # slabs of tile rows: small enough that the transformed buffers stay in cache (2 MiB),
    # large enough that each of the 16 GEMMs has WINOGRAD_GEMM_ROWS·max(C, F) rows or more
    # (measured on VGG16: 224x224x64 44 -> 32 ms, the deeper layers unchanged)
    step = max(1, WINOGRAD_SLAB // (16 * n * tw * max(c, f)),
               -(-WINOGRAD_GEMM_ROWS * max(c, f) // (n * tw)))
    for lo in range(0, th, step):
        hi = min(lo + step, th)
        rows_t = hi - lo
        t = SCRATCH.get("wino_t", (4, n, rows_t, 2, wh, c))
        v = SCRATCH.get("wino_v", (4, 4, n, rows_t, tw, c))
        rows = [d[:, 2 * lo + i:2 * hi + i:2] for i in range(4)]  # B^T on rows
        np.subtract(rows[0], rows[2], out=t[0])
        np.add(rows[1], rows[2], out=t[1])
        np.subtract(rows[2], rows[1], out=t[2])
        np.subtract(rows[1], rows[3], out=t[3])
        cols = [t[:, :, :, j % 2, j // 2:j // 2 + tw] for j in range(4)]  # B on columns
        np.subtract(cols[0], cols[2], out=v[:, 0])
        np.add(cols[1], cols[2], out=v[:, 1])
        np.subtract(cols[2], cols[1], out=v[:, 2])
        np.subtract(cols[1], cols[3], out=v[:, 3])
        p = n * rows_t * tw
        m = SCRATCH.get("wino_m", (16, p, f))
        np.matmul(v.reshape(16, p, c), u, out=m)
        mm = m.reshape(4, 4, n, rows_t, tw, f)
        ss = SCRATCH.get("wino_s", (2, 4, n, rows_t, tw, f))
        np.add(mm[0], mm[1], out=ss[0])  # A^T on rows
        ss[0] += mm[2]
        np.subtract(mm[1], mm[2], out=ss[1])
        ss[1] -= mm[3]
        o = SCRATCH.get("wino_o", (2, 2, n, rows_t, tw, f))  # (row parity, column parity)
        np.add(ss[:, 0], ss[:, 1], out=o[:, 0])  # A on columns
        o[:, 0] += ss[:, 2]
        np.subtract(ss[:, 1], ss[:, 2], out=o[:, 1])
        o[:, 1] -= ss[:, 3]
        np.copyto(full6[:, lo:hi], o.transpose(2, 3, 0, 4, 1, 5))
        if even:
            _bias_act_into(full[:, 2 * lo:2 * hi], bias, act)
    if not even:
        np.copyto(y, full[:, :oh, :ow])
        y = _bias_act(y, bias, act)
    return y


def depthwise(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, out: Sequence[int],
              strides: Sequence[int], dilation: Sequence[int], pads: Pads, mode: str = "zeros",
              act: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Depthwise convolution, kernel (k..., C, dm), output channel ``c·dm + m``; no im2col copy
    and no dense weight. Two ways, by measurement on MobileNet's layers: stride 1 with at most
    DEPTHWISE_TAPS_MAX_C channels loops over the k·k taps (one multiply-add over the whole
    output each, with long contiguous inner loops); otherwise one ``einsum`` over the strided
    window view sums the taps per position (strided taps would run C-long inner loops)."""
    r = x.ndim - 2
    k = kernel.shape[:r]
    c, dm = kernel.shape[r], kernel.shape[r + 1]
    n = x.shape[0]
    xp = window_input(x, pads, out, k, strides, dilation, mode)
    win = windows(xp, k, strides, dilation, out)  # (N, out..., k..., C)
    if any(st != 1 for st in strides) or c > DEPTHWISE_TAPS_MAX_C or r == 0:
        y = np.empty((n,) + tuple(out) + (c, dm), dtype=F32)
        sp = "".join(chr(ord("p") + i) for i in range(r))   # output axes
        kt = "".join(chr(ord("i") + i) for i in range(r))   # tap axes
        np.einsum(f"n{sp}{kt}c,{kt}cm->n{sp}cm", win, kernel, out=y)
        return _bias_act_rows(y.reshape((n,) + tuple(out) + (c * dm,)), bias, act)
    at = tap_slices(win, r)
    y = np.empty((n,) + tuple(out) + (c, dm), dtype=F32)
    tmp = SCRATCH.get("dw_tmp", (n,) + tuple(out) + (c,))
    # each tap's multipliers tiled over the last spatial axis, so that NumPy runs one long
    # inner loop over (width, C) instead of a loop of C-long ones (measured 2x faster)
    last = out[-1]
    kt = {t: np.ascontiguousarray(np.broadcast_to(kernel[t].T[:, None, :], (dm, last, c)))
          for t in taps(k)}

    def slab(lo: int, hi: int) -> None:
        rows = (slice(None), slice(lo, hi))
        tile = slice(lo, hi) if r == 1 else slice(None)  # 1-D: the slabs cut the tiled axis
        for m in range(dm):
            ym = y[rows + (Ellipsis, m)]
            tm = tmp[rows]
            for i, t in enumerate(taps(k)):
                if i == 0:
                    np.multiply(at(t)[rows], kt[t][m][tile], out=ym)
                else:
                    np.multiply(at(t)[rows], kt[t][m][tile], out=tm)
                    ym += tm

    WORKERS.run(slab, out[0], max(1, PARALLEL_MIN // max(1, y.size // max(out[0], 1))))
    y = y.reshape((n,) + tuple(out) + (c * dm,))
    return _bias_act_rows(y, bias, act)


DEPTHWISE_TAPS_MAX_C = 128  # measured: taps win up to 56x56x128, einsum from 28x28x256


def conv_transpose(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None,
                   out: Sequence[int], strides: Sequence[int], dilation: Sequence[int],
                   crop: Sequence[int], groups: int = 1,
                   act: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Transposed convolution, kernel (k..., F/g, C): one GEMM ``x (M, C) @ (C, prod(k)·F)``,
    then every tap's column block is added at stride ``s`` into the full output (col2im, a
    loop over taps), which is zero-extended and cropped to ``[crop, crop + out)`` per axis."""
    r = x.ndim - 2
    k = kernel.shape[:r]
    fg, c = kernel.shape[r], kernel.shape[r + 1]
    g = groups
    f, cg = fg * g, c // g
    n, sizes = x.shape[0], x.shape[1:-1]
    kk = math.prod(k)
    m = n * math.prod(sizes)
    if g == 1:
        kmat = kernel.reshape(kk * fg, c).T  # (C, K·F)
        cols = (x.reshape(m, c) @ kmat).reshape(tuple(x.shape[:-1]) + (kk, f))
    else:
        xg = np.moveaxis(x.reshape(m, g, cg), 1, 0)  # (g, M, cg)
        kmat = kernel.reshape(kk, fg, g, cg).transpose(2, 3, 0, 1).reshape(g, cg, kk * fg)
        cols = np.matmul(xg, kmat).reshape((g,) + tuple(x.shape[:-1]) + (kk, fg))
        cols = np.moveaxis(cols, 0, -2).reshape(tuple(x.shape[:-1]) + (kk, f))
    full = [(nn - 1) * st + dd * (kx - 1) + 1 for nn, kx, st, dd in zip(sizes, k, strides,
                                                                      dilation)]
    ext = [max(fl, cr + o) for fl, cr, o in zip(full, crop, out)]
    y = np.zeros((n,) + tuple(ext) + (f,), dtype=F32)
    for i, t in enumerate(taps(k)):
        index = tuple(slice(tt * dd, tt * dd + (nn - 1) * st + 1, st)
                      for tt, dd, nn, st in zip(t, dilation, sizes, strides))
        y[(slice(None),) + index] += cols[..., i, :]
    y = y[(slice(None),) + tuple(slice(cr, cr + o) for cr, o in zip(crop, out))]
    y = np.ascontiguousarray(y)
    return _bias_act(y, bias, act)


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None,
          act: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """``x @ kernel (+ bias)`` on the last axis."""
    y = np.matmul(x, kernel)
    return _bias_act(y, bias, act)


# --- pooling --------------------------------------------------------------------------------------
def max_pool(x: np.ndarray, k: Sequence[int], strides: Sequence[int], dilation: Sequence[int],
             pads: Pads, out: Sequence[int]) -> np.ndarray:
    """Max over each window; padding and the ceil_mode overhang never win (they hold -inf)."""
    r = x.ndim - 2
    if (tuple(k) == tuple(strides) and all(dd == 1 for dd in dilation)
            and not any(b or a for b, a in pads)
            and all(o * kk == nn for o, kk, nn in zip(out, k, x.shape[1:-1]))):
        return _tiled(x, k, out, np.maximum)
    xp = window_input(x, pads, out, k, strides, dilation, value=-np.inf)
    at = tap_slices(windows(xp, k, strides, dilation, out), r)
    it = taps(k)
    y = np.array(at(next(it)), dtype=F32)
    for t in it:
        np.maximum(y, at(t), out=y)
    return y


def _tiled(x: np.ndarray, k: Sequence[int], out: Sequence[int],
           op: Callable[..., np.ndarray]) -> np.ndarray:
    """Windows that tile the input (stride = size, no padding): reduce one axis at a time,
    ``op`` over the k strided slices of a reshape; the first (outermost) axis runs over
    contiguous rows, and every step shrinks the data for the next."""
    y = x
    for i, (o, kk) in enumerate(zip(out, k)):
        if kk == 1:
            continue
        v = y.reshape(y.shape[:1 + i] + (o, kk) + y.shape[2 + i:])
        part = [v[(slice(None),) * (2 + i) + (j,)] for j in range(kk)]
        acc = op(part[0], part[1])
        for p in part[2:]:
            op(acc, p, out=acc)
        y = acc
    return y.copy() if y is x else y


def avg_divisor_axis(n: int, k: int, s: int, pads: tuple[int, int], out: int,
                     include_pad: bool) -> np.ndarray:
    """Per-axis window counts, exactly as PyTorch's avg_pool: a window starts at ``o·s - p_l``
    and is clipped to the padded input ``[-p_l, n + p_r)``; without ``include_pad`` only the
    real input ``[0, n)`` counts (Keras 'same' average pooling, tensorflow#45579)."""
    start = np.arange(out) * s - pads[0]
    end = np.minimum(start + k, n + pads[1])
    if include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, n) - np.maximum(start, 0)).astype(np.float64)


def avg_pool(x: np.ndarray, k: Sequence[int], strides: Sequence[int], pads: Pads,
             out: Sequence[int], include_pad: bool) -> np.ndarray:
    """Mean over each window; the divisor follows :func:`avg_divisor_axis` per axis (the window
    is a box, so the count is the product of the per-axis counts)."""
    r = x.ndim - 2
    ones = (1,) * r
    if (tuple(k) == tuple(strides) and not any(b or a for b, a in pads)
            and all(o * kk == nn for o, kk, nn in zip(out, k, x.shape[1:-1]))):
        y = _tiled(x, k, out, np.add)
        y /= F32(math.prod(k))
        return y
    xp = window_input(x, pads, out, k, strides, ones)
    at = tap_slices(windows(xp, k, strides, ones, out), r)
    it = taps(k)
    y = np.array(at(next(it)), dtype=F32)
    for t in it:
        np.add(y, at(t), out=y)
    div = np.ones((), dtype=np.float64)
    for i in range(r):
        d = avg_divisor_axis(x.shape[1 + i], k[i], strides[i], pads[i], out[i], include_pad)
        div = np.multiply.outer(div, d)
    np.divide(y, div[..., None].astype(F32), out=y)
    return y


# --- elementwise ----------------------------------------------------------------------------------
def batch_norm(x: np.ndarray, axis: int, gamma: np.ndarray | None, beta: np.ndarray | None,
               mean: np.ndarray, var: np.ndarray, eps: float) -> np.ndarray:
    """Inference batch norm: ``x·a + b`` with ``a = gamma/sqrt(var+eps)``, ``b = beta - mean·a``
    (as PyTorch's CPU kernel folds it)."""
    inv = 1.0 / np.sqrt(var.astype(np.float64) + eps)
    a = inv if gamma is None else gamma.astype(np.float64) * inv
    b = -mean.astype(np.float64) * a
    if beta is not None:
        b = b + beta
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    a32, b32 = a.astype(F32).reshape(shape), b.astype(F32).reshape(shape)
    y = np.empty_like(x, dtype=F32)
    if axis == x.ndim - 1 and x.ndim >= 3:
        a32, b32 = row_tile(a32, x), row_tile(b32, x)

        def slab(lo: int, hi: int) -> None:
            np.multiply(x[:, lo:hi], a32, out=y[:, lo:hi])
            np.add(y[:, lo:hi], b32, out=y[:, lo:hi])
        _run_rows(slab, y)
    else:
        np.multiply(x, a32, out=y)
        np.add(y, b32, out=y)
    return y


def upsample_nearest(x: np.ndarray, size: Sequence[int]) -> np.ndarray:
    for i, f in enumerate(size):
        if f != 1:
            x = np.repeat(x, f, axis=1 + i)
    return x


def upsample_bilinear(x: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Linear interpolation per spatial axis with half-pixel centres (PyTorch
    ``align_corners=False``, TF ``half_pixel_centers=True``): source ``(o + 0.5)/f - 0.5``,
    clamped at 0, neighbours clamped at the edge."""
    for i, f in enumerate(size):
        n = x.shape[1 + i]
        src = np.maximum((np.arange(n * f) + 0.5) / f - 0.5, 0.0)
        i0 = np.floor(src).astype(np.intp)
        i1 = np.minimum(i0 + 1, n - 1)
        w = (src - i0).astype(F32)
        shape = [1] * x.ndim
        shape[1 + i] = n * f
        w = w.reshape(shape)
        a, b = np.take(x, i0, axis=1 + i), np.take(x, i1, axis=1 + i)
        x = a + (b - a) * w
    return x


def crop(x: np.ndarray, cropping: Pads) -> np.ndarray:
    return np.ascontiguousarray(pad(x, [(-b, -a) for b, a in cropping]))


# --- activations ----------------------------------------------------------------------------------
def _erfc(x: np.ndarray) -> np.ndarray:
    """erfc in float64 (Numerical Recipes ``erfcc``, Chebyshev fit: relative error < 1.2e-7
    everywhere, so GELU's tail keeps its float32 precision)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    c = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
         -1.13520398, 1.48851587, -0.82215223, 0.17087277)
    poly = c[-1]
    for coef in reversed(c[:-1]):
        poly = coef + t * poly
    r = t * np.exp(-z * z + poly)
    return np.where(x >= 0, r, 2.0 - r)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sparsemax(x: np.ndarray, axis: int) -> np.ndarray:
    z = np.moveaxis(x, axis, -1).astype(np.float64)
    zs = -np.sort(-z, axis=-1)
    kk = np.arange(1, z.shape[-1] + 1)
    cs = np.cumsum(zs, axis=-1)
    support = 1 + kk * zs > cs
    kz = support.sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cs, kz - 1, axis=-1) - 1) / kz
    return np.moveaxis(np.maximum(z - tau, 0), -1, axis)


def _glu(x: np.ndarray, axis: int) -> np.ndarray:
    a, b = np.split(x, 2, axis=axis)
    return a * (1 / (1 + np.exp(-b)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, x)


def _elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


# ReLU as clip(x, 0, inf): NumPy vectorises two-bound clip, while maximum with a scalar runs
# 3.5x slower (measured: 2.13 vs 0.60 ms on 224x224x64)
INF = F32(np.inf)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

ELEMENTWISE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.clip(x, F32(0), INF, out=x),
    "relu6": lambda x: np.clip(x, F32(0), F32(6), out=x),
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "tanh": np.tanh,
    "selu": lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
    "elu": _elu,
    "celu": _elu,
    "exponential": np.exp,
    "gelu": lambda x: 0.5 * x * _erfc(-x.astype(np.float64) / math.sqrt(2)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: -_softplus(-x),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
}
ALONG_AXIS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "softmax": _softmax,
    "log_softmax": lambda x, axis: x - x.max(axis=axis, keepdims=True) - np.log(np.exp(
        x - x.max(axis=axis, keepdims=True)).sum(axis=axis, keepdims=True)),
    "sparsemax": _sparsemax,
    "glu": _glu,
}
UNSUPPORTED = {"threshold": "Keras's threshold activation needs its threshold and default "
                            "values, which a name alone does not give"}


def activation(name: str | None, axis: int = -1, inplace: bool = False
               ) -> Callable[[np.ndarray], np.ndarray] | None:
    """The function for a Keras activation name (Keras 3 definitions; ``axis`` for the ones
    that normalise along an axis). ``None`` for no activation. Results are float32; with
    ``inplace`` ReLU and ReLU6 overwrite their argument (a fresh layer output)."""
    if name is None or name == "linear":
        return None
    if name == "relu" and not inplace:
        return _elementwise(lambda x: np.clip(x, F32(0), INF))
    if name == "relu6" and not inplace:
        return _elementwise(lambda x: np.clip(x, F32(0), F32(6)))
    if name in ELEMENTWISE:
        fn = ELEMENTWISE[name]
        return _elementwise(lambda x: np.asarray(fn(x), dtype=F32))
    along = ALONG_AXIS[name]
    return lambda x: np.asarray(along(x, axis), dtype=F32)


def _elementwise(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Mark an activation that may be applied to any slab of its input independently."""
    fn.elementwise = True  # type: ignore[attr-defined]
    return fn


def keras_axis(axis: int, ndim: int, channels_first: bool) -> int:
    """A Keras axis (batch = 0, in the spec's data_format) -> axis of a canonical batch array."""
    from convcalc.layers.base import canonical_axis
    return 1 + canonical_axis(axis, ndim - 1, channels_first)


def relu_like(x: np.ndarray, max_value: float | None, negative_slope: float,
              threshold: float) -> np.ndarray:
    """Keras ``ReLU``: max_value above it, x on [threshold, max_value),
    negative_slope·(x - threshold) below the threshold. Plain ReLU and ReLU6 take one pass,
    in parallel slabs."""
    if negative_slope == 0 and threshold == 0:
        y = np.empty_like(x, dtype=F32)

        def slab(lo: int, hi: int) -> None:
            part = y[:, lo:hi] if y.ndim > 1 else y
            src = x[:, lo:hi] if x.ndim > 1 else x
            if max_value is None:
                np.clip(src, F32(0), INF, out=part)
            else:
                np.clip(src, F32(0), F32(max_value), out=part)
        _run_rows(slab, y)
        return y
    y = np.where(x >= threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = np.minimum(y, max_value)
    return np.asarray(y, dtype=F32)


def _run_rows(fn: Callable[[int, int], None], y: np.ndarray) -> None:
    """``fn(lo, hi)`` over slabs of axis 1 of ``y`` (batch 1, large arrays) or all of it."""
    if y.ndim < 3 or y.shape[0] != 1 or y.size < 2 * PARALLEL_MIN:
        fn(0, y.shape[1] if y.ndim > 1 else 1)
        return
    WORKERS.run(fn, y.shape[1], max(1, PARALLEL_MIN // (y.size // y.shape[1])))


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.asarray(_elu(x, alpha), dtype=F32)


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return np.asarray(_softmax(x, axis), dtype=F32)


# --- merges and layout ----------------------------------------------------------------------------
def merge(kind: str, xs: Sequence[np.ndarray]) -> np.ndarray:
    """Add, Subtract, Multiply, Average, Maximum, Minimum of same-shaped arrays."""
    if kind == "Subtract":
        return xs[0] - xs[1]
    op = {"Add": np.add, "Average": np.add, "Multiply": np.multiply, "Maximum": np.maximum,
          "Minimum": np.minimum}[kind]
    y = op(xs[0], xs[1])
    for x in xs[2:]:
        op(y, x, out=y)
    if kind == "Average":
        y /= F32(len(xs))
    return y


def to_display(x: np.ndarray, channels_first: bool) -> np.ndarray:
    """A canonical batch (N, spatial..., C) in the spec's data_format: (N, C, spatial...)."""
    return np.moveaxis(x, -1, 1) if channels_first and x.ndim >= 3 else x


def to_canonical(x: np.ndarray, channels_first: bool) -> np.ndarray:
    return np.moveaxis(x, 1, -1) if channels_first and x.ndim >= 3 else x
