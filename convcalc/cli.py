"""The ``convcalc`` command line: thin commands over the library (load -> analyze -> render).

This module is the one place where a :class:`~convcalc.errors.ConvcalcError` becomes a message
on stderr and an exit code (2 for an invalid spec or argument): see :class:`_Group`.
Heavy modules (numpy, rich) are imported inside the commands that need them, so that
``convcalc summary`` starts fast.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from convcalc import __version__
from convcalc.errors import ConvcalcError


class _Group(TyperGroup):
    """Turns every ConvcalcError raised by any command into ``error: ...`` and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ConvcalcError as exc:
            typer.echo(exc.render(), err=True)
            raise typer.Exit(exc.exit_code) from None

    def list_commands(self, ctx: Any) -> list[str]:  # keep the order commands are defined in
        return list(self.commands)


app = typer.Typer(
    cls=_Group,
    name="convcalc",
    help="Shapes, parameters and multiply-accumulates (MACs) of convolutional layer stacks "
         "written in YAML, with PyTorch's and Keras's exact rules and no deep-learning framework.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Style(str, Enum):
    table = "table"
    keras = "keras"


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    csv = "csv"


SpecPath = Annotated[Path, typer.Argument(help="A YAML layer spec, e.g. specs/vgg16.yaml.",
                                          show_default=False, metavar="SPEC")]
FormatOpt = Annotated[Format, typer.Option(
    "--format", "-f", help="text for people; json, markdown or csv for machines and PR comments.")]
ColorOpt = Annotated[Optional[bool], typer.Option(
    "--color/--no-color", help="Colour the table (default: when writing to a terminal).",
    show_default=False)]


class Layout(str, Enum):
    keras = "keras"
    torch = "torch"


# --- the --run options, shared by `summary --run` and `run` ---------------------------------------
SeedOpt = Annotated[int, typer.Option(help="Seed of the random input and weights.")]
InputOpt = Annotated[Optional[Path], typer.Option(
    "--input", help="Input .npy: one sample or a batch, in the spec's data_format (an .npz keyed "
    "by input name for several inputs). Default: seeded N(0, 1).", show_default=False)]
BatchOpt = Annotated[Optional[int], typer.Option(
    min=1, help="Batch size of the random input (default 1).", show_default=False)]
WeightsOpt = Annotated[Optional[Path], typer.Option(
    help="Weights .npz keyed '<layer>/<weight>' (or '<layer>.<weight>'). Default: seeded Keras "
    "initialisers (glorot_uniform kernels, zero biases).", show_default=False)]
LayoutOpt = Annotated[Layout, typer.Option(
    "--weights-layout", help="keras: Keras layouts and names (kernel (k..., C_in, F)); torch: "
    "PyTorch's (weight (F, C_in, k...), running_mean, ...).")]
OutputOpt = Annotated[Optional[Path], typer.Option(
    help="Save every layer's activation (batch first, spec layout) to this .npz.",
    show_default=False)]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the --output file.")]
RepeatOpt = Annotated[Optional[int], typer.Option(
    min=1, help="A warm-up, then N timed passes; times are medians.", show_default=False)]
ThreadsOpt = Annotated[Optional[int], typer.Option(
    min=1, help="BLAS threads (OpenBLAS; default: its own, one per core).",
    show_default=False)]
TrueConvOpt = Annotated[bool, typer.Option(
    "--true-convolution", help="Flip kernels: true convolution instead of the frameworks' "
    "cross-correlation.")]


@dataclass
class _RunArgs:
    seed: int = 0
    input: Optional[Path] = None
    batch: Optional[int] = None
    weights: Optional[Path] = None
    weights_layout: Layout = Layout.keras
    output: Optional[Path] = None
    force: bool = False
    repeat: Optional[int] = None
    threads: Optional[int] = None
    true_convolution: bool = False

    def given(self) -> list[str]:
        """The options set to something other than their default (they need --run)."""
        default = _RunArgs()
        return ["--" + name.replace("_", "-") for name in self.__dataclass_fields__
                if getattr(self, name) != getattr(default, name)]


def _run_and_render(spec_path: Path, args: _RunArgs, fmt: Format, color: Optional[bool]) -> None:
    """load -> analyze -> run -> render, for `summary --run` and `run`."""
    from convcalc.engine import analyze
    from convcalc.errors import UsageError
    from convcalc.runtime import set_threads
    from convcalc.spec.loader import load_spec

    if args.output is not None and args.output.exists() and not args.force:
        raise UsageError(f"error: --output {args.output} exists; pass --force to overwrite it")
    if args.threads is not None and not set_threads(args.threads):
        typer.echo(f"note: --threads {args.threads} not applied: no OpenBLAS found to set",
                   err=True)
    spec = load_spec(spec_path)
    report = analyze(spec)

    from convcalc.render.progress import progress_bar
    from convcalc.render.run import render_run
    from convcalc.runtime.executor import RunOptions, execute, save_activations

    opts = RunOptions(args.batch, args.seed, args.input, args.weights, args.weights_layout.value,
                      args.repeat, args.true_convolution, keep_activations=args.output is not None)
    work = report.totals.macs * (args.batch or 1) * ((args.repeat or 0) + 1)
    with progress_bar(sys.stderr.isatty() and work > 2 * 10**8, f"running {report.name}") as cb:
        result = execute(spec, report, opts, cb)
    if args.output is not None:
        save_activations(result, args.output, args.force)
    if fmt is Format.text:
        _emit(render_run(report, result, "table",
                         color=sys.stdout.isatty() if color is None else color))
    else:
        _emit(render_run(report, result, fmt.value))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"convcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False
          ) -> None:
    """Shapes, parameters and MACs of convolutional layer stacks, from YAML."""


