"""Text and JSON of ``convcalc kernel`` (a :class:`~convcalc.tools.kernels.KernelReport`)."""

from __future__ import annotations

from typing import Any

from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.values import inline, matrix_lines
from convcalc.tools.kernels import KernelReport


def _vec(v: list[Any]) -> str:
    return "[" + ", ".join(f"{x:.4g}" if isinstance(x, float) else str(x) for x in v) + "]"


def render_kernel(r: KernelReport) -> str:
    kh, kw = r.kernel.shape
    shown = r.integers if r.integers is not None else r.kernel
    scale = f" x {r.scale}" if r.scale not in (None, 1) else ""
    lines = [f"Kernel: {r.name}, {kh}x{kw}" + (f", {r.scale} x these integers:" if scale else ":")]
    lines += ["  " + line for line in matrix_lines(shown)]
    sv = ", ".join(f"{v:.4g}" if abs(v) > 1e-12 else "0" for v in r.singular_values)
    verdict = "spatially separable" if r.separable else "not separable"
    lines.append(f"Singular values (SVD): {sv} -> rank {r.rank}: {verdict}")
    if r.separable and r.column is not None and r.row is not None:
        exact = "exact integers" if isinstance(r.column[0], int) else "from the SVD"
        lines.append(
            f"Factors ({exact}): column {_vec(r.column)}ᵀ x row {_vec(r.row)}{scale}"
            " (up to a sign on both)"
        )
        fewer = r.mults_before / r.mults_after
        saving = f"{fewer:.3g}x fewer" if fewer > 1 else "no saving"
        lines.append(
            f"Multiplications per output: {kh}·{kw} = {r.mults_before} as one {kh}x{kw} kernel, "
            f"{kh} + {kw} = {r.mults_after} as a {kh}x1 then a 1x{kw} ({saving})"
        )
        h, w = r.check_input
        same = "the same" if r.check_diff is not None and r.check_diff < 1e-3 else "DIFFERENT"
        lines.append(
            f"Check on a {h}x{w} input of integers 0-9 (seed 0): the {kh}x{kw} convolution and "
            f"the {kh}x1 then 1x{kw} give {same} {h - kh + 1}x{w - kw + 1} output (max "
            f"|difference| {r.check_diff:.3g})"
        )
    else:
        lines.append(
            f"Multiplications per output: {r.mults_before}; as a sum of {r.rank} separable "
            f"kernels (one per non-zero singular value) {r.rank}·({kh} + {kw}) = "
            f"{r.mults_after}" + (" (more)" if r.mults_after >= r.mults_before else " (fewer)")
        )
    return "\n".join(lines) + "\n"


def kernel_dict(r: KernelReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "name": r.name,
        "kernel": r.kernel.tolist(),
        "integers": None if r.integers is None else r.integers.tolist(),
        "scale": None if r.scale is None else str(r.scale),
        "singular_values": list(r.singular_values),
        "rank": r.rank,
        "separable": r.separable,
        "column": r.column,
        "row": r.row,
        "multiplications_before": r.mults_before,
        "multiplications_after": r.mults_after,
        "check": {
            "input_shape": list(r.check_input),
            "max_abs_difference": r.check_diff,
        },
        "kernel_inline": inline(r.kernel),
    }
