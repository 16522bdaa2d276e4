"""Element-wise and per-channel ops: normalisation, resampling, merges, and the array layout."""

from __future__ import annotations

from collections.abc import Sequence

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

        run_rows(slab, y)
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
