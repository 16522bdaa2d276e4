"""Depthwise convolution without an im2col copy or a dense weight.

Kernel in Keras layout ``(k..., C_in, depth_multiplier)``; output channel ``c·dm + m``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcalc.ops.base import (
    F32,
    SCRATCH,
    TUNING,
    WORKERS,
    Activation,
    Pads,
    bias_act_into,
    bias_act_rows,
    row_tile,
)
from convcalc.ops.jit import Kernel, depthwise2d, readonly
from convcalc.ops.windows import tap_slices, taps, window_input, windows


def depthwise(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    mode: str = "zeros",
    act: Activation | None = None,
) -> np.ndarray:
    """Depthwise convolution, kernel (k..., C, dm), output channel ``c·dm + m``; no im2col copy
    and no dense weight. 2-D with one output channel per input channel: the compiled kernel
    when numba is installed (:func:`_compiled`). Else two NumPy ways, by measurement on
    MobileNet's layers: stride 1 with at most
    TUNING.depthwise_taps_max_c channels sums the k·k taps with long contiguous inner loops, in
    cache blocks (:func:`_blocked_taps`; 1-D: a tap loop over the whole output); otherwise one
    ``einsum`` over the strided window view sums the taps per position, per block of samples
    (:func:`_window_sum`; strided taps would run C-long inner loops)."""
    r = x.ndim - 2
    k = kernel.shape[:r]
    c, dm = kernel.shape[r], kernel.shape[r + 1]
    n = x.shape[0]
    fn = depthwise2d(*k) if r == 2 and dm == 1 else None
    if fn is not None:
        return _compiled(fn, x, kernel, bias, out, strides, dilation, pads, mode, act)
    if any(st != 1 for st in strides) or c > TUNING.depthwise_taps_max_c or r == 0:
        return _window_sum(x, kernel, bias, out, strides, dilation, pads, mode, act)
    xp = window_input(x, pads, out, k, strides, dilation, mode)
    win = windows(xp, k, strides, dilation, out)  # (N, out..., k..., C)
    at = tap_slices(win, r)
    y = np.empty((n,) + tuple(out) + (c, dm), dtype=F32)
    if r >= 2:
        if act is None or getattr(act, "elementwise", False):  # on each block, in cache
            return _blocked_taps(xp, kernel, y, out, dilation, bias, act)
        y = _blocked_taps(xp, kernel, y, out, dilation, None, None)
        return bias_act_rows(y, bias, act)
    tmp = SCRATCH.get("dw_tmp", (n,) + tuple(out) + (c,))
    # each tap's multipliers tiled over the last spatial axis, so that NumPy runs one long
    # inner loop over (width, C) instead of a loop of C-long ones (measured 2x faster)
    last = out[-1]
    kt = {
        t: np.ascontiguousarray(np.broadcast_to(kernel[t].T[:, None, :], (dm, last, c)))
        for t in taps(k)
    }

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

    WORKERS.run(slab, out[0], max(1, TUNING.parallel_min // max(1, y.size // max(out[0], 1))))
    y = y.reshape((n,) + tuple(out) + (c * dm,))
    return bias_act_rows(y, bias, act)


def _compiled(
    fn: Kernel,
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    mode: str,
    act: Activation | None,
) -> np.ndarray:
    """The 2-D depthwise convolution (depth multiplier 1) by the compiled kernel of
    :func:`convcalc.ops.jit.depthwise2d`, in blocks of about TUNING.depthwise_block output
    elements, each finished (element-wise ``act``) while in cache, the rows split over the
    workers. Zero padding is the kernel's bounds check (no padded copy); the other modes pad
    first. Measured on the 18 depthwise shapes of MobileNet v1 and v2, 1 thread, batch 1,
    each alone: 7.4-7.7 ms by NumPy, 2.0-2.4 ms compiled, PyTorch 1.5 ms."""
    n, c = x.shape[0], x.shape[-1]
    wo = out[1]
    xs, weights, geometry = compiled_operands(x, kernel, bias, out, strides, dilation, pads, mode)
    y = np.empty((n,) + tuple(out) + (c,), dtype=F32)
    ys = y.reshape(n, out[0], wo * c)
    whole = act is not None and not getattr(act, "elementwise", False)  # softmax, glu
    row = wo * c
    step = max(1, TUNING.depthwise_block // max(row, 1))

    def slab(lo: int, hi: int) -> None:
        for s in range(n):
            for b0 in range(lo, hi, step):
                b1 = min(hi, b0 + step)
                fn(xs, *weights, ys, c, s, b0, b1, *geometry)
                if act is not None and not whole:
                    bias_act_into(y[s, b0:b1], None, act)

    WORKERS.run(slab, out[0], max(1, TUNING.parallel_min // max(1, row)))
    return act(y) if whole and act is not None else y


def compiled_operands(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    mode: str,
) -> tuple[np.ndarray, tuple[np.ndarray, ...], tuple[int, ...]]:
    """The operands of :func:`convcalc.ops.jit.depthwise2d`'s kernel for ``x`` (N, H, W, C)
    and ``kernel`` (kh, kw, C, 1): the input as (N, H, W·C), padded first for modes other
    than zeros; ``(k, kt, b, bt)``, the kernel and bias (zeros without one) and both tiled
    over as many output columns as fit TUNING.depthwise_tile; and the geometry ``(sh, sw,
    dh, dw, pt, pl)``."""
    n, c = x.shape[0], x.shape[-1]
    kh, kw = kernel.shape[:2]
    (pt, _), (pl, _) = pads
    if mode != "zeros":
        x = window_input(x, pads, out, (kh, kw), strides, dilation, mode)
        pt = pl = 0
    xs = readonly(np.ascontiguousarray(x, dtype=F32).reshape(n, x.shape[1], -1))
    ks = readonly(np.ascontiguousarray(kernel[..., 0], dtype=F32))
    b = np.zeros(c, F32) if bias is None else bias.reshape(c)
    bs = readonly(np.ascontiguousarray(b, dtype=F32))
    kt, bt = ks, bs  # tiled over `span` output columns for the column-stride-1 runs
    span = min(out[1], max(1, TUNING.depthwise_tile // (kh * kw * c)))
    if strides[1] == 1 and span > 1:
        kt = np.ascontiguousarray(np.broadcast_to(ks[:, :, None], (kh, kw, span, c)))
        kt = readonly(kt.reshape(kh, kw, span * c))
        bt = readonly(np.tile(bs, span))
    return xs, (ks, kt, bs, bt), tuple(int(v) for v in (*strides, *dilation, pt, pl))


def _window_sum(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    mode: str,
    act: Activation | None,
) -> np.ndarray:
    """Depthwise convolution by one ``einsum`` over the strided window view per block of
    samples, each block padded, summed and finished (bias, element-wise ``act``) on its own
    so that its padded input stays in cache (the whole batch's padded input streamed from
    memory: 8x112x112x96 at stride 2 20.1 -> 14.4 ms)."""
    r = x.ndim - 2
    k = kernel.shape[:r]
    c, dm = kernel.shape[r], kernel.shape[r + 1]
    n = x.shape[0]
    y = np.empty((n,) + tuple(out) + (c, dm), dtype=F32)
    flat = y.reshape((n,) + tuple(out) + (c * dm,))
    sp = "".join(chr(ord("p") + i) for i in range(r))  # output axes
    ta = "".join(chr(ord("i") + i) for i in range(r))  # tap axes
    spec = f"n{sp}{ta}c,{ta}cm->n{sp}cm"
    per = math.prod(
        (o - 1) * st + d * (kk - 1) + 1 for o, st, d, kk in zip(out, strides, dilation, k)
    )
    step = max(1, TUNING.depthwise_samples // max(1, per * c))
    whole = act is not None and not getattr(act, "elementwise", False)  # softmax, glu
    tiled = None if bias is None else row_tile(bias, flat)  # once, for every block
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        xp = window_input(x[lo:hi], pads, out, k, strides, dilation, mode)
        np.einsum(spec, windows(xp, k, strides, dilation, out), kernel, out=y[lo:hi])
        if step < n and not whole:
            bias_act_into(flat[lo:hi], tiled, act)
    return flat if step < n and not whole else bias_act_rows(flat, bias, act)


def _blocked_taps(
    xp: np.ndarray,
    kernel: np.ndarray,
    y: np.ndarray,
    out: Sequence[int],
    dilation: Sequence[int],
    bias: np.ndarray | None,
    act: Activation | None,
) -> np.ndarray:
    """The tap loop of a stride-1 depthwise convolution of 2 or more spatial axes, one sample
    and a block of about TUNING.depthwise_block output elements at a time, so that the k·k
    multiply-adds of a block run while it is in cache (the whole-output loop streamed each
    tap's pass from memory: MobileNet's 112x112x32 layer 2.9 -> 0.7 ms on the Zen 5 VM): one
    ``einsum`` per block (:func:`_tap_sum`), or with a depth multiplier the tap loop
    (:func:`_tap_loop`). ``xp``: the padded input (N, (out-1) + d·(k-1) + 1 ..., C); ``y``:
    (N, out..., C, dm), written. The bias and the element-wise
    ``act`` are applied to each block once its taps are summed, while it is in cache (as
    :func:`bias_act_rows` would apply them afterwards: the same values). Returns
    (N, out..., C·dm)."""
    n, c, dm = y.shape[0], y.shape[-2], y.shape[-1]
    flat = y.reshape(y.shape[:-2] + (c * dm,))  # dm 1: a plain (…, C) view, measured faster
    tiled = None if bias is None else row_tile(bias, flat)
    row = math.prod(out[1:]) * c  # elements of one output row (first spatial axis)
    step = max(1, TUNING.depthwise_block // max(row, 1))
    summed = (
        _tap_sum(xp, kernel, out, dilation, flat)
        if dm == 1
        else _tap_loop(xp, kernel, out, dilation, y, step)
    )

    def slab(lo: int, hi: int) -> None:
        for s in range(n):
            for b0 in range(lo, hi, step):
                b1 = min(hi, b0 + step)
                summed(s, b0, b1)
                if tiled is not None or act is not None:
                    bias_act_into(flat[s, b0:b1], tiled, act)

    WORKERS.run(slab, out[0], max(1, TUNING.parallel_min // max(1, row)))
    return flat


def _tap_sum(
    xp: np.ndarray, kernel: np.ndarray, out: Sequence[int], dilation: Sequence[int], y: np.ndarray
) -> Callable[[int, int, int], None]:
    """The k·k taps of a stride-1 depthwise convolution with one output channel per input
    channel, summed by one ``einsum`` per block: over an overlapping strided view of the padded
    input ``(k..., rows, out[1:-1]..., out[-1]·C)``, whose last axis is one contiguous run (at
    stride 1 a row's (width, C) positions of every tap are consecutive in memory), against the
    kernel tiled over the width. One multiply-add pass per tap without a temporary, instead of a
    multiply and an add (MobileNet's 112x112x32 layer 1.95 -> 1.22 ms, 56x56x144 1.97 -> 1.11
    ms on the Xeon VM; the same sum, tap by tap in the same order). Returns
    ``sum(sample, lo, hi)``, which writes output rows [lo, hi) of ``sample`` into ``y``
    (N, out..., C), C-contiguous."""
    xp = np.ascontiguousarray(xp)
    r, c = len(out), xp.shape[-1]
    k = kernel.shape[:r]
    run = out[-1] * c
    tiled = np.ascontiguousarray(
        np.broadcast_to(kernel.reshape(k + (1, c)), k + (out[-1], c))
    ).reshape(k + (run,))
    st = xp.strides[1 : r + 1]
    taps_st = tuple(dd * sa for dd, sa in zip(dilation, st))
    inner = tuple(out[1:-1]) + (run,)
    inner_st = st[1:-1] + (xp.itemsize,)
    ta = "".join(chr(ord("i") + i) for i in range(r))  # tap axes
    sp = "".join(chr(ord("p") + i) for i in range(r))  # output axes, the last one merged with C
    spec = f"{ta}{sp},{ta}{sp[-1]}->{sp}"

    rows = y.reshape((y.shape[0], out[0]) + inner)  # a view: y is contiguous

    def tap_sum(sample: int, lo: int, hi: int) -> None:
        view = as_strided(
            xp[sample, lo:],
            shape=tuple(k) + (hi - lo,) + inner,
            strides=taps_st + st[:1] + inner_st,
            writeable=False,
        )
        np.einsum(spec, view, tiled, out=rows[sample, lo:hi])

    return tap_sum


def _tap_loop(
    xp: np.ndarray,
    kernel: np.ndarray,
    out: Sequence[int],
    dilation: Sequence[int],
    y: np.ndarray,
    step: int,
) -> Callable[[int, int, int], None]:
    """The taps of a stride-1 depthwise convolution with a depth multiplier above 1, a
    multiply and an add per tap and output channel ``m`` of ``y`` (N, out..., C, dm), each
    tap's input a plain slice of ``xp`` (a plain slice keeps (width, C) one contiguous run,
    measured 1.4x faster than the tap's slice of the window view), its multipliers tiled over
    the width. Returns ``sum(sample, lo, hi)`` writing output rows [lo, hi) of ``sample``; a
    block has at most ``step`` rows."""
    c, dm = y.shape[-2], y.shape[-1]
    k = kernel.shape[: len(out)]
    src = [
        (
            xp[
                (slice(None),)
                + tuple(slice(ti * d, ti * d + o) for ti, d, o in zip(t, dilation, out))
            ],
            np.ascontiguousarray(np.broadcast_to(kernel[t].T[:, None, :], (dm, out[-1], c))),
        )
        for t in taps(k)
    ]
    scratch = threading.local()  # each worker's temporary block

    def tap_loop(sample: int, lo: int, hi: int) -> None:
        tmp = getattr(scratch, "tmp", None)
        if tmp is None:
            tmp = scratch.tmp = np.empty((step,) + tuple(out[1:]) + (c,), dtype=F32)
        tm = tmp[: hi - lo]
        for m in range(dm):
            ym = y[sample, lo:hi, ..., m]
            for i, (xt, km) in enumerate(src):
                if i == 0:
                    np.multiply(xt[sample, lo:hi], km[m], out=ym)
                else:
                    np.multiply(xt[sample, lo:hi], km[m], out=tm)
                    ym += tm

    return tap_loop
