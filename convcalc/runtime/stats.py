"""The statistics of a layer's output that a run reports (mean, std, min, max)."""

from __future__ import annotations

import numpy as np

STATS_CHUNK = 1 << 20


def summary(a: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, standard deviation, min and max, in float64 over chunks of a million elements
    (two passes; no float64 copy of a large activation)."""
    if a.size == 0:
        return (float("nan"),) * 4
    flat = a.reshape(-1)
    chunks = [flat[i : i + STATS_CHUNK] for i in range(0, flat.size, STATS_CHUNK)]
    mean = sum(float(c.sum(dtype=np.float64)) for c in chunks) / flat.size
    var = sum(float(np.square(c.astype(np.float64) - mean).sum()) for c in chunks) / flat.size
    return (
        mean,
        var**0.5,
        float(min(c.min() for c in chunks)),
        float(max(c.max() for c in chunks)),
    )
