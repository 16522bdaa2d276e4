"""Text and JSON of ``convcalc fit-kernel`` (a :class:`~convcalc.tools.fitkernel.Fit`)."""

from __future__ import annotations

from typing import Any

from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.values import inline
from convcalc.tools.fitkernel import Fit


def _k(a: Any) -> str:
    import numpy as np

    return inline(np.round(np.asarray(a), 4) + 0.0)


def render_fit(f: Fit) -> str:
    kh, kw = f.initial.shape
    (h, w), (ho, wo) = f.x.shape, f.y.shape
    source = (
        f"d2l's edge example: X {h}x{w} (ones, zeros in columns 2-5), Y = X ⋆ {_k(f.true_kernel)}"
        if f.true_kernel is not None
        else f"X {h}x{w}, Y {ho}x{wo}"
    )
    lines = [
        f"Learning a {kh}x{kw} kernel by gradient descent ({source})",
        "loss L = Σ (X ⋆ K - Y)² (no bias); dL/dK = 2·(X ⋆ E) with E = X ⋆ K - Y; "
        f"K <- K - lr·dL/dK, lr = {f.lr:g}",
        f"initial K (glorot_uniform, seed {f.seed}): {_k(f.initial)}",
        "",
        " step          loss",
    ]
    lines += [f"{i + 1:5d}  {v:12.6g}" for i, v in enumerate(f.losses)]
    lines += [
        f"after {len(f.losses)} steps: loss {f.final_loss:.6g}",
        "",
        f"learned K:       {_k(f.kernel)}",
    ]
    if f.true_kernel is not None:
        lines.append(f"true K:          {_k(f.true_kernel)}")
    unique = "unique" if f.ls_rank == kh * kw else f"one of many: im2col rank {f.ls_rank}"
    lines.append(
        f"least squares:   {_k(f.least_squares)} (loss {f.ls_loss:.3g}; the exact minimiser, "
        f"{unique})"
    )
    if f.losses and (f.final_loss > f.losses[0] or f.final_loss != f.final_loss):
        lines.append("warning: the loss grew: the learning rate is too large; try a smaller --lr")
    lines.append(
        "Y is linear in K, so learning K is linear least squares (not linear programming); "
        "gradient descent walks towards the least-squares solution."
    )
    return "\n".join(lines) + "\n"


def fit_dict(f: Fit) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kernel": f.kernel.tolist(),
        "initial": f.initial.tolist(),
        "true_kernel": None if f.true_kernel is None else f.true_kernel.tolist(),
        "loss": f.losses,
        "final_loss": f.final_loss,
        "least_squares": f.least_squares.tolist(),
        "least_squares_loss": f.ls_loss,
        "lr": f.lr,
        "steps": len(f.losses),
        "seed": f.seed,
    }
