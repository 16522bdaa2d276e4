"""Pooling: max and average over windows (PyTorch's divisors), tiled fast paths.

Max: padding and the ceil_mode overhang never win (they hold -inf). Average: the divisor counts
what PyTorch's avg_pool counts (:func:`avg_divisor_axis`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from convcalc.ops.base import F32, TUNING, WORKERS, Pads
from convcalc.ops.jit import pool2d, readonly
from convcalc.ops.windows import window_input


def max_pool(
    x: np.ndarray,
    k: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    out: Sequence[int],
) -> np.ndarray:
    """Max over each window; padding and the ceil_mode overhang never win (they hold -inf).
    2-D: the compiled kernel when numba is installed (:func:`_compiled`)."""
    fn = pool2d(k[0], k[1], "max") if x.ndim == 4 else None
    if fn is not None:
        return _compiled(fn, x, strides, dilation, pads, out, np.ones((1, 1), F32))
    if (
        tuple(k) == tuple(strides)
        and all(dd == 1 for dd in dilation)
        and not any(b or a for b, a in pads)
        and all(o * kk == nn for o, kk, nn in zip(out, k, x.shape[1:-1]))
    ):
        return _tiled(x, k, out, np.maximum)
    return _reduce_windows(x, k, strides, dilation, pads, out, np.maximum, -np.inf)


def _compiled(
    fn: Callable[..., None],
    x: np.ndarray,
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    out: Sequence[int],
    div: np.ndarray,
) -> np.ndarray:
    """A 2-D pool by the compiled kernel of :func:`convcalc.ops.jit.pool2d`, sample by sample,
    the output rows split over the workers; ``div`` (Ho, Wo) holds what each window's sum is
    divided by (ones for a max, broadcast from (1, 1)). No padded copy: the pads before the
    input are the kernel's offsets, the ones after follow from the output's size. Measured in
    the network, batch 1, same process, alternating: GoogLeNet's 13 max pools 3.66 -> 1.53 ms
    on 1 thread, the forward 37.1 -> 35.5 ms (2 threads: 26.3 -> 24.5 ms); Inception v3's 13
    pools 7.8 -> 3.6 ms on 2 threads."""
    n, c = x.shape[0], x.shape[-1]
    xs = readonly(np.ascontiguousarray(x, dtype=F32).reshape(n, x.shape[1], -1))
    y = np.empty((n, out[0], out[1] * c), dtype=F32)
    dv = readonly(np.ascontiguousarray(np.broadcast_to(div, tuple(out)), dtype=F32))
    geometry = tuple(int(v) for v in (*strides, *dilation, pads[0][0], pads[1][0]))

    def slab(lo: int, hi: int) -> None:
        for s in range(n):
            fn(xs, y, dv, c, s, lo, hi, *geometry)

    WORKERS.run(slab, out[0], max(1, TUNING.parallel_min // max(1, out[1] * c)))
    return y.reshape((n,) + tuple(out) + (c,))


def _reduce_windows(
    x: np.ndarray,
    k: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    out: Sequence[int],
    op: Callable[..., np.ndarray],
    value: float,
) -> np.ndarray:
    """``op`` (maximum or add) over every window, the padding and the ceil_mode overhang
    holding ``value``: a window is the product of one set of offsets per axis, so one axis at
    a time, the outermost first (its taps are runs of whole rows, and it shrinks the data for
    the strided inner axes): sum(k) passes instead of prod(k) (a 3x3/2 max pool on
    112x112x64: 1.25 -> 1.00 ms; 3x3/2 on 55x55x96: 0.24 -> 0.16 ms). Sample by sample, in
    blocks of output rows whose padded input stays in cache (TUNING.pool_block; the whole
    padded batch and each axis's intermediate streamed from memory: ResNet-18's 3x3/2 pool at
    batch 8 was 3.4x PyTorch's time)."""
    n0, o0 = x.shape[1], out[0]
    rows = max(1, TUNING.pool_block // max(1, math.prod(x.shape[2:])))  # input rows per block
    step = max(1, (rows - dilation[0] * (k[0] - 1) - 1) // strides[0] + 1)  # output rows
    if x.shape[0] == 1 and step >= o0:
        xp = window_input(x, pads, out, k, strides, dilation, value=value)
        y = _axes(xp, k, strides, dilation, out, op)
        return y if y is not x else y.copy()
    y = np.empty((x.shape[0],) + tuple(out) + x.shape[-1:], dtype=F32)
    b0 = pads[0][0]
    span = dilation[0] * (k[0] - 1) + 1
    for smp in range(x.shape[0]):
        for lo in range(0, o0, step):
            hi = min(o0, lo + step)
            a, z = lo * strides[0] - b0, (hi - 1) * strides[0] + span - b0  # rows of x
            part = x[smp : smp + 1, max(a, 0) : min(z, n0)]
            block = (hi - lo,) + tuple(out[1:])
            xp = window_input(
                part, [(max(-a, 0), 0)] + list(pads[1:]), block, k, strides, dilation, value=value
            )
            y[smp : smp + 1, lo:hi] = _axes(xp, k, strides, dilation, block, op)
    return y


def _axes(
    xp: np.ndarray,
    k: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    out: Sequence[int],
    op: Callable[..., np.ndarray],
) -> np.ndarray:
    """``op`` over the windows of a padded input ``xp`` (exactly the windows' extent), one
    axis at a time."""
    y = xp
    for i in range(xp.ndim - 2):
        kk, s, d, o = k[i], strides[i], dilation[i], out[i]
        if kk == 1 and s == 1 and y.shape[1 + i] == o:
            continue

        lead = (slice(None),) * (1 + i)
        parts = [y[lead + (slice(t * d, t * d + (o - 1) * s + 1, s),)] for t in range(kk)]
        acc = np.array(parts[0], dtype=F32)
        for part in parts[1:]:
            op(acc, part, out=acc)
        y = acc
    return y


def _tiled(
    x: np.ndarray, k: Sequence[int], out: Sequence[int], op: Callable[..., np.ndarray]
) -> np.ndarray:
    """Windows that tile the input (stride = size, no padding): reduce one axis at a time,
    ``op`` over the k strided slices of a reshape; the first (outermost) axis runs over
    contiguous rows, and every step shrinks the data for the next."""
    y = x
    for i, (o, kk) in enumerate(zip(out, k)):
        if kk == 1:
            continue
        v = y.reshape(y.shape[: 1 + i] + (o, kk) + y.shape[2 + i :])
        part = [v[(slice(None),) * (2 + i) + (j,)] for j in range(kk)]
        acc = op(part[0], part[1])
        for p in part[2:]:
            op(acc, p, out=acc)
        y = acc
    return y.copy() if y is x else y


def avg_divisor_axis(
    n: int, k: int, s: int, pads: tuple[int, int], out: int, include_pad: bool
) -> np.ndarray:
    """Per-axis window counts, exactly as PyTorch's avg_pool: a window starts at ``o·s - p_l``
    and is clipped to the padded input ``[-p_l, n + p_r)``; without ``include_pad`` only the
    real input ``[0, n)`` counts (Keras 'same' average pooling, tensorflow#45579)."""
    start = np.arange(out) * s - pads[0]
    end = np.minimum(start + k, n + pads[1])
    if include_pad:
        return (end - start).astype(np.float64)
    return (np.minimum(end, n) - np.maximum(start, 0)).astype(np.float64)


def avg_pool(
    x: np.ndarray,
    k: Sequence[int],
    strides: Sequence[int],
    pads: Pads,
    out: Sequence[int],
    include_pad: bool,
) -> np.ndarray:
    """Mean over each window, summed one axis at a time (:func:`_reduce_windows`; Inception
    v3's 3x3 stride-1 pools 2.8x PyTorch's time by the nine taps); the divisor follows
    :func:`avg_divisor_axis` per axis (the window is a box, so the count is the product of the
    per-axis counts)."""
    r = x.ndim - 2
    ones = (1,) * r
    div = np.ones((), dtype=np.float64)  # what each window's sum is divided by, (out...)
    for i in range(r):
        d = avg_divisor_axis(x.shape[1 + i], k[i], strides[i], pads[i], out[i], include_pad)
        div = np.multiply.outer(div, d)
    fn = pool2d(k[0], k[1], "avg") if r == 2 else None
    if fn is not None:
        return _compiled(fn, x, strides, ones, pads, out, div.astype(F32))
    if (
        tuple(k) == tuple(strides)
        and not any(b or a for b, a in pads)
        and all(o * kk == nn for o, kk, nn in zip(out, k, x.shape[1:-1]))
    ):
        y = _tiled(x, k, out, np.add)
        y /= F32(math.prod(k))
        return y
    y = _reduce_windows(x, k, strides, ones, pads, out, np.add, 0.0)
    np.divide(y, div[..., None].astype(F32), out=y)
    return y


def adaptive_windows(n: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows of an axis of length ``n``: output ``i`` pools
    ``[floor(i·n/out), ceil((i+1)·n/out))``."""
    return [(i * n // out, -((-(i + 1) * n) // out)) for i in range(out)]


def adaptive_pool(x: np.ndarray, out: Sequence[int], op: str) -> np.ndarray:
    """Adaptive average or max pooling to ``out`` per spatial axis, one axis at a time (a box's
    mean or max is the mean or max over each of its axes in turn): a reshape when the output
    divides the axis, a loop over the output positions otherwise."""
    reduce = np.max if op == "max" else np.mean
    y = x
    for i, o in enumerate(out):
        axis = 1 + i
        n = y.shape[axis]
        if n == o:
            continue
        if n % o == 0:
            v = y.reshape(y.shape[:axis] + (o, n // o) + y.shape[axis + 1 :])
            y = reduce(v, axis=axis + 1)
        else:
            parts = [
                reduce(np.take(y, range(a, b), axis=axis), axis=axis, keepdims=True)
                for a, b in adaptive_windows(n, o)
            ]
            y = np.concatenate(parts, axis=axis)
    return np.ascontiguousarray(y, dtype=F32)


def global_mean(x: np.ndarray, keepdims: bool) -> np.ndarray:
    """The mean over the spatial axes of a canonical ``(N, *spatial, C)`` array, per sample as
    a ones-vector product ``(1, S) @ (S, C)``: BLAS reads the map once at memory speed, where
    NumPy's mean over outer axes runs at about 2 G elements/s (112x112x32: 234 against 25 us
    on the Zen 4 VM), and its blocked float32 sums land closer to float64's mean (3.6e-6
    against 6.6e-7 relative there)."""
    n, c = x.shape[0], x.shape[-1]
    s = math.prod(x.shape[1:-1])
    flat = np.ascontiguousarray(x, dtype=F32).reshape(n, s, c)
    ones = np.ones((1, s), dtype=F32)
    y = np.empty((n, c), dtype=F32)
    for i in range(n):
        np.matmul(ones, flat[i], out=y[i : i + 1])
    y /= np.float32(s)
    return y.reshape((n,) + (1,) * (x.ndim - 2) + (c,)) if keepdims else y
