"""The ``summary``, ``run`` and ``layers`` commands: load -> analyze (-> run) ->
render, nothing else. Heavy modules (numpy, rich) are imported inside the commands that need
them, so that ``convcalc summary`` starts fast."""

from __future__ import annotations

import sys
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer

from convcalc.cli.boundary import app
from convcalc.cli.limits import with_limits
from convcalc.cli.options import (
    ColorOpt,
    Format,
    FormatOpt,
    SpecPath,
    given_flags,
    use_color,
    with_run_options,
)
from convcalc.cli.view_options import (
    ChartOpt,
    ColumnsOpt,
    ConventionOpt,
    Dtype,
    DtypeOpt,
    GroupOpt,
    MemoryOpt,
    OperatorsOpt,
    WidthOpt,
)
from convcalc.counting import macs_note
from convcalc.errors import UsageError

if TYPE_CHECKING:
    from convcalc.report import Report
    from convcalc.runtime.options import RunOptions


def emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


class Style(str, Enum):
    """The summary layouts: convcalc's table, and Keras's model.summary() of each version."""

    table = "table"
    keras = "keras"  # standalone Keras 2.2 (the classic text, seed 000)
    keras_2_6 = "keras-2.6"
    keras_2_7 = "keras-2.7"
    keras_2_8 = "keras-2.8"
    keras_2_9 = "keras-2.9"
    keras_2_10 = "keras-2.10"
    keras_2_11 = "keras-2.11"
    keras_2_12 = "keras-2.12"
    keras_2_13 = "keras-2.13"
    keras_2_14 = "keras-2.14"
    keras_2_15 = "keras-2.15"
    keras_3 = "keras-3"

    @property
    def is_keras(self) -> bool:
        return self is not Style.table


def render_keras_style(report: Report, style: Style) -> str:
    """The Keras layout of ``style``: each version prints as the one whose print_summary it
    shares (2.7-2.11 as 2.12, 2.13-2.14 as 2.15)."""
    if style is Style.keras_3:
        from convcalc.render.keras3 import render_keras3

        return render_keras3(report)
    minor = 2 if style is Style.keras else int(style.value.rsplit(".", 1)[1])
    if minor <= 6:
        from convcalc.render.keras import render_keras

        return render_keras(report, f"2.{minor}")
    from convcalc.render.keras2 import render_keras2

    return render_keras2(report, "2.12" if minor <= 12 else "2.15")


def _run(spec: SpecPath, opts: RunOptions, fmt: Format, color: bool | None) -> None:
    from convcalc.cli.run import run_and_render

    emit(run_and_render(spec, opts, "table" if fmt is Format.text else fmt.value, use_color(color)))


def _check_view_flags(
    style: Style, fmt: Format, run: bool, flags: tuple[tuple[str, bool], ...]
) -> None:
    """The options that shape the table apply to the table only (--format json also takes
    --memory, --convention and --dtype: it adds their figures)."""
    json_too = ("--memory", "--convention", "--dtype")
    given = [f for f, on in flags if on and not (fmt is Format.json and f in json_too)]
    on = {f for f, v in flags if v}
    if fmt is Format.json and "--dtype" in on and not on & {"--memory", "--convention"}:
        raise UsageError(
            "--dtype sizes the memory figures in JSON (the layers' counts are element counts)",
            hint="add --memory, or drop --dtype",
        )
    if given and (style.is_keras or fmt is not Format.text or run):
        drop = (
            f"--style {style.value}"
            if style.is_keras
            else "--run"
            if run
            else f"--format {fmt.value}"
        )
        raise UsageError(
            f"{', '.join(given)} shape{'s' if len(given) == 1 else ''} the table; drop {drop}"
        )


def _machine(
    report: Report,
    fmt: Format,
    batch: int | None,
    convention_name: str | None,
    dtype: str,
    memory: bool,
) -> None:
    """Print the summary in a machine format; JSON with the memory and convention figures
    asked."""
    from convcalc.render.machine import RENDERERS, batch_json, write_json

    if fmt is Format.json and batch is None and not memory and convention_name is None:
        write_json(report, sys.stdout.write)  # piece by piece: never the whole text at once
        sys.stdout.flush()
        return
    text = RENDERERS[fmt.value](report) if batch is None else batch_json(report, batch)
    if memory or convention_name is not None:
        from convcalc.render.sections import json_sections

        text = json_sections(report, text, batch, convention_name, dtype, memory)
    emit(text)


SUMMARY_HELP = f"""Per-layer output shape, parameters and MACs of SPEC, with totals.

    Shapes are per sample (the batch shows as None, as in Keras). {macs_note()}

    Examples:

      convcalc summary specs/vgg16.yaml

      convcalc summary specs/vgg16.yaml --style keras

      convcalc summary model.json --style keras-3      (a Keras model.to_json(), or .keras)

      convcalc summary specs/inception_3a.yaml --format json

      convcalc summary specs/vgg16.yaml --run --repeat 5

      convcalc summary resnet50 --depth 2     (a zoo spec, blocks folded)

      convcalc summary resnet18 --columns input,output,kernel,params,macs,rf --chart

      convcalc summary resnet18 --memory --operators --dtype float16 --batch 8

      convcalc summary resnet18 --convention torchinfo    (as torchinfo 1.8 counts and prints)
    """


