"""Winograd F(2x2, 3x3) for 3x3 stride-1 2-D convolutions (Lavin & Gray, arXiv 1509.09308).

Y = A^T [(G g G^T) ⊙ (B^T d B)] A per 4x4 input tile d giving a 2x2 output tile: 16 GEMMs of
(tiles, C) @ (C, F) instead of 9 per output pixel, i.e. 2.25x fewer multiplications.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from convcalc.ops.base import (
    F32,
    SCRATCH,
    TUNING,
    WORKERS,
    Activation,
    Pads,
    bias_act_into,
    derived,
)
from convcalc.ops.jit import Kernel, readonly
from convcalc.ops.jit import kernel as compiled_kernel

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
    """3×3 stride-1 2-D convolution by Winograd F(2×2, 3×3): input transform ``B^T d B``,
    one batched GEMM over the 16 transform points, output transform ``A^T m A``, in slabs of
    tile rows, each finished (bias, activation) while in cache. The transforms are compiled
    when numba is installed (:func:`_compiled_slab`; the same values, 5-33% faster layers:
    56x56x64 1.78 -> 1.67 ms on 1 thread, 147x147x32 -> 64 7.25 -> 6.05 ms, on 2 threads
    with the layers split 4.73 -> 3.16 ms), else NumPy slices (:func:`_numpy_slab`).
    ``group`` (j, groups): ``x`` is group j's input channels of a grouped convolution, and its
    output the kernel's j-th group of filters."""
    n, c = x.shape[0], x.shape[-1]
    f = kernel.shape[-1] // group[1]
    oh, ow = out
    th, tw = -(-oh // 2), -(-ow // 2)
    u = winograd_kernel(kernel, group[1])[group[0]]
    y = np.empty((n, oh, ow, f), dtype=F32)
    # slabs of tile rows: small enough that the transformed buffers stay in cache (2 MiB per
    # OpenBLAS thread of the GEMMs: with 2, alone, 147x147x32 -> 64 5.97 -> 5.04 ms and
    # 56x56x64 1.25 -> 1.17 ms, fewer and larger GEMMs to thread; in the network ResNet-18
    # 25.5 -> 25.2 ms, Inception v3 even; on 1 thread larger slabs were 13% slower),
    # large enough that each of the 16 GEMMs has TUNING.winograd_gemm_rows·max(C, F) rows or more
    # (measured on VGG16: 224x224x64 44 -> 32 ms, the deeper layers unchanged)
    step = max(
        1,
        TUNING.winograd_slab * WORKERS.gemm_threads // (16 * n * tw * max(c, f)),
        -(-TUNING.winograd_gemm_rows * max(c, f) // (n * tw)),
    )
    count = -(-th // step)
    if WORKERS.gemms and count > 1:  # as many slabs for every worker
        step = -(-th // (-(-count // WORKERS.n) * WORKERS.n))
    starts = list(range(0, th, step))

    def gemms(v16: np.ndarray, m16: np.ndarray) -> None:
        if len(starts) == 1:  # one slab: its 16 GEMMs over the workers
            WORKERS.gemm(functools.partial(_points, v16, u, m16), 16, 1)
        else:
            np.matmul(v16, u, out=m16)

    fns = _transforms()
    slab = (_numpy_slab if fns is None else functools.partial(_compiled_slab, fns))(
        x, y, pads, gemms
    )

    def slabs(s0: int, s1: int) -> None:
        for lo in starts[s0:s1]:
            hi = min(lo + step, th)
            slab(lo, hi)
            bias_act_into(y[:, 2 * lo : min(2 * hi, oh)], bias, act)

    WORKERS.gemm(slabs, len(starts), 1)
    return y


Gemms = Callable[[np.ndarray, np.ndarray], None]


def _compiled_slab(
    fns: tuple[Kernel, Kernel], x: np.ndarray, y: np.ndarray, pads: Pads, gemms: Gemms
) -> Callable[[int, int], None]:
    """``slab(lo, hi)``: tile rows ``[lo, hi)`` of ``x``'s convolution into ``y`` by the
    compiled transforms (:func:`_input_source`, :func:`_output_source`), their 16 planes of
    tiles apart by :func:`_plane`; ``gemms(v, m)`` multiplies the transformed input."""
    n, h, w, c = x.shape
    oh, ow, f = y.shape[1:]
    tw = -(-ow // 2)
    (top, _), (left, _) = pads
    xs = readonly(np.ascontiguousarray(x).reshape(n, h, w * c))
    ys = y.reshape(n, oh, ow * f)

    def slab(lo: int, hi: int) -> None:
        p = n * (hi - lo) * tw
        v = SCRATCH.get("wino_v", (16, _plane(p * c)))
        fns[0](xs, v, SCRATCH.get("wino_pat", (4, 4 * c)), c, lo, hi, top, left, tw)
        m = SCRATCH.get("wino_m", (16, _plane(p * f)))
        gemms(v[:, : p * c].reshape(16, p, c), m[:, : p * f].reshape(16, p, f))
        fns[1](readonly(m), ys, f, lo, hi, tw)

    return slab


def _numpy_slab(
    x: np.ndarray, y: np.ndarray, pads: Pads, gemms: Gemms
) -> Callable[[int, int], None]:
    """``slab(lo, hi)``: tile rows ``[lo, hi)`` of ``x``'s convolution into ``y`` by NumPy
    slices (the reference the compiled transforms are tested against, and the fallback).

    Tiles overlap by two columns, so every transform step would read or write with a stride
    of two pixels, and NumPy would loop over C-long runs only. Instead each slab's padded
    input rows are stored with even and odd columns apart (``(N, rows, 2, W/2, C)``; a slab's
    own, not the whole input's: VGG16's 224x224x64 layers held 52 MiB per 4 samples) and the
    output transform writes (row parity, column parity) planes: every step then runs over
    contiguous ``(tiles·C)`` memory, and only one copy in and one copy out are strided."""
    n, h, w, c = x.shape
    oh, ow, f = y.shape[1:]
    th, tw = -(-oh // 2), -(-ow // 2)
    wh = tw + 1  # padded columns / 2
    (top, _), (left, _) = pads
    even = oh == 2 * th and ow == 2 * tw
    y6 = y.reshape(n, th, 2, tw, 2, f) if even else None

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

    def slab(lo: int, hi: int) -> None:
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
        gemms(v.reshape(16, p, c), m)
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
        tiles = o.transpose(2, 3, 0, 4, 1, 5)  # (N, rows, 2, tw, 2, F)
        if y6 is not None:
            np.copyto(y6[:, lo:hi], tiles)
        else:  # an odd size: the last row or column of tiles reaches past y
            block = np.ascontiguousarray(tiles).reshape(n, 2 * rows_t, 2 * tw, f)
            r1 = min(2 * hi, oh)
            np.copyto(y[:, 2 * lo : r1], block[:, : r1 - 2 * lo, :ow])

    return slab


def _points(v16: np.ndarray, u: np.ndarray, m: np.ndarray, a: int, z: int) -> None:
    """The GEMMs of transform points ``a`` to ``z``."""
    np.matmul(v16[a:z], u[a:z], out=m[a:z])


def _plane(size: int) -> int:
    """The stride, in elements, of the 16 planes of a slab's transformed tiles of ``size``
    elements each: an odd number of 64-byte cache lines, so that the planes, read or written
    at the same offset, fall in different cache sets. A stride of a multiple of 4 KiB (56x56x64
    in one slab: 784·64·4 bytes) put all 16 in one set: the input transform took 1.97 ms, with
    16 more elements 0.23 ms."""
    lines = -(-size // 16)
    return 16 * (lines + 1 - lines % 2)


def compiled() -> bool:
    """Whether the transforms run compiled (numba installed and the compiled kernels on)."""
    return _transforms() is not None


def _transforms() -> tuple[Kernel, Kernel] | None:
    """The compiled input and output transforms (:func:`_input_source`,
    :func:`_output_source`), or None (NumPy's slices run them)."""
    fin = compiled_kernel(("winograd_in", 4, 4), _input_source, _input_trial)
    fout = compiled_kernel(("winograd_out", 4, 4), _output_source, _output_trial) if fin else None
    return (fin, fout) if fin is not None and fout is not None else None


def _input_source(_kh: int, _kw: int, jit: Callable[[Kernel], Kernel], _kind: str) -> Kernel:
    """``B^T d B`` of every 4x4 tile of tile rows ``[lo, hi)``, compiled: ``fn(x, v, pat, c,
    lo, hi, top, left, tw)`` reads ``x`` (N, H, W·C) read-only, zero padding by omission (a border
    tile is first copied into ``pat`` (4, 4·C), zeros where outside), and writes ``v`` (16, >=
    N·rows·tw·C), the planes of the 16 points: point ``4i + j`` of the tile at row ``ty`` and
    column ``tx`` of sample ``s`` at ``((s·rows + ty - lo)·tw + tx)·C`` of plane ``4i + j``
    (``tw`` tiles per row). The NumPy path's operations in its order (rows
    first: ``d0 - d2``, ``d1 + d2``, ``d2 - d1``, ``d1 - d3``; then the columns alike), so the
    same values."""
    u = np.uint64

    @jit
    def tile(src: Any, r0: int, q0: int, v: Any, p: int, c: int) -> None:
        ra, rb, rc, rd = u(r0), u(r0 + 1), u(r0 + 2), u(r0 + 3)
        pu = u(p * c)
        for ci in range(c):
            c0 = u(q0 * c + ci)
            c1, c2, c3 = c0 + u(c), c0 + u(2 * c), c0 + u(3 * c)
            t00, t01 = src[ra, c0] - src[rc, c0], src[ra, c1] - src[rc, c1]
            t02, t03 = src[ra, c2] - src[rc, c2], src[ra, c3] - src[rc, c3]
            t10, t11 = src[rb, c0] + src[rc, c0], src[rb, c1] + src[rc, c1]
            t12, t13 = src[rb, c2] + src[rc, c2], src[rb, c3] + src[rc, c3]
            t20, t21 = src[rc, c0] - src[rb, c0], src[rc, c1] - src[rb, c1]
            t22, t23 = src[rc, c2] - src[rb, c2], src[rc, c3] - src[rb, c3]
            t30, t31 = src[rb, c0] - src[rd, c0], src[rb, c1] - src[rd, c1]
            t32, t33 = src[rb, c2] - src[rd, c2], src[rb, c3] - src[rd, c3]
            cu = u(ci)
            v[0, pu + cu], v[1, pu + cu] = t00 - t02, t01 + t02
            v[2, pu + cu], v[3, pu + cu] = t02 - t01, t01 - t03
            v[4, pu + cu], v[5, pu + cu] = t10 - t12, t11 + t12
            v[6, pu + cu], v[7, pu + cu] = t12 - t11, t11 - t13
            v[8, pu + cu], v[9, pu + cu] = t20 - t22, t21 + t22
            v[10, pu + cu], v[11, pu + cu] = t22 - t21, t21 - t23
            v[12, pu + cu], v[13, pu + cu] = t30 - t32, t31 + t32
            v[14, pu + cu], v[15, pu + cu] = t32 - t31, t31 - t33

    @jit
    def transform_in(
        x: Any, v: Any, pat: Any, c: int, lo: int, hi: int, top: int, left: int, tw: int
    ) -> None:
        n, height, width = x.shape[0], x.shape[1], x.shape[2] // c
        rows = hi - lo
        for s in range(n):
            for ty in range(lo, hi):
                r0 = 2 * ty - top
                for tx in range(tw):
                    q0 = 2 * tx - left
                    p = (s * rows + ty - lo) * tw + tx
                    if r0 >= 0 and r0 + 4 <= height and q0 >= 0 and q0 + 4 <= width:
                        tile(x[s], r0, q0, v, p, c)
                        continue
                    for i in range(4):
                        for j in range(4):
                            r, q = r0 + i, q0 + j
                            inside = 0 <= r < height and 0 <= q < width
                            for ci in range(c):
                                pat[i, j * c + ci] = x[s, r, q * c + ci] if inside else 0.0
                    tile(pat, 0, 0, v, p, c)

    return transform_in


def _output_source(_kh: int, _kw: int, jit: Callable[[Kernel], Kernel], _kind: str) -> Kernel:
    """``A^T m A`` of every tile of tile rows ``[lo, hi)``, compiled: ``fn(m, y, f, lo,
    hi, tw)`` reads ``m`` (16, >= N·rows·tw·F) read-only, laid out as the input transform's
    ``v``, and writes each tile's 2x2 outputs into ``y``
    (N, oh, ow·F), those inside it (an odd size drops the last row or column). The NumPy
    path's operations in its order (``(m0 + m1) + m2``, ``(m1 - m2) - m3`` over rows, then
    columns), so the same values."""
    u = np.uint64

    @jit
    def transform_out(m: Any, y: Any, f: int, lo: int, hi: int, tw: int) -> None:
        n, oh, ow = y.shape[0], y.shape[1], y.shape[2] // f
        rows = hi - lo
        for s in range(n):
            for ty in range(lo, hi):
                for tx in range(tw):
                    pu = u(((s * rows + ty - lo) * tw + tx) * f)
                    h0, w0 = 2 * ty, 2 * tx
                    two_rows, two_cols = h0 + 1 < oh, w0 + 1 < ow
                    for fi in range(f):
                        fu = u(fi)
                        s00 = m[0, pu + fu] + m[4, pu + fu] + m[8, pu + fu]
                        s01 = m[1, pu + fu] + m[5, pu + fu] + m[9, pu + fu]
                        s02 = m[2, pu + fu] + m[6, pu + fu] + m[10, pu + fu]
                        s03 = m[3, pu + fu] + m[7, pu + fu] + m[11, pu + fu]
                        s10 = m[4, pu + fu] - m[8, pu + fu] - m[12, pu + fu]
                        s11 = m[5, pu + fu] - m[9, pu + fu] - m[13, pu + fu]
                        s12 = m[6, pu + fu] - m[10, pu + fu] - m[14, pu + fu]
                        s13 = m[7, pu + fu] - m[11, pu + fu] - m[15, pu + fu]
                        y[s, h0, u(w0 * f) + fu] = s00 + s01 + s02
                        if two_cols:
                            y[s, h0, u((w0 + 1) * f) + fu] = s01 - s02 - s03
                        if two_rows:
                            y[s, h0 + 1, u(w0 * f) + fu] = s10 + s11 + s12
                            if two_cols:
                                y[s, h0 + 1, u((w0 + 1) * f) + fu] = s11 - s12 - s13

    return transform_out


def _input_trial(fn: Kernel, _kh: int, _kw: int) -> bool:
    """All ones, one 4x4 tile inside the input: ``B^T d B`` is 4 at point 5, else 0."""
    x = readonly(np.ones((1, 4, 4 * 3), np.float32))
    v = np.full((16, 3), np.nan, np.float32)
    fn(x, v, np.empty((4, 4 * 3), np.float32), 3, 0, 1, 0, 0, 1)
    want = np.zeros((16, 3), np.float32)
    want[5] = 4
    return bool(np.array_equal(v, want))


def _output_trial(fn: Kernel, _kh: int, _kw: int) -> bool:
    """All ones: ``A^T m A`` is [[9, -3], [-3, 1]]."""
    y = np.empty((1, 2, 2 * 3), np.float32)
    fn(readonly(np.ones((16, 3), np.float32)), y, 3, 0, 1, 1)
    return bool(np.array_equal(y[0, :, ::3], [[9, -3], [-3, 1]]))
