"""Compiled kernels, when the optional numba is installed (``pip install 'convcalc[fast]'``).

Two kernels here (the BatchNorm + ReLU/swish epilogues' are in :mod:`convcalc.ops.epilogues`,
the Winograd transforms' in :mod:`convcalc.ops.winograd`): the 2-D depthwise convolution with
one output channel per input channel (MobileNets, EfficientNet), and 2-D max and average
pooling. NumPy cannot fuse their k·k taps:
each tap is a pass over the block at cache bandwidth, and blocks small enough for L1 lose to
the per-call cost, so the depthwise convolution ran 2.4-9x slower than PyTorch's fused kernel
and the pools 3-5x slower than compiled. Compiled, the taps of an output vector are reduced in
registers, the padding is a bounds check instead of a copy, and there is no temporary.

The NumPy paths (:mod:`convcalc.ops.depthwise`, :mod:`convcalc.ops.pool`) stay the reference
and the fallback: without numba, with ``NUMBA_DISABLE_JIT`` set, with ``TUNING.jit`` off, or
when compiling fails, the callers get ``None`` and use them. Compiled code is cached on disk
by numba (next to this file, else in the user's cache directory), so only the first run of a
kernel size pays the compile (about 0.5 s); each kind and window ``kh x kw`` is its own
compiled function, its taps unrolled.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from convcalc.ops.base import TUNING

Kernel = Callable[..., None]

_LOCK = threading.Lock()
_KERNELS: dict[tuple[str, int, int], Kernel | None] = {}
_NUMBA: list[Any] = []  # [module or None] once tried
MAX_TAPS = 49  # up to 7x7 (ConvNeXt)


def numba_module() -> Any:
    """The numba module, or None when it is not installed, not usable or switched off."""
    if not _NUMBA:
        try:
            import numba
        except Exception:  # not installed, or broken against this numpy
            _NUMBA.append(None)
        else:
            _NUMBA.append(None if getattr(numba.config, "DISABLE_JIT", 0) else numba)
    return _NUMBA[0]


@contextmanager
def for_passes(passes: int) -> Iterator[None]:
    """Inside the block the compiled kernels run only if the forward repeats (``passes`` >
    1) or ``CONVCALC_JIT=1`` asks for them: for one pass numba's start-up costs more than the
    kernel saves (``convcalc run mobilenet``: 0.41 s wall without it, 0.95 s with it, 2.2 s
    the first time, when the kernels compile; the forward itself is 3 ms faster)."""
    before = TUNING.jit
    if passes <= 1 and os.environ.get("CONVCALC_JIT") != "1":
        TUNING.jit = False
    try:
        yield
    finally:
        TUNING.jit = before


def status() -> str:
    """What runs the depthwise and pooling taps: ``numba 0.68.1`` or why NumPy does."""
    nb = numba_module()
    if not TUNING.jit:
        return "NumPy (compiled kernels switched off)"
    return f"numba {nb.__version__}" if nb is not None else "NumPy (numba is not installed)"


def depthwise2d(kh: int, kw: int) -> Kernel | None:
    """The compiled depthwise tap sum for a ``kh x kw`` kernel, or None (use NumPy): also
    for kernels of more than MAX_TAPS taps, whose unrolled loops would take long to compile.

    ``kernel(x, k, kt, b, bt, y, c, n, lo, hi, sh, sw, dh, dw, pt, pl)`` writes output rows
    ``[lo, hi)`` of sample ``n``: ``y[n, h, w, c] = b[c] + sum x[n, h·sh + i·dh - pt,
    w·sw + j·dw - pl, c] · k[i, j, c]`` over the taps that fall inside ``x`` (zero padding
    by omission; the pads after the input follow from ``y``'s size). ``x`` (N, H, W·C),
    ``k`` (kh, kw, C), ``b`` (C,) and ``y`` (N, Ho, Wo·C) are C-contiguous float32, the last
    axes (width, C) merged; ``kt`` and ``bt`` are ``k`` and ``b`` tiled over L output
    columns, (kh, kw, L·C) and (L·C,), L >= 1 (with a column stride above 1, unused: pass
    ``k`` and ``b``); the inputs go through :func:`readonly`. It releases the GIL."""
    return kernel(("depthwise", kh, kw), _depthwise_source, _depthwise_trial)


def pool2d(kh: int, kw: int, op: str) -> Kernel | None:
    """The compiled 2-D pooling of a ``kh x kw`` window, ``op`` "max" or "avg", or None
    (use NumPy).

    ``kernel(x, y, div, c, n, lo, hi, sh, sw, dh, dw, pt, pl)`` writes output rows ``[lo,
    hi)`` of sample ``n``: the max, or the sum divided by ``div[h, w]``, of ``x[n, h·sh +
    i·dh - pt, w·sw + j·dw - pl, c]`` over the taps inside ``x`` (padding and the ceil_mode
    overhang never win a max and add nothing to a sum; ``div`` counts what the average
    divides by). A NaN in a window is its max, as in PyTorch. ``x`` (N, H, W·C) read-only,
    ``y`` (N, Ho, Wo·C) and ``div`` (Ho, Wo) read-only, C-contiguous float32. It releases the
    GIL."""
    return kernel((op, kh, kw), _pool_source, _pool_trial)


def kernel(
    key: tuple[str, int, int],
    source: Callable[[int, int, Callable[[Kernel], Kernel], str], Kernel],
    trial: Callable[[Kernel, int, int], bool],
) -> Kernel | None:
    """The compiled kernel ``key`` (kind, kh, kw), compiled once per process: None when the
    compiled kernels are off, the window has more than MAX_TAPS taps or compiling failed."""
    kind, kh, kw = key
    if not TUNING.jit or kh * kw > MAX_TAPS or numba_module() is None:
        return None
    with _LOCK:
        if key not in _KERNELS:
            _KERNELS[key] = _compile(lambda jit: source(kh, kw, jit, kind), trial, kh, kw)
        return _KERNELS[key]


def readonly(a: Any) -> Any:
    """A read-only view of ``a``: the kernel's inputs are always passed read-only (numba
    compiles a read-only array as another type), so that one compiled signature serves."""
    v = a.view()
    v.flags.writeable = False
    return v


def _compile(
    make: Callable[[Callable[[Kernel], Kernel]], Kernel],
    trial: Callable[[Kernel, int, int], bool],
    kh: int,
    kw: int,
) -> Kernel | None:
    """Compile (or load from numba's cache) and run once on a tiny case, so that a failure
    shows here, where it can fall back, and not in the middle of a forward pass."""
    nb = numba_module()
    for cache in (True, False):  # the cache needs a writable directory; else compile each run
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numba's cache and deprecation warnings
                jit = nb.njit(cache=cache, nogil=True, boundscheck=False, error_model="numpy")
                fn = make(jit)
                if trial(fn, kh, kw):
                    return fn
        except Exception:
            continue
    return None


def _depthwise_trial(fn: Kernel, kh: int, kw: int) -> bool:
    """Run the depthwise kernel on all ones without padding: every tap counts."""
    x, k, kt, b, bt = (
        readonly(np.full(shape, v, np.float32))
        for shape, v in [
            ((1, kh + 1, (kw + 1) * 3), 1),
            ((kh, kw, 3), 1),
            ((kh, kw, 3), 1),
            ((3,), 0),
            ((3,), 0),
        ]
    )
    y = np.empty((1, 2, 2 * 3), np.float32)
    fn(x, k, kt, b, bt, y, 3, 0, 0, 2, 1, 1, 1, 1, 0, 0)
    return bool(np.all(y == kh * kw))


def _pool_trial(fn: Kernel, kh: int, kw: int) -> bool:
    """Run the pooling kernel on all ones, a pixel of padding around where the window is
    longer than one: each output is 1 (the max, or the sum over the taps inside divided by
    their count)."""
    pt, pl = min(1, kh - 1), min(1, kw - 1)
    ho, wo = 1 + 2 * pt, 1 + 2 * pl

    def inside(o: int, p: int, k: int) -> int:
        return sum(0 <= o - p + t < k for t in range(k))

    x = readonly(np.ones((1, kh, kw * 3), np.float32))
    y = np.empty((1, ho, wo * 3), np.float32)
    counts = [[inside(h, pt, kh) * inside(w, pl, kw) for w in range(wo)] for h in range(ho)]
    fn(x, y, readonly(np.array(counts, np.float32)), 3, 0, 0, ho, 1, 1, 1, 1, pt, pl)
    return bool(np.all(y == 1))


def _depthwise_source(  # noqa: C901
    KH: int, KW: int, jit: Callable[[Kernel], Kernel], kind: str = "depthwise"
) -> Kernel:
    """The kernel, compiled by ``jit``, with the tap counts as constants of its closure, so
    that numba unrolls the taps and vectorises the innermost loop (with the taps as loop bounds
    the sum stays in memory: measured 3x slower). One loop nest, not a compiled function per
    loop: numba does not inline one into another (split, MobileNet's 18 depthwise shapes took
    2.31-2.35 ms against 2.03-2.36 ms). Three loops, by measurement (1 thread, 3x3):

    - rows whose taps are all inside, at column stride 1: the interior columns as runs over
      (width, C) against the kernel tiled over as many columns as fit TUNING.depthwise_tile
      (16 KB: 112x112x32 0.40 ms untiled, 0.30 ms so), up to 9 taps two output rows at a
      time sharing each multiplier load (with 25 the two-row body is not vectorised: 5x5 on
      28x28x240 1.13 ms, 0.38 ms a row at a time; PyTorch 0.16 ms); with more than 9 taps
      and column dilation 1, two output columns at a time, vectorised over the channels, each
      weight load serving both (the right one's tap j is the left one's j+1: 5x5 on 28x28x240
      0.38 -> 0.29 ms, 14x14x672 0.25 -> 0.19 ms; three or four columns do not vectorise,
      0.9-1.2 ms; for 3x3 the column pairs measured no better than row pairs); unsigned indices,
      without which numba's negative-index wrap-around stops the vectorising (112x112x32:
      0.45 ms pixel by pixel, 0.19 ms so; PyTorch 0.13 ms; three or more rows at a time do
      not vectorise);
    - other pixels whose taps are all inside (strided rows): a C-long loop per pixel;
    - the border: only the taps inside the input, zero padding by omission.
    """
    u = np.uint64
    PAIRS = KH * KW <= 9  # two output rows at a time
    COLUMNS = not PAIRS  # else two output columns at a time, where the column dilation is 1

    @jit
    def depthwise_rows(  # noqa: C901 (one compiled loop nest, see above)
        x: Any, k: Any, kt: Any, b: Any, bt: Any, y: Any, c: int, n: int, lo: int, hi: int,
        sh: int, sw: int, dh: int, dw: int, pt: int, pl: int,
    ) -> None:  # fmt: skip
        height, width, wo = x.shape[1], x.shape[2] // c, y.shape[2] // c
        wa = wb = 0  # the columns of the (width, C) run
        if sw == 1:
            wa = min(max(pl, 0), wo)
            wb = max(min(width + pl - (KW - 1) * dw, wo), wa)
        run, span = (wb - wa) * c, kt.shape[2] // c  # span: the columns kt covers
        h = lo
        while h < hi:
            h0 = h * sh - pt
            flat = run > 0 and h0 >= 0 and h0 + (KH - 1) * dh < height
            rows = 2 if PAIRS and flat and h + 1 < hi and h0 + sh + (KH - 1) * dh < height else 1
            wq = wa  # where the column pairs end
            if COLUMNS and flat and dw == 1:
                for wq in range(wa, wb - 1, 2):
                    xb, yb = u((wq - pl) * c), u(wq * c)
                    for ci in range(c):
                        cu = u(ci)
                        a0 = b[cu]
                        a1 = a0
                        for i in range(KH):
                            r0 = u(h0 + i * dh)
                            for j in range(KW):
                                kv = k[i, j, cu]
                                a0 += x[n, r0, xb + u(j * c) + cu] * kv
                                a1 += x[n, r0, xb + u((j + 1) * c) + cu] * kv
                        y[n, h, yb + cu] = a0
                        y[n, h, yb + u(c) + cu] = a1
                wq = wa + (wb - wa) // 2 * 2
            for s0 in range(wq, wb if flat else wq, span):  # segments of the run
                seg, ys, xs = (min(wb, s0 + span) - s0) * c, u(s0 * c), u((s0 - pl) * c)
                if rows == 2:
                    for t in range(seg):
                        tu = u(t)
                        a0 = bt[tu]
                        a1 = a0
                        for i in range(KH):
                            r0 = u(h0 + i * dh)
                            r1 = u(h0 + sh + i * dh)
                            for j in range(KW):
                                kv = kt[i, j, tu]
                                xi = xs + tu + u(j * dw * c)
                                a0 += x[n, r0, xi] * kv
                                a1 += x[n, r1, xi] * kv
                        y[n, h, ys + tu] = a0
                        y[n, h + 1, ys + tu] = a1
                else:
                    for t in range(seg):
                        tu = u(t)
                        acc = bt[tu]
                        for i in range(KH):
                            r0 = u(h0 + i * dh)
                            for j in range(KW):
                                acc += x[n, r0, xs + tu + u(j * dw * c)] * kt[i, j, tu]
                        y[n, h, ys + tu] = acc
            for hr in range(h, h + rows):
                r0 = hr * sh - pt
                inside = r0 >= 0 and r0 + (KH - 1) * dh < height
                for w in range(wo):
                    w0, yw = w * sw - pl, u(w * c)
                    if flat and wa <= w < wb:
                        continue
                    if inside and w0 >= 0 and w0 + (KW - 1) * dw < width:
                        for ci in range(c):
                            cu = u(ci)
                            acc = b[cu]
                            for i in range(KH):
                                for j in range(KW):
                                    xi = u((w0 + j * dw) * c) + cu
                                    acc += x[n, u(r0 + i * dh), xi] * k[i, j, cu]
                            y[n, hr, yw + cu] = acc
                        continue
                    for ci in range(c):  # the border
                        y[n, hr, yw + u(ci)] = b[ci]
                    for i in range(KH):
                        hh = r0 + i * dh
                        for j in range(KW):
                            ww = w0 + j * dw
                            if 0 <= hh < height and 0 <= ww < width:
                                xw = u(ww * c)
                                for ci in range(c):
                                    cu = u(ci)
                                    y[n, hr, yw + cu] += x[n, hh, xw + cu] * k[i, j, cu]
            h += rows

    return depthwise_rows


def _pool_source(  # noqa: C901
    KH: int, KW: int, jit: Callable[[Kernel], Kernel], kind: str
) -> Kernel:
    """The pooling kernel, compiled by ``jit``, its window and ``kind`` constants of the
    closure (unrolled taps, the channel loop vectorised; the depthwise kernel's reasons). Two
    loops: pixels whose window is inside ``x``, the taps reduced in registers; the border,
    only the taps inside, reduced in ``y``. A max keeps a NaN tap as PyTorch does: the interior
    takes ``max()`` (which drops a NaN, but vectorises) and the taps' sum, NaN when a tap is,
    and looks for the NaN only then (a compare-and-select per tap took 1.8x as long). Measured
    alone, 1 thread, against the NumPy path (one axis at a time): GoogLeNet's 3x3/2 on
    112x112x64 0.60 -> 0.11 ms, Inception v3's 3x3/1 average on 35x35x192 0.26 -> 0.09 ms,
    VGG16's 2x2/2 on 224x224x64 0.85 -> 0.34 ms."""
    u = np.uint64
    MAX = kind == "max"
    START = -np.inf if MAX else 0.0

    @jit
    def pool_rows(  # noqa: C901 (one compiled loop nest)
        x: Any, y: Any, div: Any, c: int, n: int, lo: int, hi: int,
        sh: int, sw: int, dh: int, dw: int, pt: int, pl: int,
    ) -> None:  # fmt: skip
        height, width, wo = x.shape[1], x.shape[2] // c, y.shape[2] // c
        for h in range(lo, hi):
            h0 = h * sh - pt
            rows_in = h0 >= 0 and h0 + (KH - 1) * dh < height
            for w in range(wo):
                w0, yw = w * sw - pl, u(w * c)
                if rows_in and w0 >= 0 and w0 + (KW - 1) * dw < width:
                    base = u(w0 * c)
                    for ci in range(c):
                        cu = u(ci)
                        acc = x[n, u(h0), base + cu]
                        total = acc  # NaN if a tap is NaN (or +inf and -inf meet)
                        for i in range(KH):
                            for j in range(KW):
                                if i or j:
                                    v = x[n, u(h0 + i * dh), base + u(j * dw * c) + cu]
                                    if MAX:
                                        acc = max(acc, v)
                                    total += v
                        if MAX and np.isnan(total):  # a NaN tap wins (max() would drop it)
                            for i in range(KH):
                                for j in range(KW):
                                    v = x[n, u(h0 + i * dh), base + u(j * dw * c) + cu]
                                    acc = v if np.isnan(v) else acc
                        y[n, h, yw + cu] = acc if MAX else total / div[h, w]
                    continue
                for ci in range(c):  # the border
                    y[n, h, yw + u(ci)] = START
                for i in range(KH):
                    hh = h0 + i * dh
                    for j in range(KW):
                        ww = w0 + j * dw
                        if 0 <= hh < height and 0 <= ww < width:
                            xw = u(ww * c)
                            for ci in range(c):
                                cu = u(ci)
                                v, a = x[n, hh, xw + cu], y[n, h, yw + cu]
                                if MAX:
                                    y[n, h, yw + cu] = v if v > a or np.isnan(v) else a
                                else:
                                    y[n, h, yw + cu] = a + v
                if not MAX:
                    for ci in range(c):
                        y[n, h, yw + u(ci)] /= div[h, w]

    return pool_rows
