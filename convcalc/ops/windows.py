"""Padding, cropping and windows: the one windowing primitive every sliding op uses.

Geometry is never derived here: callers pass the per-axis ``(before, after)`` pads and the
output sizes that the layer computed with :mod:`convcalc.shapes`; an op only pads (or crops) its
input to exactly ``(out-1)·s + d·(k-1) + 1`` positions per axis and slides its window with
:func:`windows` (a read-only strided view). Python loops run over kernel taps, groups or axes,
never over pixels.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from convcalc.ops.base import Pads

# PyTorch padding_mode -> numpy.pad mode (reflect excludes the edge in both); the layers declare
# the same names (convcalc.layers.common.PADDING_MODES; a test keeps the two equal).
PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(x: np.ndarray, pads: Pads, mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """Pad the spatial axes of ``x`` (N, spatial..., C); negative widths crop."""
    r = x.ndim - 2
    crop = tuple(slice(max(-b, 0), x.shape[1 + i] - max(-a, 0)) for i, (b, a) in enumerate(pads))
    if any(b < 0 or a < 0 for b, a in pads):
        x = x[(slice(None),) + crop]
    widths = [(0, 0)] + [(max(b, 0), max(a, 0)) for b, a in pads] + [(0, 0)]
    if not any(b or a for b, a in widths):
        return x
    assert len(widths) == r + 2
    if mode == "zeros":  # the interior once, then only the border slabs (one pass, not two)
        out = np.empty([n + b + a for n, (b, a) in zip(x.shape, widths)], dtype=x.dtype)
        out[tuple(slice(b, b + n) for n, (b, _) in zip(x.shape, widths))] = x
        for i, (b, a) in enumerate(widths):
            if b:
                out[(slice(None),) * i + (slice(0, b),)] = value
            if a:
                out[(slice(None),) * i + (slice(out.shape[i] - a, None),)] = value
        return out
    return np.pad(x, widths, mode=PAD_MODES[mode])  # type: ignore[call-overload]


def window_input(
    x: np.ndarray,
    pads: Pads,
    out: Sequence[int],
    k: Sequence[int],
    s: Sequence[int],
    d: Sequence[int],
    mode: str = "zeros",
    value: float = 0.0,
) -> np.ndarray:
    """Pad ``x`` with ``pads`` and then to exactly ``(out-1)·s + d·(k-1) + 1`` per axis.

    The extra positions at the end (PyTorch's ceil_mode overhang) hold ``value``; positions the
    last window never reaches are cropped. Zero padding does both in one copy.
    """
    need = [(o - 1) * st + dd * (kk - 1) + 1 for o, kk, st, dd in zip(out, k, s, d)]
    if mode == "zeros":
        return pad(
            x, [(b, need[i] - x.shape[1 + i] - b) for i, (b, _) in enumerate(pads)], mode, value
        )
    xp = pad(x, pads, mode)
    return pad(xp, [(0, need[i] - xp.shape[1 + i]) for i in range(len(pads))], "zeros", value)


def windows(
    xp: np.ndarray, k: Sequence[int], s: Sequence[int], d: Sequence[int], out: Sequence[int]
) -> np.ndarray:
    """A read-only strided view ``(N, out..., k..., C)`` of every window of ``xp`` (no copy):
    output position o and tap t of axis i read position ``o·s + t·d``, and the channel axis
    stays last so that an im2col copy reads ``(k..., C)`` rows with C contiguous.

    Built from the strides directly: ``sliding_window_view`` and the slicing and moving of
    axes after it cost 16 us per call, a quarter of a small layer's forward."""
    r = xp.ndim - 2
    for i in range(r):  # the view stays inside xp (as_strided would read past it)
        if out[i] < 1 or (out[i] - 1) * s[i] + d[i] * (k[i] - 1) >= xp.shape[1 + i]:
            raise ValueError(f"windows {out} x {k} do not fit in {xp.shape}")
    st = xp.strides
    shape = (xp.shape[0], *out, *k, xp.shape[-1])
    strides = (
        st[0],
        *(st[1 + i] * s[i] for i in range(r)),
        *(st[1 + i] * d[i] for i in range(r)),
        st[-1],
    )
    return as_strided(xp, shape, strides, writeable=False)


def taps(k: Sequence[int]) -> itertools.product:
    return itertools.product(*(range(kk) for kk in k))


def tap_slices(win: np.ndarray, r: int) -> Callable[[tuple[int, ...]], np.ndarray]:
    """For a windows() view: the (N, out..., C) slice of one kernel tap."""

    def at(t: tuple[int, ...]) -> np.ndarray:
        return win[(slice(None),) * (r + 1) + t]

    return at


def crop(x: np.ndarray, cropping: Pads) -> np.ndarray:
    return np.ascontiguousarray(pad(x, [(-b, -a) for b, a in cropping]))
