"""A 2-D depthwise-separable convolution (depthwise, then 1x1) in blocks of output rows: each
block's depthwise output is multiplied by the pointwise kernel while it is in cache."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from convcalc.ops.base import F32, SCRATCH, TUNING, WORKERS, Activation, Pads, bias_act_into
from convcalc.ops.depthwise import compiled_operands
from convcalc.ops.jit import depthwise2d


def separable2d(
    x: np.ndarray,
    depthwise: np.ndarray,
    pointwise: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    mode: str = "zeros",
    act: Activation | None = None,
) -> np.ndarray | None:
    """``conv(depthwise(x), pointwise) + bias``, then the element-wise ``act``, for a 2-D
    input (N, H, W, C), ``depthwise`` (kh, kw, C, 1) and ``pointwise`` (1, 1, C, F), in
    blocks of output rows of about TUNING.separable_block depthwise elements, or
    TUNING.gemm_min_rows GEMM rows: the compiled kernel (:func:`convcalc.ops.jit.depthwise2d`)
    writes a block's depthwise output, the GEMM reads it back from cache and its output is
    finished (bias, ``act``) there; the rows are split over the workers inside
    ``WORKERS.splitting``. One after the other, the depthwise output (11 MB for Xception's
    147x147x128 maps) goes to memory and back: block2_sepconv2 on one thread 12.8 -> 11.0 ms.

    None (the caller runs the two one after the other) without the compiled kernel (numba
    missing or switched off), for an ``act`` over the whole array, a depth multiplier, with
    TUNING.separable_block 0, and where blocks measured slower: a sample's depthwise output
    below TUNING.separable_min elements (it stays in cache anyway, and each block's short GEMM
    packs the whole pointwise kernel again: Xception's 19x19x728 layers 4.1 -> 4.45 ms), a
    pointwise kernel above TUNING.separable_kernel_max (37x37x728 -> 728: 15.3 -> 16.4 ms), or
    OpenBLAS threading the GEMMs (``WORKERS.threaded_gemms``; the depthwise on one thread
    between short GEMMs: Xception at batch 1 3% slower)."""
    kh, kw = depthwise.shape[:2]
    if (
        TUNING.separable_block <= 0
        or depthwise.shape[-1] != 1
        or (act is not None and not getattr(act, "elementwise", False))
    ):
        return None
    fn = depthwise2d(kh, kw)
    if fn is None:
        return None
    n, c, f = x.shape[0], x.shape[-1], pointwise.shape[-1]
    if (
        math.prod(out) * c < TUNING.separable_min
        or c * f > TUNING.separable_kernel_max
        or WORKERS.gemm_threads > 1
    ):
        return None
    ho, wo = out
    xs, weights, geometry = compiled_operands(
        x, depthwise, None, out, strides, dilation, pads, mode
    )
    pw = np.ascontiguousarray(pointwise.reshape(c, f), dtype=F32)
    y = np.empty((n, ho, wo, f), dtype=F32)
    d = SCRATCH.get("separable", (1, ho, wo * c))  # one sample's depthwise output, by blocks
    step = max(TUNING.separable_block // (wo * c), -(-TUNING.gemm_min_rows // wo), 1)

    def rows(lo: int, hi: int) -> None:
        for s in range(n):
            for a in range(lo, hi, step):
                z = min(hi, a + step)
                fn(xs[s : s + 1], *weights, d, c, 0, a, z, *geometry)
                ys = y[s, a:z]
                np.matmul(d[0, a:z].reshape(-1, c), pw, out=ys.reshape(-1, f))
                bias_act_into(ys, bias, act)

    WORKERS.gemm(rows, ho, max(1, TUNING.parallel_min // (wo * (c + f))))
    return y