def _emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@app.command()
def summary(
    spec: SpecPath,
    style: Annotated[Style, typer.Option(
        "--style", "-s", help="table: a table with a MACs column and totals; keras: the classic "
        "Keras 2 model.summary() text, character for character.")] = Style.table,
    fmt: FormatOpt = Format.text,
    color: ColorOpt = None,
    run: Annotated[bool, typer.Option(
        "--run", help="Also execute SPEC with NumPy kernels (see `convcalc run --help`): "
        "executed shape, time and output statistics per layer.")] = False,
    seed: SeedOpt = 0, input: InputOpt = None, batch: BatchOpt = None,
    weights: WeightsOpt = None, weights_layout: LayoutOpt = Layout.keras,
    output: OutputOpt = None, force: ForceOpt = False, repeat: RepeatOpt = None,
    threads: ThreadsOpt = None, true_convolution: TrueConvOpt = False,
) -> None:
    """Per-layer output shape, parameters and MACs of SPEC, with totals.

    Shapes are per sample (the batch shows as None, as in Keras); MACs count one weight
    multiply-accumulate each, bias adds excluded (FLOPs = 2 x MACs).

    Examples:

      convcalc summary specs/vgg16.yaml

      convcalc summary specs/vgg16.yaml --style keras

      convcalc summary specs/inception_3a.yaml --format json

      convcalc summary specs/vgg16.yaml --run --repeat 5
    """
    from convcalc.engine import analyze
    from convcalc.errors import UsageError
    from convcalc.render import render
    from convcalc.spec.loader import load_spec

    if style is Style.keras and fmt is not Format.text:
        raise UsageError("error: --style keras is a text layout; drop --format "
                         f"{fmt.value} or --style keras")
    args = _RunArgs(seed, input, batch, weights, weights_layout, output, force, repeat, threads,
                    true_convolution)
    if run:
        if style is Style.keras:
            raise UsageError("error: --style keras prints Keras's summary exactly and has no "
                             "room for the --run columns; drop --style keras")
        _run_and_render(spec, args, fmt, color)
        return
    if args.given():
        given = args.given()
        raise UsageError(f"error: {', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} "
                         f"only with --run")
    report = analyze(load_spec(spec))
    if fmt is Format.text:
        name = "keras" if style is Style.keras else "table"
        use_color = sys.stdout.isatty() if color is None else color
        _emit(render(report, name, color=use_color))
    else:
        _emit(render(report, fmt.value))


@app.command("run")
def run_command(
    spec: SpecPath,
    fmt: FormatOpt = Format.text,
    color: ColorOpt = None,
    seed: SeedOpt = 0, input: InputOpt = None, batch: BatchOpt = None,
    weights: WeightsOpt = None, weights_layout: LayoutOpt = Layout.keras,
    output: OutputOpt = None, force: ForceOpt = False, repeat: RepeatOpt = None,
    threads: ThreadsOpt = None, true_convolution: TrueConvOpt = False,
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
    _run_and_render(spec, _RunArgs(seed, input, batch, weights, weights_layout, output, force,
                                   repeat, threads, true_convolution), fmt, color)


@app.command()
def layers(
    kind: Annotated[Optional[str], typer.Argument(
        help="Show one layer kind in full (Keras or PyTorch name), e.g. Conv2D or MaxPool2d.",
        show_default=False, metavar="[KIND]")] = None,
) -> None:
    """List every supported layer kind with its arguments and formulas.

    Examples:

      convcalc layers

      convcalc layers Conv2DTranspose
    """
    from convcalc.render.layers import render_layer_kind, render_layer_list

    _emit(render_layer_kind(kind) if kind else render_layer_list())


def main() -> None:
    """Console-script entry point."""
    app()
