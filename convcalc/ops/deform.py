"""Deformable convolution (Dai et al. 2017; v2 with a modulation mask, Zhu et al. 2019), with
the semantics of ``torchvision.ops.deform_conv2d``.

For output position ``(ho, wo)`` and kernel tap ``t = i·kw + j`` the sampling point is

    y = ho·s_h - p_h + i·d_h + Δy,    x = wo·s_w - p_w + j·d_w + Δx

where ``(Δy, Δx)`` are channels ``g·2K + 2t`` and ``g·2K + 2t + 1`` of the offset (``K = kh·kw``,
``g`` the offset group of the input channel: ``c // (C / G)``). The input is read there by
bilinear interpolation, zero outside: a point with ``y <= -1``, ``y >= H``, ``x <= -1`` or
``x >= W`` gives 0, and each of its four neighbours outside the map counts 0 (torchvision's
``bilinear_interpolate``). v2 multiplies the sampled value by the mask's channel ``g·K + t``.
Then the sampled columns ``(N·Ho·Wo, K·C)`` meet the kernel in one GEMM per weight group, as
an ordinary convolution's im2col matrix would.

Arrays are channels last: ``x (N, H, W, C)``, ``offset (N, Ho, Wo, 2·G·K)``,
``mask (N, Ho, Wo, G·K)``, kernel in Keras layout ``(kh, kw, C/groups, F)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from convcalc.ops.base import F32, Activation, Pads, bias_act


def sample(
    x: np.ndarray,
    offset: np.ndarray,
    mask: np.ndarray | None,
    k: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
) -> np.ndarray:
    """The deformed im2col matrix: ``(N, Ho, Wo, K, C)`` sampled (and modulated) values."""
    n, h, w, c = x.shape
    ho, wo = offset.shape[1], offset.shape[2]
    kh, kw = k
    kk = kh * kw
    g = offset.shape[-1] // (2 * kk)
    cg = c // g
    off = offset.reshape(n, ho, wo, g, kk, 2).astype(F32)
    ti, tj = np.divmod(np.arange(kk), kw)
    base_y = (np.arange(ho)[:, None] * strides[0] - pads[0][0] + ti[None, :] * dilation[0]).astype(
        F32
    )  # (Ho, K)
    base_x = (np.arange(wo)[:, None] * strides[1] - pads[1][0] + tj[None, :] * dilation[1]).astype(
        F32
    )  # (Wo, K)
    py = base_y[None, :, None, None, :] + off[..., 0]  # (N, Ho, Wo, G, K)
    px = base_x[None, None, :, None, :] + off[..., 1]
    inside = (py > -1) & (py < h) & (px > -1) & (px < w)
    y0 = np.floor(py)
    x0 = np.floor(px)
    ly, lx = py - y0, px - x0
    y0i, x0i = y0.astype(np.int64), x0.astype(np.int64)
    xg = x.reshape(n, h, w, g, cg)
    bi = np.arange(n).reshape(n, 1, 1, 1, 1)
    gi = np.arange(g).reshape(1, 1, 1, g, 1)
    out = np.zeros((n, ho, wo, g, kk, cg), dtype=F32)
    for dy, dx, wt in (
        (0, 0, (1 - ly) * (1 - lx)),
        (0, 1, (1 - ly) * lx),
        (1, 0, ly * (1 - lx)),
        (1, 1, ly * lx),
    ):
        yy, xx = y0i + dy, x0i + dx
        ok = inside & (yy >= 0) & (yy <= h - 1) & (xx >= 0) & (xx <= w - 1)
        v = xg[bi, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1), gi]  # (N, Ho, Wo, G, K, Cg)
        out += (wt * ok).astype(F32)[..., None] * v
    if mask is not None:
        out *= mask.reshape(n, ho, wo, g, kk, 1).astype(F32)
    return np.ascontiguousarray(out.transpose(0, 1, 2, 4, 3, 5).reshape(n, ho, wo, kk, c))


def deform_conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None,
    offset: np.ndarray,
    mask: np.ndarray | None,
    strides: Sequence[int],
    dilation: Sequence[int],
    pads: Pads,
    groups: int = 1,
    act: Activation | None = None,
) -> np.ndarray:
    """Deformable 2-D convolution (see the module docstring); returns ``(N, Ho, Wo, F)``."""
    kh, kw, cpg, f = kernel.shape
    cols = sample(x, offset, mask, (kh, kw), strides, dilation, pads)
    n, ho, wo, kk, _ = cols.shape
    m = n * ho * wo
    kg = kernel.reshape(kk, cpg, groups, f // groups)
    y = np.einsum("mkgc,kcgf->mgf", cols.reshape(m, kk, groups, cpg), kg, optimize=True).astype(F32)
    y = np.ascontiguousarray(y.reshape(n, ho, wo, f))
    return bias_act(y, bias, act)
