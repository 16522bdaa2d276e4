"""``convcalc fit-kernel``: learn a 2-D kernel by gradient descent from an input X and a target
Y (d2l's "Learning a Kernel", seed 003), and compare with the exact least-squares kernel.

With no bias and the squared loss ``L(K) = Σ_ij ((X ⋆ K)_ij - Y_ij)²`` (⋆ is cross-correlation,
"valid", stride 1), the gradient is written out: since ``(X ⋆ K)_ij = Σ_ab X_{i+a, j+b} K_ab``,

    ∂L/∂K_ab = Σ_ij 2·E_ij·X_{i+a, j+b} = 2·(X ⋆ E)_ab,    E = X ⋆ K - Y

(the correlation of the input with the residual), and each step is ``K <- K - lr·∂L/∂K``.
Y is linear in K, so the best K is a linear least-squares problem (not linear programming, as
the seed says): with A the im2col matrix of X (one row per output position, one column per
kernel tap) it is ``argmin ||A·vec(K) - vec(Y)||²``, solved exactly by ``numpy.linalg.lstsq``.
NumPy only, float64.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convcalc.errors import UsageError
from convcalc.runtime import inline
from convcalc.runtime.archives import open_arrays
from convcalc.runtime.weights import glorot_limit

DEMO_KERNEL = np.array([[1.0, -1.0]])
LR = 3.21e-2  # seed 003's learning rate
STEPS = 10
MAX_SIZE = 1 << 20


def demo_input() -> np.ndarray:
    """d2l's X: a 6x8 image of ones with a black (zero) band in columns 2..5."""
    x = np.ones((6, 8))
    x[:, 2:6] = 0
    return x


def corr2d(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid cross-correlation of 2-D arrays (d2l's corr2d)."""
    win = sliding_window_view(x, k.shape)
    return np.asarray(np.einsum("ijab,ab->ij", win, k))


def loss(x: np.ndarray, k: np.ndarray, y: np.ndarray) -> float:
    return float(np.square(corr2d(x, k) - y).sum())


def gradient(x: np.ndarray, k: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂L/∂K = 2·(X ⋆ E), E = X ⋆ K - Y (see the module docstring)."""
    return 2.0 * corr2d(x, corr2d(x, k) - y)


def least_squares(x: np.ndarray, y: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, int]:
    """The exact minimiser of L and the rank of the im2col matrix (unique when it is full)."""
    a = sliding_window_view(x, shape).reshape(-1, shape[0] * shape[1])
    sol, _, rank, _ = np.linalg.lstsq(a, y.reshape(-1), rcond=None)
    return sol.reshape(shape), int(rank)


class Fit(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    initial: np.ndarray
    kernels: list[np.ndarray]  # after each step
    losses: list[float]  # before each step (the loss the step's gradient comes from)
    final_loss: float
    least_squares: np.ndarray
    ls_loss: float
    ls_rank: int
    true_kernel: np.ndarray | None  # the demo's
    lr: float
    seed: int

    @property
    def kernel(self) -> np.ndarray:
        return self.kernels[-1] if self.kernels else self.initial


def initial_kernel(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Keras's glorot_uniform for Conv2D(1, shape) (fan_in = fan_out = kh·kw), seeded."""
    lim = glorot_limit(shape + (1, 1))
    return np.random.default_rng([seed, 1]).uniform(-lim, lim, shape)


def fit(
    x: np.ndarray,
    y: np.ndarray,
    shape: tuple[int, int],
    steps: int = STEPS,
    lr: float = LR,
    seed: int = 0,
    true_kernel: np.ndarray | None = None,
    progress: object = None,
) -> Fit:
    k = initial_kernel(shape, seed)
    start = k.copy()
    kernels, losses = [], []
    for i in range(steps):
        losses.append(loss(x, k, y))
        k = k - lr * gradient(x, k, y)
        kernels.append(k.copy())
        if callable(progress):
            progress(i + 1, steps, losses[-1])
    ls, rank = least_squares(x, y, shape)
    return Fit(
        x, y, start, kernels, losses, loss(x, k, y), ls, loss(x, ls, y), rank, true_kernel, lr, seed
    )


def _array(text: str, flag: str) -> np.ndarray:
    path = Path(text)
    if text.endswith(".npy"):  # read header first: never a device, a lying header, a pickle
        with open_arrays(path, flag) as arrays:
            m = next(iter(arrays.members.values()), None)
            if not arrays.single or m is None:
                raise UsageError(f"{flag} {text}: not a NumPy .npy file (an .npz archive)")
            if m.dtype.kind == "c" or m.size > MAX_SIZE:
                raise UsageError(
                    f"{flag} {text}: holds {m.dtype} of shape {m.shape}; a real matrix of at "
                    f"most {MAX_SIZE:,} values is needed"
                )
            a = arrays.read(m.name)
    else:
        lit = inline.parse(text, flag)
        a = np.asarray(lit.values).reshape(lit.shape)
    a = np.asarray(a, dtype=np.float64)
    if a.ndim > 2 and a.size == a.shape[-2] * a.shape[-1]:  # (1, 1, H, W)
        a = a.reshape(a.shape[-2:])
    elif a.ndim > 2 and a.size == a.shape[-3] * a.shape[-2]:  # (1, H, W, 1)
        a = a.reshape(a.shape[-3:-1])
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2 or a.size > MAX_SIZE:
        raise UsageError(
            f"{flag} must be one 2-D matrix (leading axes of size 1 may be left in); "
            f"received shape {a.shape}"
        )
    if not np.all(np.isfinite(a)):
        raise UsageError(f"{flag} holds NaN or infinite values")
    return np.asarray(a, dtype=np.float64)


def request(
    demo: bool,
    input_text: str | None,
    target_text: str | None,
    kernel_size: str | None,
) -> tuple[np.ndarray, np.ndarray, tuple[int, int], np.ndarray | None]:
    """(X, Y, kernel shape, true kernel) from the command line."""
    if demo:
        if input_text or target_text:
            raise UsageError("--demo brings its own X and Y; drop --input/--target or --demo")
        x = demo_input()
        return x, corr2d(x, DEMO_KERNEL), (1, 2), DEMO_KERNEL
    if not input_text or not target_text:
        raise UsageError(
            "fit-kernel needs --input X and --target Y (.npy files or matrix literals), or --demo"
        )
    x, y = _array(input_text, "--input"), _array(target_text, "--target")
    implied = (x.shape[0] - y.shape[0] + 1, x.shape[1] - y.shape[1] + 1)
    if kernel_size is None:
        shape = implied
    else:
        t = kernel_size.lower().replace("×", "x").split("x")
        if len(t) not in (1, 2) or not all(v.isdigit() and int(v) >= 1 for v in t):
            raise UsageError(f"--kernel-size must be K or KhxKw; received {kernel_size!r}")
        shape = (int(t[0]), int(t[-1]))
    if shape != implied or min(shape) < 1:
        raise UsageError(
            f"a {shape[0]}x{shape[1]} kernel on the {x.shape[0]}x{x.shape[1]} input gives a "
            f"{x.shape[0] - shape[0] + 1}x{x.shape[1] - shape[1] + 1} output; --target is "
            f"{y.shape[0]}x{y.shape[1]}",
            hint="a valid cross-correlation: target = input - kernel + 1 on each axis",
        )
    return x, y, shape, None
