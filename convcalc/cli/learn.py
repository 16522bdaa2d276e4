"""The commands for learning convolution arithmetic: ``conv``, ``pool`` and ``transpose`` (one
layer from flags, every number explained), ``matrix`` (the convolution as a matrix, im2col),
``kernel`` (separability) and ``fit-kernel`` (learning a kernel)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import typer

from convcalc.cli.boundary import app
from convcalc.cli.commands import emit
from convcalc.cli.layerflags import layer_flags, with_layer_flags

GEOMETRY = ("input", "kernel", "stride", "padding", "dilation", "channels_first", "torch")


class TextJson(str, Enum):
    text = "text"
    json = "json"


FmtOpt = Annotated[TextJson, typer.Option("--format", "-f", help="text for people; json.")]


def _calc(kind: str, flags: dict[str, Any], fmt: TextJson, **extra: Any) -> None:
    from convcalc.tools.calculator import calculate

    calc = calculate(layer_flags(kind, flags, **extra))
    if fmt is TextJson.json:
        from convcalc.render.calculator import calc_dict
        from convcalc.render.machine import dumps

        emit(dumps(calc_dict(calc)))
    else:
        from convcalc.render.calculator import render_text

        emit(render_text(calc))


@app.command()
@with_layer_flags("input", "filters", *GEOMETRY[1:], "groups", "bias")
def conv(
    deformable: Annotated[
        bool,
        typer.Option("--deformable", help="A deformable convolution (torchvision DeformConv2d)."),
    ] = False,
    offset_groups: Annotated[
        int, typer.Option("--offset-groups", help="Deformable: offset groups G.")
    ] = 1,
    mask: Annotated[bool, typer.Option("--mask", help="Deformable v2: a modulation mask.")] = False,
    fmt: FmtOpt = TextJson.text,
    *,
    flags: dict[str, Any],
) -> None:
    """One 2-D convolution from flags: output shape, params and MACs, and per axis the
    output-size formula with the numbers put in, the effective kernel under dilation and the
    explicit (before, after) padding, with the PyTorch and Keras code that builds it.

    Examples:

      convcalc conv -i 20x16x50x100 -n 33 -k 3x5 --stride 2x1 --padding 4x2 --dilation 3x1

      convcalc conv --input 224x224x3 --filters 64 --kernel 3 --stride 2 --padding same

      convcalc conv --input 8x8x4 --filters 6 --kernel 3 --padding 1 --deformable --mask
    """
    extra = {"offset_groups": offset_groups, "mask": mask}
    _calc("deformable" if deformable else "conv", flags, fmt, **extra)


class PoolOp(str, Enum):
    max = "max"
    avg = "avg"


@app.command()
@with_layer_flags(*GEOMETRY, "ceil_mode")
def pool(
    op: Annotated[PoolOp, typer.Option("--op", help="max or avg pooling.")] = PoolOp.max,
    fmt: FmtOpt = TextJson.text,
    *,
    flags: dict[str, Any],
) -> None:
    """One 2-D pooling from flags, with its formulas (PyTorch's ceil_mode and its last-window
    rule shown when it fires).

    Examples:

      convcalc pool --input 20x16x50x32 --kernel 3 --stride 2 --padding 1

      convcalc pool --input 5x5 --kernel 2 --stride 2 --padding 1 --ceil-mode
    """
    _calc(op.value, flags, fmt)


@app.command()
@with_layer_flags("input", "filters", *GEOMETRY[1:], "groups", "bias", "output_padding")
def transpose(
    fmt: FmtOpt = TextJson.text,
    *,
    flags: dict[str, Any],
) -> None:
    """One transposed 2-D convolution from flags: PyTorch's rule for an integer --padding or
    --torch, Keras's for valid/same; MACs on the input grid.

    Examples:

      convcalc transpose --input 1x3x3x3 --filters 3 --kernel 2 --stride 2

      convcalc transpose --input 4x4x8 --filters 4 --kernel 3 --stride 2 --padding same
    """
    _calc("transpose", flags, fmt)


@app.command()
@with_layer_flags("input", *GEOMETRY[1:5])
def matrix(
    transposed: Annotated[
        bool, typer.Option("--transposed", help="Print Cᵀ (input rows) instead of C.")
    ] = False,
    x: Annotated[
        str | None,
        typer.Option(
            "--x",
            help="The input's values, a matrix literal. [default: arange(H·W), row by row]",
            show_default=False,
        ),
    ] = None,
    fmt: FmtOpt = TextJson.text,
    *,
    flags: dict[str, Any],
) -> None:
    """A small one-channel convolution as the matrix C with y = C·x (printed row by row),
    its transpose Cᵀ and Cᵀ·y checked against a run of the transposed layer, the im2col
    patch matrix and the GEMM the runtime computes, and cross-correlation beside true
    convolution.

    Examples:

      convcalc matrix --input 3x3 --kernel "[[0,1],[2,3]]"

      convcalc matrix --input 3x3 --kernel "[[0,1],[2,3]]" --transposed

      convcalc matrix --input 4x4 --kernel 3 --stride 2 --padding 1 --x "arange(16)"
    """
    from convcalc.render.matrix import matrix_dict, render_matrix
    from convcalc.tools.matrix import matrix_view

    view = matrix_view(layer_flags("conv", flags), x)
    if fmt is TextJson.json:
        from convcalc.render.machine import dumps

        emit(dumps(matrix_dict(view)))
    else:
        emit(render_matrix(view, transposed))


@app.command()
def kernel(
    spec: Annotated[
        str,
        typer.Argument(
            help="A named kernel (sobel, sobel_y, scharr, prewitt, gaussian, box, laplacian) "
            "or a matrix literal such as '[[1,0,-1],[2,0,-2],[1,0,-1]]'.",
            metavar="KERNEL",
            show_default=False,
        ),
    ],
    fmt: FmtOpt = TextJson.text,
) -> None:
    """Whether a 2-D kernel is spatially separable: its rank by SVD, its column and row
    factors (exact small integers where they exist), the multiplications per output before
    and after (9 -> 6 for 3x3), and a check that both forms give the same output.

    Examples:

      convcalc kernel sobel

      convcalc kernel "[[1,0,-1],[2,0,-2],[1,0,-1]]" --format json

      convcalc kernel laplacian
    """
    from convcalc.render.kernels import kernel_dict, render_kernel
    from convcalc.tools.kernels import analyze_kernel

    report = analyze_kernel(spec)
    if fmt is TextJson.json:
        from convcalc.render.machine import dumps

        emit(dumps(kernel_dict(report)))
    else:
        emit(render_kernel(report))


@app.command("fit-kernel")
def fit_kernel(
    demo: Annotated[
        bool, typer.Option("--demo", help="d2l's example: X 6x8 with an edge, K = [1, -1].")
    ] = False,
    input_text: Annotated[
        str | None,
        typer.Option(
            "--input", "-i", help="X: a .npy file or a matrix literal.", show_default=False
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target", "-t", help="Y: a .npy file or a matrix literal.", show_default=False
        ),
    ] = None,
    kernel_size: Annotated[
        str | None,
        typer.Option(
            "--kernel-size",
            "-k",
            help="K or KhxKw. [default: implied by the shapes of X and Y]",
            show_default=False,
        ),
    ] = None,
    steps: Annotated[int, typer.Option("--steps", min=1, max=100_000, help="Steps.")] = 10,
    lr: Annotated[
        float, typer.Option("--lr", min=0.0, help="Learning rate (seed 003's 3.21e-2).")
    ] = 3.21e-2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the initial kernel.")] = 0,
    fmt: FmtOpt = TextJson.text,
) -> None:
    """Learn a kernel by gradient descent from an input X and a target Y = X ⋆ K (no bias,
    squared loss, NumPy only: the gradient 2·(X ⋆ (X ⋆ K - Y)) written out), printing the
    loss per step, the learned kernel beside the true one, and the exact least-squares kernel.

    Examples:

      convcalc fit-kernel --demo

      convcalc fit-kernel --demo --steps 50 --format json

      convcalc fit-kernel --input X.npy --target Y.npy --kernel-size 1x2 --steps 20 --lr 0.01
    """
    import sys

    from convcalc.render.fitkernel import fit_dict, render_fit
    from convcalc.render.progress import progress_bar
    from convcalc.tools.fitkernel import fit, request

    x, y, shape, true_k = request(demo, input_text, target, kernel_size)
    with progress_bar(sys.stderr.isatty() and steps > 1, "fitting") as bar:

        def update(done: int, total: int, loss: float) -> None:
            if bar is not None:
                bar(done, total, f"loss {loss:.4g}")

        result = fit(x, y, shape, steps, lr, seed, true_k, update)
    if fmt is TextJson.json:
        from convcalc.render.machine import dumps

        emit(dumps(fit_dict(result)))
    else:
        emit(render_fit(result))
