"""Text and JSON of ``convcalc matrix`` (a :class:`~convcalc.tools.matrix.MatrixView`)."""

from __future__ import annotations

from typing import Any

from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.values import inline, matrix_lines
from convcalc.tools.matrix import MatrixView


def _rows(label: str, m: Any, names: list[str]) -> list[str]:
    width = max(len(n) for n in names)
    body = matrix_lines(m)
    return [label] + [f"  {n.ljust(width)}  {line}" for n, line in zip(names, body)]


def _positions(h: int, w: int, what: str) -> list[str]:
    return [f"{what}[{i},{j}]" for i in range(h) for j in range(w)]


def same(a: Any, b: Any) -> bool:
    import numpy as np

    return bool(np.allclose(a, b, rtol=1e-5, atol=1e-4))


def render_matrix(v: MatrixView, transposed: bool = False) -> str:
    (h, w), (ho, wo) = v.x.shape, v.y.shape
    s = v.built.layer.strides  # type: ignore[attr-defined]
    pads = v.built.layer.pads((h, w))  # type: ignore[attr-defined]
    d = v.built.layer.dilation()  # type: ignore[attr-defined]
    geo = f"stride {tuple(s)}, padding {tuple(map(tuple, pads))}, dilation {tuple(d)}"
    lines = [
        f"Convolution as a matrix: y = C·x with x the {h}x{w} input flattened row by row "
        f"({h * w} values) and y the {ho}x{wo} output ({ho * wo} values)",
        f"kernel w = {inline(v.kernel)} ({geo}); cross-correlation, as PyTorch and Keras",
    ]
    if v.built.kernel_values is None:
        lines.append("(kernel values: arange(kh·kw) row by row; --kernel '[[...]]' gives others)")
    lines.append("")
    inputs, outputs = _positions(h, w, "x"), _positions(ho, wo, "y")
    if transposed:
        lines += _rows(
            f"Cᵀ ({h * w} x {ho * wo}): row = input position, column = output position",
            v.c.T,
            inputs,
        )
    else:
        lines += _rows(
            f"C ({ho * wo} x {h * w}): row = output position, column = input position", v.c, outputs
        )
    lines += [
        "",
        f"x = {inline(v.x.reshape(-1))}",
        f"y = C·x = {inline(v.y.reshape(-1))} -> {inline(v.y)}",
        f"run of the layer on x: {inline(v.y_run)} "
        f"({'the same' if same(v.y_run, v.y) else 'DIFFERENT'})",
        "",
        f"Cᵀ·y = {inline(v.ct_y.reshape(-1))} -> {inline(v.ct_y)}",
    ]
    if v.ct_y_run is not None:
        verdict = "the same" if same(v.ct_y_run, v.ct_y) else "DIFFERENT"
        lines.append(f"run of the transposed layer on y: {inline(v.ct_y_run)} ({verdict})")
        lines.append(f"  ({v.transposed_layer})")
    else:
        lines.append(f"transposed layer: {v.transposed_layer}")
    is_x = same(v.ct_y, v.x)
    lines.append(
        f"Cᵀ·y has x's shape ({h}x{w}) "
        + (
            "and here equals x."
            if is_x
            else "but is not x: a transposed convolution restores the shape, not the values "
            "(Cᵀ·C·x = x would need CᵀC = I)."
        )
    )
    kk = v.patches.shape[1]
    lines += [""] + _rows(
        f"im2col: the patch matrix ({ho * wo} x {kk}), one row per output position, one column "
        f"per kernel tap (kh, kw, C order), as the runtime builds it",
        v.patches,
        outputs,
    )
    lines += [
        f"GEMM: patches ({ho * wo} x {kk}) @ kernel ({kk} x 1) = "
        f"{inline(v.patches @ v.kernel.reshape(-1))} = y",
        "",
        "Cross-correlation (the frameworks' 'convolution': the kernel as is) vs true "
        "convolution (the kernel rotated by 180°):",
        f"  kernel {inline(v.kernel)} -> {inline(v.y_run)}",
        f"  kernel {inline(v.kernel_flipped)} -> {inline(v.y_true_conv)}",
    ]
    return "\n".join(lines) + "\n"


def matrix_dict(v: MatrixView) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kernel": v.kernel.tolist(),
        "x": v.x.tolist(),
        "C": v.c.tolist(),
        "y": v.y.tolist(),
        "y_run": v.y_run.tolist(),
        "CT_y": v.ct_y.tolist(),
        "CT_y_run": None if v.ct_y_run is None else v.ct_y_run.tolist(),
        "patches": v.patches.tolist(),
        "true_convolution": v.y_true_conv.tolist(),
    }
