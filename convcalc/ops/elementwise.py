"""Element-wise and per-channel ops: normalisation, resampling, merges, and the array layout."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from convcalc.ops.base import F32, row_tile, run_rows


def batch_norm(
    x: np.ndarray,
    axis: int,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> np.ndarray:
    """Inference batch norm: ``x·a + b`` with ``a = gamma/sqrt(var+eps)``, ``b = beta - mean·a``
    (as PyTorch's CPU kernel folds it)."""
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    tiled = axis == x.ndim - 1 and x.ndim >= 3
    a32, b32 = _FOLDED.get((gamma, beta, mean, var), (eps, tuple(shape), tiled, x))
    y = np.empty_like(x, dtype=F32)
    if tiled:

        def slab(lo: int, hi: int) -> None:
            np.multiply(x[:, lo:hi], a32, out=y[:, lo:hi])
            np.add(y[:, lo:hi], b32, out=y[:, lo:hi])

        run_rows(slab, y)
    else:
        np.multiply(x, a32, out=y)
        np.add(y, b32, out=y)
    return y


def fold_batch_norm(
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
    shape: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """The scale ``a`` and shift ``b`` of an inference batch norm, computed in float64, as
    float32 of ``shape`` (1 except the channel axis)."""
    inv = 1.0 / np.sqrt(var.astype(np.float64) + eps)
    a = inv if gamma is None else gamma.astype(np.float64) * inv
    b = -mean.astype(np.float64) * a
    if beta is not None:
        b = b + beta
    return a.astype(F32).reshape(shape), b.astype(F32).reshape(shape)


def batch_norm_epilogue(
    shape: tuple[int, ...],
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float,
) -> Callable[[np.ndarray], np.ndarray] | None:
    """:func:`batch_norm` over the last axis of an output of ``shape`` (2 or more spatial
    axes), as an in-place function on any slab of whole rows of it (the same multiply and
    add, so the same values); None for other shapes."""
    if len(shape) < 4:
        return None
    one = (1,) * (len(shape) - 1) + (shape[-1],)
    like = np.broadcast_to(F32(0), shape)
    a32, b32 = _FOLDED.get((gamma, beta, mean, var), (eps, one, True, like))

    def run(part: np.ndarray) -> np.ndarray:
        np.multiply(part, a32, out=part)
        np.add(part, b32, out=part)
        return part

    run.elementwise = True  # type: ignore[attr-defined]
    run.affine = (a32, b32)  # type: ignore[attr-defined]  # for ops.epilogues: one pass
    return run


class FoldedCache:
    """The folded (and row-tiled) scale and shift of each batch norm, made once and reused by
    every later forward (per call they cost about 20 µs, the whole multiply-add of a 7x7x960
    map: MobileNetV2 has 52). An entry holds its four vectors and their bytes, so that a
    hit is the same arrays with the same values (weights changed in place are folded anew)."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._entries: dict[tuple[object, ...], tuple[Any, ...]] = {}

    def get(
        self, vectors: tuple[np.ndarray | None, ...], how: tuple[float, tuple[int, ...], bool, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        eps, shape, tiled, like = how
        width = like.shape[-2] if tiled else 0
        key = (*(id(v) for v in vectors), eps, shape, width)
        hit = self._entries.get(key)
        if hit is not None and all(
            (v is None and c is None) or (v is o and v.tobytes() == c)
            for v, o, c in zip(vectors, hit[2], hit[3])
        ):
            return hit[0], hit[1]
        gamma, beta, mean, var = vectors
        assert mean is not None and var is not None
        a32, b32 = fold_batch_norm(gamma, beta, mean, var, eps, shape)
        if tiled:
            a32, b32 = row_tile(a32, like), row_tile(b32, like)
        if len(self._entries) >= self.limit:
            self._entries.clear()
        copies = tuple(None if v is None else v.tobytes() for v in vectors)
        self._entries[key] = (a32, b32, vectors, copies)
        return a32, b32


_FOLDED = FoldedCache()


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


def layer_norm(
    x: np.ndarray,
    axes: tuple[int, ...],
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    eps: float,
) -> np.ndarray:
    """``(x - mean) / sqrt(var + eps) · gamma + beta`` over ``axes`` of each sample (biased
    variance, statistics in float64); ``gamma`` and ``beta`` broadcast against ``x``."""
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    var = np.square(x64 - mean).mean(axis=axes, keepdims=True)
    y = (x64 - mean) / np.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return np.ascontiguousarray(y, dtype=F32)


def add(xs: Sequence[np.ndarray]) -> np.ndarray:
    y = np.add(xs[0], xs[1])
    for x in xs[2:]:
        np.add(y, x, out=y)
    return y


def subtract(xs: Sequence[np.ndarray]) -> np.ndarray:
    return np.subtract(xs[0], xs[1])


def multiply(xs: Sequence[np.ndarray]) -> np.ndarray:
    y = np.multiply(xs[0], xs[1])
    for x in xs[2:]:
        np.multiply(y, x, out=y)
    return y


def average(xs: Sequence[np.ndarray]) -> np.ndarray:
    y = add(xs)
    y /= F32(len(xs))
    return y


def maximum(xs: Sequence[np.ndarray]) -> np.ndarray:
    y = np.maximum(xs[0], xs[1])
    for x in xs[2:]:
        np.maximum(y, x, out=y)
    return y


def minimum(xs: Sequence[np.ndarray]) -> np.ndarray:
    y = np.minimum(xs[0], xs[1])
    for x in xs[2:]:
        np.minimum(y, x, out=y)
    return y


def to_display(x: np.ndarray, channels_first: bool) -> np.ndarray:
    """A canonical batch (N, spatial..., C) in the spec's data_format: (N, C, spatial...)."""
    return np.moveaxis(x, -1, 1) if channels_first and x.ndim >= 3 else x


def to_canonical(x: np.ndarray, channels_first: bool) -> np.ndarray:
    return np.moveaxis(x, 1, -1) if channels_first and x.ndim >= 3 else x
