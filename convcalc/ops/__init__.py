"""The NumPy ops behind ``--run``: float32, batch first, channels last ``(N, spatial..., C)``.

A leaf package: it imports numpy and nothing from the rest of convcalc, and nothing outside the
runtime path imports it at module level (``convcalc summary`` never loads numpy). Modules by
job: :mod:`~convcalc.ops.base` (scratch, threads, tuning, bias + activation),
:mod:`~convcalc.ops.windows` (padding, windows), :mod:`~convcalc.ops.conv` (im2col/GEMM,
transposed, dense), :mod:`~convcalc.ops.winograd`, :mod:`~convcalc.ops.depthwise`,
:mod:`~convcalc.ops.pool`, :mod:`~convcalc.ops.activations`, :mod:`~convcalc.ops.elementwise`.
"""
