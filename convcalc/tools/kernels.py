"""``convcalc kernel``: is a 2-D kernel spatially separable, and what does separating it save?

A ``kh x kw`` kernel K is separable when it is a column times a row, K = c·rᵀ, i.e. when its
rank is 1 (from the SVD: one non-zero singular value). Then a ``kh x 1`` convolution by c
followed by a ``1 x kw`` one by r gives the same output with kh + kw multiplications per
output instead of kh·kw (9 -> 6 for 3x3). For a kernel of integers (or integers times one
scale, like the 1/16 of a 3x3 Gaussian) the factors are given as small integers: r is the
first non-zero row divided by the gcd of its entries, and c[i] = K[i, j]/r[j]. The check runs
both forms through convcalc's own convolution op on an input of small integers.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from convcalc.errors import UsageError
from convcalc.ops.conv import conv
from convcalc.runtime import inline

NAMED: dict[str, tuple[list[list[int]], Fraction, str]] = {
    "sobel": ([[1, 0, -1], [2, 0, -2], [1, 0, -1]], Fraction(1), "Sobel, x derivative"),
    "sobel_y": ([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], Fraction(1), "Sobel, y derivative"),
    "scharr": ([[3, 0, -3], [10, 0, -10], [3, 0, -3]], Fraction(1), "Scharr, x derivative"),
    "prewitt": ([[1, 0, -1], [1, 0, -1], [1, 0, -1]], Fraction(1), "Prewitt, x derivative"),
    "gaussian": ([[1, 2, 1], [2, 4, 2], [1, 2, 1]], Fraction(1, 16), "3x3 binomial Gaussian"),
    "box": ([[1, 1, 1], [1, 1, 1], [1, 1, 1]], Fraction(1, 9), "3x3 box (mean) filter"),
    "laplacian": ([[0, 1, 0], [1, -4, 1], [0, 1, 0]], Fraction(1), "4-neighbour Laplacian"),
}
MAX_DENOMINATOR = 1000
CHECK_MARGIN = 5  # the check's input is (kh + 5) x (kw + 5)
RANK_TOL = 1e-9  # singular values below this fraction of the largest count as 0


class KernelReport(NamedTuple):
    name: str
    kernel: np.ndarray  # float64
    integers: np.ndarray | None  # kernel = scale · integers, when it is
    scale: Fraction | None
    singular_values: tuple[float, ...]
    rank: int
    column: list[float] | list[int] | None  # kernel = scale · column · rowᵀ
    row: list[float] | list[int] | None
    mults_before: int
    mults_after: int  # separable: kh + kw; else rank·(kh + kw) (a sum of separable kernels)
    check_input: tuple[int, int]
    check_diff: float | None  # max |K * x - r * (c * x)| on the check input

    @property
    def separable(self) -> bool:
        return self.rank == 1


def read_kernel(text: str) -> tuple[str, np.ndarray, np.ndarray | None, Fraction | None]:
    """A named kernel or a matrix literal -> (name, float kernel, integers, scale)."""
    key = text.strip().lower()
    if key in NAMED:
        table, named_scale, what = NAMED[key]
        m = np.asarray(table, dtype=np.int64)
        return f"{key} ({what})", m * float(named_scale), m, named_scale
    if not text.strip().startswith("[") and ";" not in text:
        raise UsageError(
            f"unknown kernel {text!r}",
            hint="a name (" + ", ".join(NAMED) + ") or a matrix literal like "
            "'[[1, 0, -1], [2, 0, -2], [1, 0, -1]]'",
        )
    lit = inline.parse(text, "KERNEL")
    if len(lit.shape) != 2:
        raise UsageError(f"KERNEL must be a 2-D matrix; received shape {lit.shape}")
    k = np.asarray(lit.values, dtype=np.float64).reshape(lit.shape)
    ints, scale = integer_form(k)
    return "the given kernel", k, ints, scale


def integer_form(k: np.ndarray) -> tuple[np.ndarray | None, Fraction | None]:
    """K = scale · M with M integers and scale = g/q, or (None, None)."""
    for q in range(1, MAX_DENOMINATOR + 1):
        m = k * q
        if np.all(np.abs(m - np.round(m)) < 1e-9 * max(1.0, float(np.abs(m).max()))):
            mi = np.round(m).astype(np.int64)
            g = math.gcd(*(int(v) for v in mi.reshape(-1))) or 1
            return mi // g, Fraction(g, q)
    return None, None


def integer_factors(m: np.ndarray) -> tuple[list[int], list[int]] | None:
    """M = c·rᵀ in integers, r primitive (see the module docstring), or None."""
    nonzero = [i for i in range(m.shape[0]) if np.any(m[i])]
    if not nonzero:
        return None
    first = m[nonzero[0]]
    g = math.gcd(*(int(v) for v in first))
    r = [int(v) // g for v in first]
    j = next(j for j, v in enumerate(r) if v)
    if any(int(m[i, j]) % r[j] for i in range(m.shape[0])):
        return None
    c = [int(m[i, j]) // r[j] for i in range(m.shape[0])]
    if not np.array_equal(np.outer(c, r), m):
        return None
    return c, r


def _corr(x: np.ndarray, w: np.ndarray, out: tuple[int, int]) -> np.ndarray:
    """One-channel cross-correlation by convcalc's Conv2D op (stride 1, no padding)."""
    kernel = w.astype(np.float32).reshape(w.shape + (1, 1))
    return conv(x, kernel, None, out, (1, 1), (1, 1), [(0, 0), (0, 0)])


