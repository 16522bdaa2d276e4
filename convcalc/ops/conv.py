"""Convolution as GEMM: im2col in slabs, 1x1 as a plain GEMM, grouped as a batched GEMM;
transposed convolution (GEMM then col2im) and dense layers.

Weights are in Keras layout: Conv ``(k..., C_in/groups, filters)``, transposed
``(k..., filters/groups, C_in)``, Dense ``(in, units)``; group ``j`` maps input channels
``[j·C_in/g, (j+1)·C_in/g)`` to output channels ``[j·F/g, (j+1)·F/g)``. Convolution is
cross-correlation, as in the frameworks (``--true-convolution`` flips kernels before they get
here). A transposed convolution scatters ``x[i]·w[t]`` to position ``i·s + t·d`` of the full
output (length ``(n-1)·s + d·(k-1) + 1``), which is then zero-extended and cropped by the
caller's ``crop`` (PyTorch's ``padding[0]``, or Keras's ``keras_transposed_crop``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from convcalc.ops.base import (
    F32,
    SCRATCH,
    TUNING,
    WORKERS,
    Activation,
    Pads,
    bias_act,
    bias_act_into,
    bias_act_rows,
)
from convcalc.ops.depthwise import depthwise
from convcalc.ops.windows import taps, window_input, windows
from convcalc.ops.winograd import compiled as compiled_transforms
from convcalc.ops.winograd import winograd3x3


def conv(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    groups: int = 1,
    mode: str = "zeros",
    act: Activation | None = None,
    winograd: bool = True,
) -> np.ndarray:
    """N-D convolution (cross-correlation) with a Keras-layout ``kernel`` (k..., C/g, F).

    One GEMM of the im2col matrix ``(N·prod(out), prod(k)·C)`` (rows in ``(k..., C)`` order)
    by the kernel; 1×1 stride-1 unpadded convolutions are a plain GEMM; 3×3 stride-1 2-D
    convolutions with many channels use Winograd F(2×2, 3×3) (:func:`winograd3x3`; not with
    ``winograd`` false); grouped convolutions are one convolution per group when each group's
    output is large (TUNING.group_loop_min) or each group goes by Winograd (AlexNet's conv4
    and conv5 at batch 1: 3.2 -> 2.1 and 2.1 -> 1.5 ms), else one batched GEMM over groups, and
    one input channel per group is a depthwise convolution (no dense weight).
    """
    r = x.ndim - 2
    k = kernel.shape[:r]
    cg, f = kernel.shape[r], kernel.shape[r + 1]
    n, c = x.shape[0], x.shape[-1]
    if act is not None and not getattr(act, "elementwise", False):  # softmax, glu: whole array
        return act(conv(x, kernel, bias, out, strides, dilation, pads, groups, mode))
    if groups > 1 and (
        cg == 1
        or n * math.prod(out) * (f // groups) >= TUNING.group_loop_min
        or (winograd and _winograd_pays(k, cg, out, strides, dilation, mode))
    ):
        return _by_group(
            x, kernel, bias, out, (strides, dilation, pads), groups, mode, act, winograd
        )
    if winograd and groups == 1 and _winograd_pays(k, c, out, strides, dilation, mode):
        return winograd3x3(x, kernel, bias, out, pads, act)
    m = n * math.prod(out)
    kk = math.prod(k)
    y = np.empty((n,) + tuple(out) + (f,), dtype=F32)
    if (
        groups == 1
        and kk == 1
        and all(st == 1 for st in strides)
        and not any(b or a for b, a in pads)
    ):
        if WORKERS.gemms and n == 1 and r >= 1:  # row slabs over the workers
            return _split_rows(x, kernel.reshape(c, f), y, bias, act, (1,) * r)
        np.matmul(x.reshape(m, c), kernel.reshape(c, f), out=y.reshape(m, f))
        return bias_act_rows(y, bias, act)
    xp = window_input(x, pads, out, k, strides, dilation, mode)
    win = windows(xp, k, strides, dilation, out)
    if groups > 1:
        return bias_act(_batched_groups(win, kernel, y, groups), bias, act)
    kmat = kernel.reshape(kk * c, f)
    per_sample = math.prod(out) * kk * c
    if WORKERS.gemms and n == 1 and r >= 1:  # row slabs over the workers
        return _split_rows(win, kmat, y, bias, act, k)
    if r == 0 or n * per_sample <= TUNING.im2col_slab:  # the whole batch's matrix at once
        cols = SCRATCH.get("cols", (n,) + tuple(out) + tuple(k) + (c,))
        np.copyto(cols, win)
        np.matmul(cols.reshape(m, kk * c), kmat, out=y.reshape(m, f))
        return bias_act_rows(y, bias, act)
    # in slabs of output rows (of the whole batch's rows, sample after sample), so that the
    # matrix stays small (VGG16's block1_conv2 would need 110 MiB per sample at once) and in
    # cache (Inception v3's 147x147x32 -> 32 at batch 1: 10 -> 6.3 ms)
    h, pixels = out[0], math.prod(out[1:])
    step = _slab_rows(per_sample // h, pixels)
    rows = n * h
    yv = y.reshape((1, rows) + y.shape[2:])
    for a in range(0, rows, step):
        z = min(rows, a + step)
        cols = SCRATCH.get("cols", (z - a,) + tuple(out[1:]) + tuple(k) + (c,))
        for b in range(a // h, -(-z // h)):  # the samples this slab's rows are in
            lo, hi = max(a - b * h, 0), min(z - b * h, h)

            def copy(
                i: int, j: int, to: np.ndarray = cols[b * h + lo - a :], b: int = b, lo: int = lo
            ) -> None:
                np.copyto(to[i:j], win[b, lo + i : lo + j])

            WORKERS.run(copy, hi - lo, max(1, TUNING.parallel_min // (per_sample // h)))
        ys = y.reshape(rows * pixels, f)[a * pixels : z * pixels]
        np.matmul(cols.reshape((z - a) * pixels, kk * c), kmat, out=ys)
        bias_act_into(yv[:, a:z], bias, act)
    return y


def _slab_rows(per_row: int, pixels: int) -> int:
    """Output rows per im2col slab: TUNING.im2col_slab elements, or enough rows for
    TUNING.gemm_min_rows GEMM rows, per OpenBLAS thread of the GEMM; never more than
    TUNING.chunk elements."""
    t = WORKERS.gemm_threads
    wanted = max(t * TUNING.im2col_slab // per_row, -(-t * TUNING.gemm_min_rows // pixels))
    return max(1, min(TUNING.chunk // per_row, wanted))


def _batched_groups(win: np.ndarray, kernel: np.ndarray, y: np.ndarray, g: int) -> np.ndarray:
    """A grouped convolution as one batched GEMM over the ``g`` groups: the windows ``win``
    (N, out..., k..., C) copied group-major, by the kernel's groups, into ``y`` (N, out..., F)."""
    kk = math.prod(kernel.shape[:-2])
    cg, f = kernel.shape[-2], kernel.shape[-1]
    m = y.size // f
    wg = np.moveaxis(win.reshape(win.shape[:-1] + (g, cg)), -2, 0)  # (g, N, out..., k..., cg)
    cols = SCRATCH.get("cols", wg.shape)
    np.copyto(cols, wg)
    kg = np.ascontiguousarray(kernel.reshape(kk, cg, g, f // g).transpose(2, 0, 1, 3))
    yg = np.matmul(cols.reshape(g, m, kk * cg), kg.reshape(g, kk * cg, f // g))  # (g, M, F/g)
    np.copyto(y.reshape(m, g, f // g), np.moveaxis(yg, 0, 1))
    return y


def _winograd_pays(
    k: Sequence[int],
    c: int,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    mode: str,
) -> bool:
    """Whether a 2-D convolution runs faster by Winograd F(2x2, 3x3): 3x3, stride and dilation
    1, zero padding, enough input channels (fewer with the compiled transforms; with NumPy's,
    more beside OpenBLAS-threaded GEMMs, as the transforms run on one thread) and enough 2x2
    output tiles."""
    if compiled_transforms():
        need = TUNING.winograd_min_channels_compiled
    elif WORKERS.gemm_threads <= 1:
        need = TUNING.winograd_min_channels
    else:
        need = TUNING.winograd_min_channels_blas
    return (
        tuple(k) == (3, 3)
        and tuple(strides) == (1, 1)
        and tuple(dilation) == (1, 1)
        and mode == "zeros"
        and c >= need
        and -(-out[0] // 2) * -(-out[1] // 2) >= TUNING.winograd_min_tiles
    )


def _by_group(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    geometry: tuple[Sequence[int], Sequence[int], Pads],
    groups: int,
    mode: str,
    act: Activation | None,
    winograd: bool,
) -> np.ndarray:
    """A grouped convolution with one input channel per group as a depthwise convolution (no
    dense weight); with more, one group at a time, each the plain convolution of its input
    channels (its own im2col in cache-sized slabs, a plain GEMM, or Winograd with each group's
    transformed kernel cached beside the whole kernel's) written into its output channels: the
    batched GEMM copies the whole batch's windows to group-major order first (AlexNet's conv2,
    2 groups, at batch 8 41.4 -> 33.4 ms; 4-8 groups of 56x56 or 28x28 at batch 8 1.5x faster)."""
    strides, dilation, pads = geometry
    cg, f = x.shape[-1] // groups, kernel.shape[-1]
    fg = f // groups
    if cg == 1:
        k = kernel.shape[:-2]
        dw = kernel.reshape(tuple(k) + (groups, fg))
        return depthwise(x, dw, bias, out, strides, dilation, pads, mode, act)
    by_winograd = winograd and _winograd_pays(kernel.shape[:-2], cg, out, strides, dilation, mode)
    y = np.empty((x.shape[0],) + tuple(out) + (f,), dtype=F32)
    for j in range(groups):
        part = slice(j * fg, (j + 1) * fg)
        xj, bj = x[..., j * cg : (j + 1) * cg], None if bias is None else bias[part]
        if by_winograd:
            y[..., part] = winograd3x3(xj, kernel, bj, out, pads, act, (j, groups))
            continue
        y[..., part] = conv(
            xj, kernel[..., part], bj, out, strides, dilation, pads, 1, mode, act, winograd=False
        )
    return y


def _split_rows(
    win: np.ndarray,
    kmat: np.ndarray,
    y: np.ndarray,
    bias: np.ndarray | None,
    act: Activation | None,
    k: Sequence[int],
) -> np.ndarray:
    """One sample's convolution in slabs of output rows over the workers, each slab copied
    (im2col, in pieces of at most TUNING.chunk elements), multiplied and finished (bias and
    activation) by one worker. ``win``: the windows (1, out..., k..., C), or for a 1x1
    stride-1 convolution the input itself with ``k`` all 1; ``y``: (1, out..., F)."""
    out, f = y.shape[1:-1], y.shape[-1]
    plain = win.ndim == y.ndim  # 1x1: rows of the input are the GEMM's rows
    per_row = math.prod(out[1:]) * kmat.shape[0]
    step = y.shape[1] if plain else max(1, TUNING.chunk // per_row)

    def rows(lo: int, hi: int) -> None:
        for a in range(lo, hi, step):
            z = min(hi, a + step)
            if plain:
                cols = win[:, a:z]
            else:
                cols = SCRATCH.get("cols", (1, z - a) + tuple(out[1:]) + tuple(k) + win.shape[-1:])
                np.copyto(cols, win[:, a:z])
            np.matmul(cols.reshape(-1, kmat.shape[0]), kmat, out=y[:, a:z].reshape(-1, f))
            bias_act_into(y[:, a:z], bias, act)

    WORKERS.gemm(rows, y.shape[1], max(1, TUNING.parallel_min // (math.prod(out[1:]) * f)))
    return y


def pointwise_columns(
    x: np.ndarray,
    kernel: np.ndarray,
    widths: Sequence[int],
    biases: Sequence[np.ndarray | None],
    acts: Sequence[Activation | None],
) -> list[np.ndarray]:
    """Several 1x1 stride-1 convolutions of one input ``x`` (N, spatial..., C), as Inception's
    branches start, as one GEMM by their kernels side by side (``kernel`` (C, sum of
    ``widths``)): a GEMM with 16 or 64 columns runs far below the peak (Inception 3a at batch 8:
    three of them at 30-71 GFLOP/s), one with their 176 near it. In slabs of output rows of at
    most TUNING.pointwise_slab elements, each copied, column block by column block, to its own
    convolution's output (contiguous, batch first) and finished there (its bias and element-wise
    activation) while in cache. Returns the outputs in the order of ``widths``."""
    n, c, total = x.shape[0], x.shape[-1], kernel.shape[1]
    rows, inner = n * x.shape[1], math.prod(x.shape[2:-1])  # rows of axis 1 over the batch
    ys = [np.empty(x.shape[:-1] + (w,), dtype=F32) for w in widths]
    # each output as one sample of all the rows: slabs of whole rows span samples
    views = [y.reshape((1, rows) + y.shape[2:]) for y in ys]
    cuts = list(itertools.pairwise(itertools.accumulate(widths, initial=0)))
    xm = np.ascontiguousarray(x).reshape(rows * inner, c)
    t = WORKERS.gemm_threads  # (an OpenBLAS-threaded GEMM's slab is every thread's)
    step = max(t * TUNING.pointwise_slab // (inner * total), -(-t * TUNING.gemm_min_rows // inner))
    step = -(-rows // -(-rows // max(1, step)))  # slabs of even size: no short GEMM at the end

    def slab(lo: int, hi: int) -> None:
        for a in range(lo, hi, step):
            z = min(hi, a + step)
            m = (z - a) * inner
            cols = SCRATCH.get("pointwise", (m, total))
            np.matmul(xm[a * inner : z * inner], kernel, out=cols)
            for view, (p, q), bias, act in zip(views, cuts, biases, acts):
                part = view[:, a:z]
                np.copyto(part.reshape(m, q - p), cols[:, p:q])
                bias_act_into(part, bias, act)

    WORKERS.gemm(slab, rows, max(1, TUNING.parallel_min // (inner * total)))
    return ys


def conv_transpose(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    crop: Sequence[int],
    groups: int = 1,
    act: Activation | None = None,
) -> np.ndarray:
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
    full = [
        (nn - 1) * st + dd * (kx - 1) + 1 for nn, kx, st, dd in zip(sizes, k, strides, dilation)
    ]
    ext = [max(fl, cr + o) for fl, cr, o in zip(full, crop, out)]
    y = np.zeros((n,) + tuple(ext) + (f,), dtype=F32)
    for i, t in enumerate(taps(k)):
        index = tuple(
            slice(tt * dd, tt * dd + (nn - 1) * st + 1, st)
            for tt, dd, nn, st in zip(t, dilation, sizes, strides)
        )
        y[(slice(None),) + index] += cols[..., i, :]
    y = y[(slice(None),) + tuple(slice(cr, cr + o) for cr, o in zip(crop, out))]
    y = np.ascontiguousarray(y)
    return bias_act(y, bias, act)


def dense(
    x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None, act: Activation | None = None
) -> np.ndarray:
    """``x @ kernel (+ bias)`` on the last axis (inside ``WORKERS.splitting``: in slabs of
    output units over the workers, for large kernels)."""
    if WORKERS.gemms and kernel.size >= TUNING.parallel_min * 8:
        y = np.empty(x.shape[:-1] + kernel.shape[-1:], dtype=F32)

        def units(lo: int, hi: int) -> None:
            np.matmul(x, kernel[:, lo:hi], out=y[..., lo:hi])

        WORKERS.gemm(units, kernel.shape[-1], 64)
    else:
        y = np.matmul(x, kernel)
    return bias_act(y, bias, act)
