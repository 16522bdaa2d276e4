"""The epilogue of a convolution: the element-wise layers after it, run in place on each slab
of its output while the slab is still in cache.

A batch norm's scale and shift followed by a clip (ReLU, ReLU6), or either alone, runs as one
compiled pass when numba is installed: NumPy needs a pass per operation (multiply, add,
clip), each at cache bandwidth, and one compiled loop does the three in registers, 2.3-4.6x
faster on the Zen 4 VM (35x35x64: 40 -> 18 us; 147x147x32: 215 -> 91 us). The values are
NumPy's to the bit: the same float32 multiply then add, each rounded (no fused multiply-add
without fastmath), and NumPy's clip, ``min(max(v, lo), hi)`` where a NaN passes and -0.0
clips to 0.0. A batch norm followed by swish, and swish alone, is one compiled pass too
(:func:`_swish_py`: within a bound of the exact swish, not NumPy's bits). Without numba, with
``TUNING.jit`` off or for a slab whose rows are not contiguous, the NumPy functions run as
they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from convcalc.ops import jit
from convcalc.ops.base import F32, Activation

Rows = tuple[np.ndarray, int, int, int, int, int]  # flat, n0, n1, s0, s1, row length


def chain(fns: Sequence[Activation]) -> Activation:
    """Element-wise functions one after another, in place on their argument (a slab of a
    layer's output): the epilogue of a convolution that runs the layers after it. A function
    with an ``affine`` attribute ``(a, b)`` (``x·a + b``, ``a`` and ``b`` broadcast over the
    slab's last axes) and one with a ``clip`` attribute ``(lo, hi)`` after it are one pass."""
    steps = _merge(list(fns))

    def run(part: np.ndarray) -> np.ndarray:
        for fn in steps:
            out = fn(part)
            if out is not part:
                part[...] = out
        return part

    run.elementwise = True  # type: ignore[attr-defined]
    return run


def _merge(fns: list[Activation]) -> list[Activation]:
    steps: list[Activation] = []
    i = 0
    while i < len(fns):
        fn = fns[i]
        nxt: Any = fns[i + 1] if i + 1 < len(fns) else None
        affine = getattr(fn, "affine", None)
        clip = getattr(nxt, "clip", None)
        swish = getattr(nxt, "swish", False)
        if affine is None:
            steps.append(fn)
        elif clip is not None:
            steps.append(_fused("affine_clip", affine, (F32(clip[0]), F32(clip[1])), [fn, nxt]))
        elif swish:
            steps.append(_fused("affine_swish", affine, (True,), [fn, nxt]))
        else:
            steps.append(_fused("affine_clip", affine, (F32(-np.inf), F32(np.inf)), [fn]))
        i += 2 if affine is not None and (clip is not None or swish) else 1
    return steps


_NO_AFFINE = (jit.readonly(np.ones((1,), F32)), jit.readonly(np.zeros((1,), F32)))


def swish_into(x: np.ndarray) -> bool:
    """Swish written into ``x`` by the compiled kernel; False (nothing done) when it cannot
    run. The rational tanh makes its values differ from NumPy's by a few units in the last
    place (see :func:`_swish_py`), so the NumPy swish is not used where this one can run."""
    kernel = jit.kernel(("affine_swish", 1, 1), _source, _trial)
    rows = None if kernel is None else _rows(x)
    if kernel is None or rows is None:
        return False
    kernel(*rows, *_NO_AFFINE, False)
    return True


def _fused(
    kind: str,
    affine: tuple[np.ndarray, np.ndarray],
    extra: tuple[Any, ...],
    fallback: Sequence[Activation],
) -> Activation:
    """``x·a + b`` and then a clip (``extra``: lo, hi) or swish (``extra``: True), in place in
    one compiled pass, or the ``fallback`` functions where it cannot run."""
    a, b = affine
    tiles: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def run(part: np.ndarray) -> np.ndarray:
        kernel = jit.kernel((kind, 1, 1), _source, _trial)
        rows = None if kernel is None or part.shape[-1] != a.shape[-1] else _rows(part)
        if rows is None or rows[-1] % a.shape[-1]:
            for fn in fallback:
                out = fn(part)
                if out is not part:
                    part[...] = out
            return part
        length = rows[-1]
        if length not in tiles:
            tiles[length] = (_tile(a, length), _tile(b, length))
        assert kernel is not None
        kernel(*rows, *tiles[length], *extra)
        return part

    run.elementwise = True  # type: ignore[attr-defined]
    return run


def _tile(v: np.ndarray, length: int) -> np.ndarray:
    """The per-channel vector of ``v`` (its last axis, or that axis tiled along the one before:
    the values repeat) repeated to ``length``, read-only for the kernel."""
    c = v.shape[-1]
    return jit.readonly(np.tile(np.ascontiguousarray(v.reshape(-1)[:c]), length // c))


def _rows(part: np.ndarray) -> Rows | None:
    """``part`` as ``n0 x n1`` rows of ``length`` contiguous float32 at element offsets ``i·s0
    + j·s1`` of a flat array (the last two axes are one row when they are contiguous), or
    None when it is no such thing (then NumPy runs)."""
    if part.ndim < 2 or part.dtype != F32 or not part.flags.writeable or part.size == 0:
        return None
    shape, strides = part.shape, part.strides
    if strides[-1] != 4:
        return None
    c = shape[-1]
    width = 2 if strides[-2] == 4 * c or shape[-2] == 1 else 1
    length = c * (shape[-2] if width == 2 else 1)
    lead: list[tuple[int, int]] = []
    for n, s in zip(shape[:-width], strides[:-width]):
        if n == 1:
            continue
        if s % 4:
            return None
        if lead and lead[-1][1] == s * n:  # the axis before steps over this one: merge them
            lead[-1] = (lead[-1][0] * n, s)
        else:
            lead.append((n, s))
    if len(lead) > 2:
        return None
    (n0, s0), (n1, s1) = [(1, 0)] * (2 - len(lead)) + lead
    if part.flags.c_contiguous:
        flat = part.reshape(-1)
    else:
        span = (n0 - 1) * s0 // 4 + (n1 - 1) * s1 // 4 + length
        flat = np.lib.stride_tricks.as_strided(part, (span,), (4,))
    return flat, n0, n1, s0 // 4, s1 // 4, length


def _affine_clip_py(
    y: Any, n0: int, n1: int, s0: int, s1: int, length: int, a: Any, b: Any, lo: Any, hi: Any
) -> None:
    for i in range(n0):
        for j in range(n1):
            o = i * s0 + j * s1
            row = y[o : o + length]  # a slice and selects: the loop vectorises (6x faster)
            for k in range(length):
                v = row[k] * a[k] + b[k]
                v = lo if v <= lo else v  # NumPy's max(v, lo): a NaN stays, -0.0 becomes lo
                v = hi if v >= hi else v  # and min(v, hi)
                row[k] = v


# Eigen's rational tanh for float32 (generic_fast_tanh_float, which TensorFlow's CPU tanh
# runs): a 13/6-degree odd rational on [-CL, CL], exactly +-1 beyond; within 4e-7 of tanh
F32_ = np.float32
CL = F32_(7.90531110763549805)
TA = tuple(F32_(v) for v in (-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                             5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
                             4.89352455891786e-03))  # fmt: skip
TB = tuple(F32_(v) for v in (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                             4.89352518554385e-03))  # fmt: skip
A0, A1, A2, A3, A4, A5, A6 = TA
B0, B1, B2, B3 = TB
HALF = F32_(0.5)


def _swish_py(
    y: Any, n0: int, n1: int, s0: int, s1: int, length: int, a: Any, b: Any, affine: bool
) -> None:
    """Swish as the NumPy path writes it, ``x·(0.5·tanh(0.5·x) + 0.5)``, with Eigen's tanh
    (NumPy's own float32 tanh is a vector routine numba cannot call): the values are within
    2.5e-7·|x| + 1e-7 of the exact swish, as NumPy's are, but not the same bits. With
    ``affine`` the BatchNorm's ``x·a + b`` first (bit for bit NumPy's)."""
    for i in range(n0):
        for j in range(n1):
            o = i * s0 + j * s1
            row = y[o : o + length]
            for k in range(length):
                v = row[k]
                if affine:
                    v = v * a[k] + b[k]
                h = v * HALF
                c = CL if h > CL else h  # a NaN stays
                c = -CL if c < -CL else c
                x2 = c * c
                p = x2 * A0 + A1
                p = x2 * p + A2
                p = x2 * p + A3
                p = x2 * p + A4
                p = x2 * p + A5
                p = x2 * p + A6
                q = x2 * B0 + B1
                q = x2 * q + B2
                q = x2 * q + B3
                row[k] = v * (HALF * ((c * p) / q) + HALF)


def _source(kh: int, kw: int, jit_: Callable[[Any], Any], kind: str) -> Any:
    return jit_(_affine_clip_py if kind == "affine_clip" else _swish_py)


def _trial(fn: Any, kh: int, kw: int) -> bool:
    """Two rows of 3 with a gap between them: scale, shift and clip at both ends (or swish:
    0 at 0, x far right, 0 far left)."""
    y = np.array([-2, 0, 1, 9, 9, 4, 2, 0.5], F32)
    a = jit.readonly(np.array([1, 2, 3], F32))
    b = jit.readonly(np.array([0, 1, 1], F32))
    if fn.py_func is _swish_py:
        y = np.array([0, -40, 40, 9, 9, 40, 0, -40], F32)
        fn(y, 1, 2, 0, 5, 3, a, b, False)
        return bool(np.array_equal(y, np.array([0, 0, 40, 9, 9, 40, 0, 0], F32)))
    fn(y, 1, 2, 0, 5, 3, a, b, F32(0), F32(6))
    return bool(np.array_equal(y, np.array([0, 1, 4, 9, 9, 4, 5, 2.5], F32)))
