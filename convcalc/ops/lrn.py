"""Local response normalisation across the channel axis (the last axis)."""

from __future__ import annotations

import numpy as np

from convcalc.ops.base import F32


def local_response_norm(
    x: np.ndarray, size: int, alpha: float, beta: float, k: float
) -> np.ndarray:
    """PyTorch's LocalResponseNorm on channels-last ``x``: the window over channels
    ``c - size//2 .. c + (size-1)//2`` (zero padded), the average of squares times alpha."""
    sq = np.square(x.astype(np.float64))
    c = x.shape[-1]
    pad = [(0, 0)] * (x.ndim - 1) + [(size // 2, (size - 1) // 2)]
    padded = np.pad(sq, pad)
    csum = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(padded, axis=-1)], axis=-1)
    window = csum[..., size : size + c] - csum[..., :c]
    return (x / np.power(k + alpha / size * window, beta)).astype(F32)