@app.command(help=SUMMARY_HELP)
@with_limits
@with_run_options
def summary(
    spec: SpecPath,
    style: Annotated[
        Style,
        typer.Option(
            "--style",
            "-s",
            help="table: a table with a MACs column and totals. keras: the classic Keras 2 "
            "model.summary() text (standalone Keras 2.2); keras-2.6 ... keras-2.15, keras-3: "
            "the text that version's model.summary() prints, character for character (2.7-2.12 "
            "print alike, as do 2.13-2.15; keras-3 as on a wide terminal).",
        ),
    ] = Style.table,
    fmt: FormatOpt = Format.text,
    color: ColorOpt = None,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth",
            "-d",
            min=1,
            help="Fold blocks: a block used deeper than this many levels is one row with its "
            "totals (1: one row per entry of layers:). Default: every layer, flat.",
            show_default=False,
        ),
    ] = None,
    run: Annotated[
        bool,
        typer.Option(
            "--run",
            help="Also execute SPEC with NumPy kernels (see `convcalc run --help`): "
            "executed shape, time and output statistics per layer.",
        ),
    ] = False,
    columns: ColumnsOpt = None,
    chart: ChartOpt = False,
    convention_name: ConventionOpt = None,
    dtype: DtypeOpt = Dtype.float32,
    memory: MemoryOpt = False,
    operators: OperatorsOpt = False,
    group_by: GroupOpt = None,
    width: WidthOpt = None,
    *,
    opts: RunOptions,
) -> None:
    from convcalc.analysis import analyze, load_spec
    from convcalc.render.fit import set_width

    set_width(width)
    _check_view_flags(
        style,
        fmt,
        run,
        (
            ("--columns", columns is not None),
            ("--chart", chart),
            ("--convention", convention_name is not None),
            ("--dtype", dtype is not Dtype.float32),
            ("--memory", memory),
            ("--operators", operators),
            ("--group-by", group_by is not None),
        ),
    )

    if style.is_keras and fmt is not Format.text:
        raise UsageError(
            f"--style {style.value} is a text layout; drop --format {fmt.value} or "
            f"--style {style.value}"
        )
    if depth is not None and (style.is_keras or fmt is not Format.text or run):
        raise UsageError(
            "--depth folds the rows of the table; drop "
            + (
                f"--style {style.value}"
                if style.is_keras
                else "--run"
                if run
                else f"--format {fmt.value}"
            )
        )
    if run:
        if style.is_keras:
            raise UsageError(
                f"--style {style.value} prints Keras's summary exactly and has no room for "
                f"the --run columns; drop --style {style.value}"
            )
        _run(spec, opts, fmt, color)
        return
    given = [flag for flag in given_flags(opts) if flag != "--batch"]
    if given:
        raise UsageError(
            f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} only with --run"
        )
    batch = opts.batch
    if batch is not None and (style.is_keras or fmt in (Format.markdown, Format.csv)):
        raise UsageError(
            "--batch applies to the table and --format json (Keras's summary prints None for "
            "the batch)"
        )
    loaded = load_spec(spec)
    # the receptive fields are shown only by the table's rf column
    report = analyze(loaded, fields=columns is not None and fmt is Format.text)
    from convcalc.analysis.gridding import gridding_warnings

    warnings = [f"warning: {w}" for w in gridding_warnings(loaded, report)]
    if fmt is not Format.text:
        name = convention_name.value if convention_name else None
        _machine(report, fmt, batch, name, dtype.value, memory)
        for w in warnings:
            sys.stderr.write(w + "\n")
    elif style.is_keras:
        emit(render_keras_style(report, style))
        if report.incomplete:  # Keras's text has no room for it: say it beside
            from convcalc.render.table import incomplete_note

            warnings.append("note: " + incomplete_note(report))
        for w in warnings:
            sys.stderr.write(w + "\n")
    else:
        from convcalc.render.table import render_table, table_options

        extra = table_options(
            report,
            batch,
            columns,
            convention_name.value if convention_name else None,
            dtype.value,
            memory,
            operators,
        )
        emit(
            render_table(
                report,
                color=use_color(color),
                batch=batch,
                depth=depth,
                chart=chart,
                by=group_by.value if group_by else None,
                **extra,
            )
        )
        emit("".join(w + "\n" for w in warnings))


@app.command("run")
@with_limits
@with_run_options
def run_command(
    spec: SpecPath, fmt: FormatOpt = Format.text, color: ColorOpt = None, *, opts: RunOptions
) -> None:
    """Execute SPEC with NumPy kernels (float32) and show each layer's executed shape, time and
    output statistics beside the summary; the same as `convcalc summary SPEC --run`.

    Every executed shape is checked against the analytic one (a difference is an error naming
    the layer, exit code 3). Convolution is cross-correlation, as in PyTorch and Keras.

    Examples:

      convcalc run specs/vgg16.yaml --repeat 5 --threads 2

      convcalc run model.yaml --input x.npy --weights w.npz --weights-layout torch

      convcalc run model.yaml --output acts.npz --format json
    """
    _run(spec, opts, fmt, color)


@app.command()
def layers(
    kind: Annotated[
        str | None,
        typer.Argument(
            help="Show one layer kind in full (Keras or PyTorch name), e.g. Conv2D or MaxPool2d.",
            show_default=False,
            metavar="[KIND]",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Every kind in full: formulas and all arguments.")
    ] = False,
) -> None:
    """List every supported layer kind with its arguments and formulas.

    Examples:

      convcalc layers

      convcalc layers Conv2DTranspose

      convcalc layers --full
    """
    from convcalc.render.layers import render_all_kinds, render_layer_kind, render_layer_list

    emit(render_layer_kind(kind) if kind else render_all_kinds() if full else render_layer_list())
