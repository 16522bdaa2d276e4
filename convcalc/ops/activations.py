"""Activation functions keyed by Keras's activation names (Keras 3 definitions).

The names are the layers' (``convcalc.layers.common.ACTIVATIONS``); a test keeps this module's
``ELEMENTWISE``, ``ALONG_AXIS`` and ``UNSUPPORTED`` equal to that list.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from convcalc.ops import epilogues
from convcalc.ops.base import F32, run_rows


def _erfc(x: np.ndarray) -> np.ndarray:
    """erfc in float64 (Numerical Recipes ``erfcc``, Chebyshev fit: relative error < 1.2e-7
    everywhere, so GELU's tail keeps its float32 precision)."""
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    c = (
        -1.26551223,
        1.00002368,
        0.37409196,
        0.09678418,
        -0.18628806,
        0.27886807,
        -1.13520398,
        1.48851587,
        -0.82215223,
        0.17087277,
    )
    poly = c[-1]
    for coef in reversed(c[:-1]):
        poly = coef + t * poly
    r = t * np.exp(-z * z + poly)
    return np.where(x >= 0, r, 2.0 - r)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sparsemax(x: np.ndarray, axis: int) -> np.ndarray:
    z = np.moveaxis(x, axis, -1).astype(np.float64)
    zs = -np.sort(-z, axis=-1)
    kk = np.arange(1, z.shape[-1] + 1)
    cs = np.cumsum(zs, axis=-1)
    support = 1 + kk * zs > cs
    kz = support.sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cs, kz - 1, axis=-1) - 1) / kz
    return np.moveaxis(np.maximum(z - tau, 0), -1, axis)


def _glu(x: np.ndarray, axis: int) -> np.ndarray:
    a, b = np.split(x, 2, axis=axis)
    return a * (1 / (1 + np.exp(-b)))


def _sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """0.5·(tanh(x/2) + 1), in one array (``out``, or a new one): the same operations in the
    same order as the expression, without its four temporaries (swish on 56x56x144: 0.72 ->
    0.52 ms)."""
    t = np.multiply(x, F32(0.5), out=out)
    np.tanh(t, out=t)
    t += F32(1)
    t *= F32(0.5)
    return t


def _swish(x: np.ndarray) -> np.ndarray:
    if x.dtype == F32:
        return _swish_into(x.copy())
    t = _sigmoid(x)
    t *= x
    return t


def _swish_into(x: np.ndarray) -> np.ndarray:
    """:func:`_swish` written into ``x`` (a fresh output; one temporary): by the compiled
    kernel when numba is there (``ops.epilogues``, which also runs it with a BatchNorm before
    it in one pass), else ``x·sigmoid(x)`` in NumPy."""
    if not epilogues.swish_into(x):
        np.multiply(x, _sigmoid(x), out=x)
    return x


_swish_into.swish = True  # type: ignore[attr-defined]


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, x)


def _elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


# ReLU as clip(x, 0, inf): NumPy vectorises two-bound clip, while maximum with a scalar runs
# 3.5x slower (measured: 2.13 vs 0.60 ms on 224x224x64)
INF = F32(np.inf)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

ELEMENTWISE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.clip(x, F32(0), INF, out=x),
    "relu6": lambda x: np.clip(x, F32(0), F32(6), out=x),
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "tanh": np.tanh,
    "selu": lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
    "elu": _elu,
    "celu": _elu,
    "exponential": np.exp,
    "gelu": lambda x: 0.5 * x * _erfc(-x.astype(np.float64) / math.sqrt(2)),
    "silu": _swish,
    "swish": _swish,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: -_softplus(-x),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
}
# the ones that overwrite their argument when it is a fresh output (``inplace``), sparing the
# copy of a new array back into it
IN_PLACE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda x: _sigmoid(x, out=x),
    "silu": _swish_into,
    "swish": _swish_into,
}
ALONG_AXIS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "softmax": _softmax,
    "log_softmax": lambda x, axis: (
        x
        - x.max(axis=axis, keepdims=True)
        - np.log(np.exp(x - x.max(axis=axis, keepdims=True)).sum(axis=axis, keepdims=True))
    ),
    "sparsemax": _sparsemax,
    "glu": _glu,
}
UNSUPPORTED = {
    "threshold": "Keras's threshold activation needs its threshold and default "
    "values, which a name alone does not give"
}


def activation(
    name: str | None, axis: int = -1, inplace: bool = False
) -> Callable[[np.ndarray], np.ndarray] | None:
    """The function for a Keras activation name (Keras 3 definitions; ``axis`` for the ones
    that normalise along an axis). ``None`` for no activation. Results are float32; with
    ``inplace`` ReLU, ReLU6, sigmoid and swish overwrite their argument (a fresh layer
    output)."""
    if name is None or name == "linear":
        return None
    if name == "relu" and not inplace:
        return _elementwise(lambda x: np.clip(x, F32(0), INF))
    if name == "relu6" and not inplace:
        return _elementwise(lambda x: np.clip(x, F32(0), F32(6)))
    if inplace and name in ("relu", "relu6"):
        return clip_epilogue(None if name == "relu" else 6.0)
    if inplace and name in IN_PLACE:
        return _elementwise(IN_PLACE[name])
    if name in ELEMENTWISE:
        fn = ELEMENTWISE[name]
        return _elementwise(lambda x: np.asarray(fn(x), dtype=F32))
    along = ALONG_AXIS[name]
    return lambda x: np.asarray(along(x, axis), dtype=F32)


def _elementwise(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Mark an activation that may be applied to any slab of its input independently."""
    fn.elementwise = True  # type: ignore[attr-defined]
    return fn


def relu_like(
    x: np.ndarray, max_value: float | None, negative_slope: float, threshold: float
) -> np.ndarray:
    """Keras ``ReLU``: max_value above it, x on [threshold, max_value),
    negative_slope·(x - threshold) below the threshold. Plain ReLU and ReLU6 take one pass,
    in parallel slabs."""
    if negative_slope == 0 and threshold == 0:
        y = np.empty_like(x, dtype=F32)

        def slab(lo: int, hi: int) -> None:
            part = y[:, lo:hi] if y.ndim > 1 else y
            src = x[:, lo:hi] if x.ndim > 1 else x
            if max_value is None:
                np.clip(src, F32(0), INF, out=part)
            else:
                np.clip(src, F32(0), F32(max_value), out=part)

        run_rows(slab, y)
        return y
    y = np.where(x >= threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        y = np.minimum(y, max_value)
    return np.asarray(y, dtype=F32)


def clip_epilogue(max_value: float | None) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`relu_like` without slope or threshold, in place on its argument; its ``clip``
    attribute says so (``ops.epilogues`` runs it in one pass with a scale and shift before)."""
    top = INF if max_value is None else F32(max_value)
    fn = _elementwise(lambda x: np.clip(x, F32(0), top, out=x))
    fn.clip = (F32(0), top)  # type: ignore[attr-defined]
    return fn


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.asarray(_elu(x, alpha), dtype=F32)


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return np.asarray(_softmax(x, axis), dtype=F32)
