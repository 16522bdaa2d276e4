"""``convcalc explain-count``: why another tool prints another number for the same network."""

from __future__ import annotations

from typing import Annotated

import typer

from convcalc.cli.boundary import app
from convcalc.cli.commands import emit
from convcalc.cli.limits import with_limits
from convcalc.cli.options import ColorOpt, Format, FormatOpt, SpecPath, use_color
from convcalc.cli.view_options import ConventionName, WidthOpt
from convcalc.errors import UsageError


@app.command("explain-count")
@with_limits
def explain_count(
    spec: SpecPath,
    vs: Annotated[
        ConventionName,
        typer.Option(
            "--vs",
            help="The tool (or convention) to explain: torchinfo 1.8, fvcore 0.1.5, thop 0.1.1, "
            "ptflops 0.7.5 (default backend), calflops 0.3.2, flopcounter (FlopCounterMode, "
            "torch 2.14), or keras / torch.",
            show_default=False,
        ),
    ],
    against: Annotated[
        ConventionName | None,
        typer.Option(
            "--against",
            help="convcalc's convention to compare with (default: torch for a spec in "
            "PyTorch's names, else keras; both count weight MACs, bias adds excluded).",
            show_default=False,
        ),
    ] = None,
    batch: Annotated[
        int, typer.Option("--batch", min=1, help="Count a batch of this many samples.")
    ] = 1,
    fmt: FormatOpt = Format.text,
    color: ColorOpt = None,
    width: WidthOpt = None,
) -> None:
    """Where and why TOOL's count of SPEC differs from convcalc's: the totals, what the tool
    adds or leaves out (bias adds, BatchNorm, activations, pooling, the output grid of a
    transposed convolution, FLOPs = 2 x MACs), and every layer that differs with the terms the
    tool adds up. The tools' rules are those of the versions named, checked against what they
    print (tests/golden/conventions.json).

    Examples:

      convcalc explain-count resnet18 --vs thop

      convcalc explain-count docs/examples/tool_conv_transpose.yaml --vs ptflops

      convcalc explain-count vgg16_torchvision --vs torchinfo --format json
    """
    from convcalc.analysis import analyze, load_spec
    from convcalc.analysis.conventions import convention, default_for
    from convcalc.analysis.conventions.explain import explain
    from convcalc.render.fit import set_width

    set_width(width)
    if fmt not in (Format.text, Format.json):
        raise UsageError(f"explain-count prints text or json, not {fmt.value}")
    report = analyze(load_spec(spec))
    base = convention(against.value if against else default_for(report))
    e = explain(report, base, convention(vs.value), batch)
    if fmt is Format.json:
        from convcalc.render.explain_count import explanation_dict
        from convcalc.render.machine import dumps

        emit(dumps(explanation_dict(report, e)))
        return
    from convcalc.render.explain_count import explanation_text

    emit(explanation_text(report, e, use_color(color)))
