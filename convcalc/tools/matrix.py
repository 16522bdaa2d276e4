"""``convcalc matrix``: a small one-channel convolution as the matrix C with y = C·x, its
transpose, and the im2col patch matrix and GEMM the runtime computes.

C is built from the definition of cross-correlation alone: row ``o = (i, j)`` (output
positions, row by row) holds ``w[a, b]`` in column ``p = (i·s_h - p_t + a·d_h, j·s_w - p_l +
b·d_w)`` (input positions, row by row) when that position is inside the input (padding
contributes zeros, so it has no column). Everything else is computed by convcalc's runtime
and compared with it: the layer's forward gives C·x; the transposed layer
(``ConvTranspose2d`` with the same kernel) gives Cᵀ·y, which has x's shape but is not x;
the patch matrix comes from the same windowing code the runtime's Conv2D uses.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np

from convcalc.errors import UsageError
from convcalc.ops.windows import window_input, windows
from convcalc.runtime import inline, weights
from convcalc.tools.onelayer import Built, LayerFlags, build

MAX_CELLS = 400  # C has (Ho·Wo)·(H·W) entries: a matrix to read, not a big layer


class MatrixView(NamedTuple):
    built: Built
    kernel: np.ndarray  # (kh, kw)
    x: np.ndarray  # (H, W)
    c: np.ndarray  # (Ho·Wo, H·W)
    y: np.ndarray  # (Ho, Wo) = C·x
    y_run: np.ndarray  # the layer's forward on x
    ct_y: np.ndarray  # (H, W) = Cᵀ·y
    ct_y_run: np.ndarray | None  # the transposed layer's forward on y (None: no such layer)
    transposed_layer: str  # its PyTorch code, or why there is none
    patches: np.ndarray  # (Ho·Wo, kh·kw): the runtime's im2col matrix
    y_true_conv: np.ndarray  # with the kernel rotated by 180°: true convolution

    @property
    def kernel_flipped(self) -> np.ndarray:
        return self.kernel[::-1, ::-1]


def conv_matrix(
    kernel: np.ndarray,
    sizes: tuple[int, int],
    out: tuple[int, int],
    strides: tuple[int, ...],
    dilation: tuple[int, ...],
    pads: list[tuple[int, int]],
) -> np.ndarray:
    """C with y = C·x for a one-channel cross-correlation (see the module docstring)."""
    (h, w), (ho, wo) = sizes, out
    kh, kw = kernel.shape
    c = np.zeros((ho * wo, h * w), dtype=np.float64)
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                for b in range(kw):
                    r = i * strides[0] - pads[0][0] + a * dilation[0]
                    q = j * strides[1] - pads[1][0] + b * dilation[1]
                    if 0 <= r < h and 0 <= q < w:
                        c[i * wo + j, r * w + q] += kernel[a, b]
    return c


def _forward(b: Built, x: np.ndarray, kernel: Any) -> np.ndarray:
    ls, row = b.spec.layers[-1], b.row
    params = weights.build([(ls, list(row.weights))], 0, None, "keras", False)[ls.name]
    params["kernel"] = np.asarray(kernel, dtype=np.float32).reshape(params["kernel"].shape)
    y = ls.layer.forward([x[None, :, :, None].astype(np.float32)], params)
    return np.asarray(y, dtype=np.float64)[0, :, :, 0]


def _transposed(
    b: Built, flags: LayerFlags, y: np.ndarray, kernel: np.ndarray
) -> tuple[np.ndarray | None, str]:
    """Run ConvTranspose2d(1, 1, k, stride, padding, output_padding, dilation) on y."""
    pads = b.layer.pads(b.row.in_shapes[0][:-1])  # type: ignore[attr-defined]
    if any(p[0] != p[1] for p in pads):
        return None, "(none: PyTorch's ConvTranspose2d pads both sides alike; this padding is not)"
    h, w = b.row.in_shapes[0][:-1]
    ho, wo = y.shape
    k = b.layer.kernel()  # type: ignore[attr-defined]
    s, d = b.layer.strides, b.layer.dilation()  # type: ignore[attr-defined]
    full = [(n - 1) * st + dd * (kk - 1) + 1 for n, st, dd, kk in zip((ho, wo), s, d, k)]
    op = [size - (f - 2 * p[0]) for size, f, p in zip((h, w), full, pads)]
    t = LayerFlags(
        kind="transpose",
        framework="torch",
        input=f"1x{ho}x{wo}",
        channels_first=True,
        filters=1,
        kernel=f"{k[0]}x{k[1]}",
        stride=f"{s[0]}x{s[1]}",
        padding=f"{pads[0][0]}x{pads[1][0]}",
        dilation=f"{d[0]}x{d[1]}",
        output_padding=f"{op[0]}x{op[1]}" if any(op) else None,
        bias=False,
    )
    tb = build(t)
    out = _forward(tb, y, kernel)
    code = f"nn.ConvTranspose2d(1, 1, kernel_size={tuple(k)}, stride={tuple(s)}, " + (
        f"padding={(pads[0][0], pads[1][0])}, output_padding={tuple(op)}, dilation={tuple(d)}, "
        "bias=False) with the same kernel"
    )
    return out, code


def matrix_view(flags: LayerFlags, x_text: str | None = None) -> MatrixView:
    if flags.filters not in (None, 1):
        raise UsageError("convcalc matrix shows one channel in and one out; drop --filters")
    b = build(replace(flags, filters=1, bias=False))
    (h, w, c), (ho, wo, _) = b.row.in_shapes[0], b.row.shape
    if c != 1:
        raise UsageError(f"convcalc matrix shows one input channel; --input has {c}")
    if ho * wo * h * w > MAX_CELLS:
        raise UsageError(
            f"C would be {ho * wo}x{h * w} = {ho * wo * h * w} entries; convcalc matrix is for "
            f"small cases (at most {MAX_CELLS})",
            hint="use a smaller --input, e.g. 3x3 or 4x4",
        )
    kh, kw = b.layer.kernel()  # type: ignore[attr-defined]
    kernel = (
        np.asarray(b.kernel_values, dtype=np.float64).reshape(kh, kw)
        if b.kernel_values is not None
        else np.arange(kh * kw, dtype=np.float64).reshape(kh, kw)
    )
    lit = inline.parse(x_text or f"arange({h * w})", "--x")
    x = inline.fit(lit, (h, w), "--x", f"the {h}x{w} input").astype(np.float64)
    sizes = (h, w)
    s, d = b.layer.strides, b.layer.dilation()  # type: ignore[attr-defined]
    pads = b.layer.pads(sizes)  # type: ignore[attr-defined]
    cm = conv_matrix(kernel, sizes, (ho, wo), s, d, pads)
    y = (cm @ x.reshape(-1)).reshape(ho, wo)
    ct_y = (cm.T @ y.reshape(-1)).reshape(h, w)
    ct_run, code = _transposed(b, flags, y, kernel)
    xp = window_input(x[None, :, :, None], pads, (ho, wo), (kh, kw), s, d)
    patches = windows(xp, (kh, kw), s, d, (ho, wo)).reshape(ho * wo, kh * kw)
    return MatrixView(
        b,
        kernel,
        x,
        cm,
        y,
        _forward(b, x, kernel),
        ct_y,
        ct_run,
        code,
        np.asarray(patches),
        _forward(b, x, kernel[::-1, ::-1]),
    )
