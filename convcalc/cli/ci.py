"""The commands for reviews and CI: ``compare``, ``check``, ``diff`` and ``schema``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from convcalc.cli.boundary import app
from convcalc.cli.commands import emit
from convcalc.cli.limits import with_limits
from convcalc.cli.options import ColorOpt, Format, FormatOpt, use_color
from convcalc.cli.view_options import WidthOpt
from convcalc.errors import UsageError


@app.command()
@with_limits
def compare(
    spec: Annotated[
        Path | None,
        typer.Argument(
            help="Rewrite every eligible convolution of this spec (architecture mode).",
            show_default=False,
            metavar="SPEC",
        ),
    ] = None,
    input_shape: Annotated[
        str | None,
        typer.Option(
            "--input",
            "-i",
            help="One layer: HxWxC (one sample; CxHxW with --channels-first) or "
            "NxCxHxW (a PyTorch batch: channels-first, MACs for all N).",
            show_default=False,
        ),
    ] = None,
    kernel: Annotated[
        str | None,
        typer.Option("--kernel", "-k", help="Kernel size: K or KhxKw.", show_default=False),
    ] = None,
    filters: Annotated[
        int | None, typer.Option("--filters", "-n", help="Output channels N.", show_default=False)
    ] = None,
    padding: Annotated[
        str | None,
        typer.Option(
            help="valid, same, or an integer p (zeros on every side). [default: valid]",
            show_default=False,
        ),
    ] = None,
    strides: Annotated[
        str | None, typer.Option(help="S or SHxSW. [default: 1]", show_default=False)
    ] = None,
    dilation: Annotated[
        str | None, typer.Option(help="D or DHxDW. [default: 1]", show_default=False)
    ] = None,
    channels_first: Annotated[
        bool,
        typer.Option(
            "--channels-first", help="Read --input as CxHxW and show shapes channels-first."
        ),
    ] = False,
    bias: Annotated[
        bool | None,
        typer.Option(
            "--bias/--no-bias", help="Give every layer a bias. [default: bias]", show_default=False
        ),
    ] = None,
    separable: Annotated[
        bool, typer.Option("--separable", help="Depthwise KxK + pointwise 1x1 (SeparableConv2D).")
    ] = False,
    depth_multiplier: Annotated[
        int, typer.Option(help="Depthwise outputs per input channel, with --separable.")
    ] = 1,
    groups: Annotated[
        str | None,
        typer.Option(
            help="Grouped convolution: G, or a list 2,4,8 for one layer.", show_default=False
        ),
    ] = None,
    bottleneck: Annotated[
        str | None,
        typer.Option(
            help="1x1 reduction first. One layer: to B channels (list allowed); with a SPEC: "
            "RATIO, C_in -> C_in/RATIO.",
            show_default=False,
        ),
    ] = None,
    spatial: Annotated[
        bool,
        typer.Option("--spatial", help="One layer: Kx1 then 1xK (exact only for rank-1 kernels)."),
    ] = False,
    write: Annotated[
        Path | None,
        typer.Option(
            help="With a SPEC: save the rewritten spec here.",
            show_default=False,
            metavar="NEW.yaml",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --write replace a file.")] = False,
    run: Annotated[
        bool,
        typer.Option(
            "--run",
            help="Also time each variant (or the spec before and after) with the NumPy runtime.",
        ),
    ] = False,
    fmt: FormatOpt = Format.text,
    color: ColorOpt = None,
    width: WidthOpt = None,
) -> None:
    """What separable, grouped, bottleneck and spatially separable convolutions save.

    One layer (no SPEC): the standard convolution and each variant asked for, counted by the
    engine, with the MAC ratio and its closed form. With a SPEC: exactly one of --separable,
    --groups G, --bottleneck RATIO rewrites every eligible convolution; per-layer and total
    params and MACs before and after.

    Examples:

      convcalc compare --input 12x12x3 --kernel 5 --filters 256 --separable

      convcalc compare -i 28x28x192 -k 5 -n 32 --padding same --bottleneck 16 --groups 2,4

      convcalc compare specs/vgg16.yaml --separable --write vgg16_separable.yaml
    """
    from convcalc.analysis import load_spec
    from convcalc.atomic import check_destination
    from convcalc.render.compare import render_comparison
    from convcalc.render.fit import set_width
    from convcalc.tools import compare as cc

    set_width(width)

    if spec is not None and write is not None:  # before the work: a folder, a device, read-only
        check_destination(write, True, "--write")  # (an existing file: refused by write_spec)

    if spec is None:
        cc.reject_flags("without a SPEC", {"--write": write, "--force": force})
        result: Any = cc.compare_layer(
            cc.layer_request(
                input_shape or "",
                kernel or "",
                filters,
                padding=padding,
                strides=strides,
                dilation=dilation,
                channels_first=channels_first,
                use_bias=bias is not False,
                separable=separable,
                depth_multiplier=depth_multiplier,
                groups=groups,
                bottleneck=bottleneck,
                spatial=spatial,
            )
        )
    else:
        cc.reject_flags(
            "with a SPEC (the spec gives the layers)",
            {
                "--input": input_shape,
                "--kernel": kernel,
                "--filters": filters,
                "--padding": padding,
                "--strides": strides,
                "--dilation": dilation,
                "--channels-first": channels_first,
                "--bias/--no-bias": bias is not None,
                "--spatial": spatial,
            },
        )
        loaded = load_spec(spec)
        result = cc.compare_spec(
            loaded, cc.arch_transform(separable, groups, bottleneck, depth_multiplier)
        )
    if run:
        from convcalc.tools.compare import timing

        result = timing.timed(result) if spec is None else timing.timed_spec(result, loaded)
    if spec is not None and write is not None:
        cc.write_spec(result, write, force)
        typer.echo(f"wrote {write}", err=True)
    emit(render_comparison(result, fmt.value, color=use_color(color) and fmt is Format.text))


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    markdown = "markdown"


@app.command()
@with_limits
def check(
    specs: Annotated[
        list[str],
        typer.Argument(
            help="Spec files or globs, e.g. specs/*.yaml (quoted globs are expanded too, so "
            "'specs/**/*.yaml' works on every shell).",
            show_default=False,
            metavar="SPEC",
        ),
    ],
    fmt: Annotated[
        CheckFormat,
        typer.Option(
            "--format",
            "-f",
            help="text for people; json; junit (XML for CI dashboards); github "
            "(annotations on the lines of a pull request); markdown (a PR comment).",
        ),
    ] = CheckFormat.text,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Write the computed values into each spec's expect: block (comments "
            "and key order kept), print the diff, then check again. Budgets are never changed; a "
            "spec that does not parse is never touched.",
        ),
    ] = False,
) -> None:
    """Check the expect: values and budget: limits of every SPEC, for CI.

    Every spec is checked (a failure does not stop the others); each failed expectation or
    budget is shown with its file:line, the expected value or bound, the computed value and
    the difference. Exit status: 0 all hold, 1 an expectation or budget fails, 2 a spec is
    invalid (its errors go to standard error).

    Examples:

      convcalc check specs/*.yaml

      convcalc check 'specs/**/*.yaml' --format github

      convcalc check specs/vgg16.yaml --update
    """
    from convcalc.render.check import RENDERERS
    from convcalc.tools.check import check_files, exit_code

    if update and fmt is not CheckFormat.text:
        raise UsageError(f"--update prints a diff; drop --format {fmt.value}")
    results = check_files(specs)
    if update:
        from convcalc import importers

        imported = [r.file for r in results if importers.handles(r.file)]
        if imported:
            raise UsageError(
                f"--update edits YAML specs; {imported[0]} is a framework's file",
                hint=f"convcalc import {imported[0]} -o spec.yaml writes it as a YAML spec "
                "with an expect: block",
            )
    if update:
        from convcalc.tools.update import update_and_recheck

        results, diffs = update_and_recheck(results)
        for diff in diffs:
            emit(diff)
    from convcalc.analysis.gridding import gridding_warnings

    for r in results:
        if r.error is not None:
            typer.echo(r.error.render(), err=True)
        elif r.spec is not None and r.report is not None:
            for warning in gridding_warnings(r.spec, r.report):
                typer.echo(f"{r.file}: warning: {warning}", err=True)
    emit(RENDERERS[fmt.value](results))
    raise typer.Exit(exit_code(results))


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
@with_limits
def diff(
    old: Annotated[
        Path,
        typer.Argument(
            help="The old spec (with --git: the spec to compare with its committed version).",
            show_default=False,
            metavar="OLD",
        ),
    ],
    new: Annotated[
        Path | None, typer.Argument(help="The new spec.", show_default=False, metavar="NEW")
    ] = None,
    git: Annotated[
        str | None,
        typer.Option(
            "--git",
            metavar="REV",
            help="Compare OLD (as it is now) with its version at git "
            "revision REV, e.g. HEAD, main or origin/main.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", help="text (a table); json; markdown (a PR comment)."),
    ] = DiffFormat.text,
    show_all: Annotated[bool, typer.Option("--all", help="List unchanged layers too.")] = False,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code", help="Exit with 1 when the specs differ (as git diff --exit-code)."
        ),
    ] = False,
    color: ColorOpt = None,
) -> None:
    """Per-layer and total changes in output shape, params and MACs between two specs.

    Layers are matched by name; added and removed layers are listed. Only layers that change
    are shown unless --all is given.

    Examples:

      convcalc diff specs/vgg16.yaml my_vgg16.yaml

      convcalc diff specs/vgg16.yaml --git HEAD~1 --format markdown
    """
    from convcalc.analysis import analyze, load_spec
    from convcalc.render import diff as render_diff
    from convcalc.tools.diff import diff_reports, spec_at_revision

    if git is not None:
        if new is not None:
            raise UsageError(
                "give one spec with --git REV (it is compared with its version at "
                "REV), or two specs without --git"
            )
        before, after = analyze(spec_at_revision(old, git)), analyze(load_spec(old))
    elif new is None:
        raise UsageError("give two specs (OLD NEW), or one spec and --git REV")
    else:
        before, after = analyze(load_spec(old)), analyze(load_spec(new))
    result = diff_reports(before, after)
    emit(render_diff.RENDERERS[fmt.value](result, show_all, color=use_color(color)))
    if exit_code and result.differs:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the spec format (for editors and validators).

    Generated from the layer registry, so it always matches this version of convcalc. Save it
    and point your editor at it with a modeline on the first line of a spec:

      # yaml-language-server: $schema=convcalc.schema.json

    Examples:

      convcalc schema > convcalc.schema.json
    """
    from convcalc.tools.schema import render_schema

    emit(render_schema())