def _check(
    k: np.ndarray, col: np.ndarray, row: np.ndarray, seed: int
) -> tuple[tuple[int, int], float]:
    """The kh x kw convolution against kh x 1 then 1 x kw, on seeded integers 0..9."""
    kh, kw = k.shape
    shape = (kh + CHECK_MARGIN, kw + CHECK_MARGIN)
    x = np.random.default_rng(seed).integers(0, 10, shape).astype(np.float32)[None, :, :, None]
    out = (shape[0] - kh + 1, shape[1] - kw + 1)
    full = _corr(x, k, out)
    sep = _corr(_corr(x, col.reshape(kh, 1), (out[0], shape[1])), row.reshape(1, kw), out)
    return shape, float(np.abs(full - sep).max())


def analyze_kernel(text: str, seed: int = 0) -> KernelReport:
    name, k, ints, scale = read_kernel(text)
    sv = np.linalg.svd(k, compute_uv=False)
    rank = int(np.sum(sv > RANK_TOL * sv.max())) if sv.size and sv.max() > 0 else 0
    kh, kw = k.shape
    column: list[float] | list[int] | None = None
    row: list[float] | list[int] | None = None
    diff = None
    check_shape = (kh + CHECK_MARGIN, kw + CHECK_MARGIN)
    if rank == 1:
        factors = integer_factors(ints) if ints is not None else None
        if factors is not None:
            column, row = factors
            col_f = np.asarray(column, dtype=np.float64) * float(scale or 1)
            row_f = np.asarray(row, dtype=np.float64)
        else:
            u, s, vt = np.linalg.svd(k)
            col_f, row_f = u[:, 0] * math.sqrt(s[0]), vt[0] * math.sqrt(s[0])
            if col_f[np.argmax(np.abs(col_f))] < 0:
                col_f, row_f = -col_f, -row_f
            column, row = [float(v) for v in col_f], [float(v) for v in row_f]
        check_shape, diff = _check(k, col_f, row_f, seed)
    after = (kh + kw) * max(rank, 1)
    return KernelReport(
        name,
        k,
        ints,
        scale,
        tuple(float(v) for v in sv),
        rank,
        column,
        row,
        kh * kw,
        after,
        check_shape,
        diff,
    )
