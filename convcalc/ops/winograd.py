"""Winograd F(2x2, 3x3) for 3x3 stride-1 2-D convolutions (Lavin & Gray, arXiv 1509.09308).

Y = A^T [(G g G^T) ⊙ (B^T d B)] A per 4x4 input tile d giving a 2x2 output tile: 16 GEMMs of
(tiles, C) @ (C, F) instead of 9 per output pixel, i.e. 2.25x fewer multiplications.
"""

from __future__ import annotations

import functools
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
    derived,
)

_WG = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def winograd_kernel(kernel: np.ndarray, groups: int = 1) -> list[np.ndarray]:
    """U = G g G^T for every (C, F) pair, as (16, C, F) float32, one per group of output
    channels (group j: filters j·F/groups onwards, each its own contiguous array).

    Cached for a read-only kernel (the runtime makes its weights read-only) until that array is
    freed; a writable one may change between calls (in place, same identity), so its U is
    computed on every call."""

    def make() -> list[np.ndarray]:
        c, f = kernel.shape[2:]
        u = np.einsum("ai,ijcf,bj->abcf", _WG, kernel.astype(np.float64), _WG)
        u = u.astype(F32).reshape(16, c, groups, f // groups)
        return [np.ascontiguousarray(u[:, :, j]) for j in range(groups)]

    return derived(kernel, ("winograd", groups), make)


def winograd3x3(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    out: Sequence[int],
    pads: Pads,
    act: Activation | None = None,
    group: tuple[int, int] = (0, 1),
) -> np.ndarray:
    """3×3 stride-1 2-D convolution by Winograd F(2×2, 3×3): input transform ``B^T d B`` and
    output transform ``A^T m A`` as NumPy slices, one batched GEMM over the 16 transform
    points; in slabs of tile rows. ``group`` (j, groups): ``x`` is group j's input channels
    of a grouped convolution, and its output the kernel's j-th group of filters.

    Tiles overlap by two columns, so every transform step would read or write with a stride
    of two pixels, and NumPy would loop over C-long runs only. Instead each slab's padded
    input rows are stored with even and odd columns apart (``(N, rows, 2, W/2, C)``; a slab's
    own, not the whole input's: VGG16's 224x224x64 layers held 52 MiB per 4 samples) and the output
    transform writes (row parity, column parity) planes: every step then runs over contiguous
    ``(tiles·C)`` memory, and only one copy in and one copy out are strided.
    """
    n, h, w, c = x.shape
    f = kernel.shape[-1] // group[1]
    oh, ow = out
    th, tw = -(-oh // 2), -(-ow // 2)
    u = winograd_kernel(kernel, group[1])[group[0]]
    wh = tw + 1  # padded columns / 2
    (top, _), (left, _) = pads

    def padded(r0: int, r1: int) -> np.ndarray:
        """Padded rows [r0, r1) of the input, even and odd columns apart: (N, rows, 2, wh, C)
        (a slab's own, so that it is written and read in cache)."""
        d = SCRATCH.get("wino_d", (n, r1 - r0, 2, wh, c))
        d.fill(0)
        a, z = max(r0 - top, 0), min(r1 - top, h)  # rows of x
        for q in (0, 1):  # padded column j = w + left lands in parity j % 2, index j // 2
            w0 = (q - left) % 2
            k0 = (w0 + left) // 2
            cnt = min(len(range(w0, w, 2)), wh - k0)
            if cnt > 0 and z > a:
                d[:, a + top - r0 : z + top - r0, q, k0 : k0 + cnt] = x[
                    :, a:z, w0 : w0 + 2 * cnt : 2
                ]
        return d

    even = oh == 2 * th and ow == 2 * tw
    y = np.empty((n, oh, ow, f), dtype=F32)
    full = y if even else np.empty((n, 2 * th, 2 * tw, f), dtype=F32)
    full6 = full.reshape(n, th, 2, tw, 2, f)
    # slabs of tile rows: small enough that the transformed buffers stay in cache (2 MiB),
    # large enough that each of the 16 GEMMs has TUNING.winograd_gemm_rows·max(C, F) rows or more
    # (measured on VGG16: 224x224x64 44 -> 32 ms, the deeper layers unchanged)
    step = max(
        1,
        TUNING.winograd_slab // (16 * n * tw * max(c, f)),
        -(-TUNING.winograd_gemm_rows * max(c, f) // (n * tw)),
    )
    count = -(-th // step)
    if WORKERS.gemms and count > 1:  # as many slabs for every worker
        step = -(-th // (-(-count // WORKERS.n) * WORKERS.n))
    starts = list(range(0, th, step))

    def slabs(s0: int, s1: int) -> None:
        for lo in starts[s0:s1]:
            hi = min(lo + step, th)
            rows_t = hi - lo
            t = SCRATCH.get("wino_t", (4, n, rows_t, 2, wh, c))
            v = SCRATCH.get("wino_v", (4, 4, n, rows_t, tw, c))
            d = padded(2 * lo, 2 * hi + 2)
            rows = [d[:, i : i + 2 * rows_t : 2] for i in range(4)]  # B^T on rows
            np.subtract(rows[0], rows[2], out=t[0])
            np.add(rows[1], rows[2], out=t[1])
            np.subtract(rows[2], rows[1], out=t[2])
            np.subtract(rows[1], rows[3], out=t[3])
            cols = [t[:, :, :, j % 2, j // 2 : j // 2 + tw] for j in range(4)]  # B on columns
            np.subtract(cols[0], cols[2], out=v[:, 0])
            np.add(cols[1], cols[2], out=v[:, 1])
            np.subtract(cols[2], cols[1], out=v[:, 2])
            np.subtract(cols[1], cols[3], out=v[:, 3])
            p = n * rows_t * tw
            m = SCRATCH.get("wino_m", (16, p, f))
            v16 = v.reshape(16, p, c)
            if len(starts) == 1:  # one slab: its 16 GEMMs over the workers
                WORKERS.gemm(functools.partial(_points, v16, u, m), 16, 1)
            else:
                np.matmul(v16, u, out=m)
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
                bias_act_into(full[:, 2 * lo : 2 * hi], bias, act)

    WORKERS.gemm(slabs, len(starts), 1)
    if not even:
        np.copyto(y, full[:, :oh, :ow])
        y = bias_act(y, bias, act)
    return y


def _points(v16: np.ndarray, u: np.ndarray, m: np.ndarray, a: int, z: int) -> None:
    """The GEMMs of transform points ``a`` to ``z``."""
    np.matmul(v16[a:z], u[a:z], out=m[a:z])
