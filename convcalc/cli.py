"""The ``convcalc`` command line: thin commands over the library (load -> analyze -> render).

This module is the one place where a :class:`~convcalc.errors.ConvcalcError` becomes a message
on stderr and an exit code (2 for an invalid spec or argument): see :class:`_Group`.
Heavy modules (numpy, rich) are imported inside the commands that need them, so that
``convcalc summary`` starts fast.
"""

from __future__ import annotations

import sys
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


def _run(spec: Path, args: Any, fmt: Format, color: Optional[bool]) -> None:
    from convcalc.runtime.command import run_and_render

    use_color = sys.stdout.isatty() if color is None else color
    _emit(run_and_render(spec, args, "table" if fmt is Format.text else fmt.value, use_color))


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
    from convcalc.runtime.command import RunArgs

    args = RunArgs(seed, input, batch, weights, weights_layout.value, output, force, repeat,
                   threads, true_convolution)
    if run:
        if style is Style.keras:
            raise UsageError("error: --style keras prints Keras's summary exactly and has no "
                             "room for the --run columns; drop --style keras")
        _run(spec, args, fmt, color)
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
    from convcalc.runtime.command import RunArgs

    _run(spec, RunArgs(seed, input, batch, weights, weights_layout.value, output, force, repeat,
                       threads, true_convolution), fmt, color)


@app.command()
def layers(
    kind: Annotated[Optional[str], typer.Argument(
        help="Show one layer kind in full (Keras or PyTorch name), e.g. Conv2D or MaxPool2d.",
        show_default=False, metavar="[KIND]")] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Every kind in full: formulas and all arguments.")] = False,
) -> None:
    """List every supported layer kind with its arguments and formulas.

    Examples:

      convcalc layers

      convcalc layers Conv2DTranspose

      convcalc layers --full
    """
    from convcalc.layers import REGISTRY
    from convcalc.render.layers import render_layer_kind, render_layer_list

    if kind:
        _emit(render_layer_kind(kind))
    elif full:
        _emit("\n".join(render_layer_kind(k) for k in sorted(REGISTRY)))
    else:
        _emit(render_layer_list())


@app.command()
def compare(
    spec: Annotated[Optional[Path], typer.Argument(
        help="Rewrite every eligible convolution of this spec (architecture mode).",
        show_default=False, metavar="SPEC")] = None,
    input_shape: Annotated[Optional[str], typer.Option(
        "--input", "-i", help="One layer: HxWxC (one sample; CxHxW with --channels-first) or "
        "NxCxHxW (a PyTorch batch: channels-first, MACs for all N).", show_default=False)] = None,
    kernel: Annotated[Optional[str], typer.Option(
        "--kernel", "-k", help="Kernel size: K or KhxKw.", show_default=False)] = None,
    filters: Annotated[Optional[int], typer.Option(
        "--filters", "-n", help="Output channels N.", show_default=False)] = None,
    padding: Annotated[Optional[str], typer.Option(
        help="valid, same, or an integer p (zeros on every side). [default: valid]",
        show_default=False)] = None,
    strides: Annotated[Optional[str], typer.Option(
        help="S or SHxSW. [default: 1]", show_default=False)] = None,
    dilation: Annotated[Optional[str], typer.Option(
        help="D or DHxDW. [default: 1]", show_default=False)] = None,
    channels_first: Annotated[bool, typer.Option(
        "--channels-first", help="Read --input as CxHxW and show shapes channels-first.")] = False,
    bias: Annotated[Optional[bool], typer.Option(
        "--bias/--no-bias", help="Give every layer a bias. [default: bias]",
        show_default=False)] = None,
    separable: Annotated[bool, typer.Option(
        "--separable", help="Depthwise KxK + pointwise 1x1 (SeparableConv2D).")] = False,
    depth_multiplier: Annotated[int, typer.Option(
        help="Depthwise outputs per input channel, with --separable.")] = 1,
    groups: Annotated[Optional[str], typer.Option(
        help="Grouped convolution: G, or a list 2,4,8 for one layer.", show_default=False)] = None,
    bottleneck: Annotated[Optional[str], typer.Option(
        help="1x1 reduction first. One layer: to B channels (list allowed); with a SPEC: "
        "RATIO, C_in -> C_in/RATIO.", show_default=False)] = None,
    spatial: Annotated[bool, typer.Option(
        "--spatial", help="One layer: Kx1 then 1xK (exact only for rank-1 kernels).")] = False,
    write: Annotated[Optional[Path], typer.Option(
        help="With a SPEC: save the rewritten spec here.", show_default=False,
        metavar="NEW.yaml")] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --write replace a file.")] = False,
    run: Annotated[bool, typer.Option(
        "--run", help="Also time each variant with the NumPy runtime (issue 4).")] = False,
    fmt: FormatOpt = Format.text,
    color: ColorOpt = None,
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
    from convcalc import compare as cc
    from convcalc.render.compare import render_comparison

    layer_flags = {"--input": input_shape, "--kernel": kernel, "--filters": filters,
                   "--padding": padding, "--strides": strides, "--dilation": dilation,
                   "--channels-first": channels_first, "--bias/--no-bias": bias is not None,
                   "--spatial": spatial}
    if run:
        cc.require_runtime()
    if spec is None:
        cc.reject_flags("without a SPEC", {"--write": write, "--force": force})
        result: Any = cc.compare_layer(cc.layer_request(
            input_shape or "", kernel or "", filters, padding=padding, strides=strides,
            dilation=dilation, channels_first=channels_first, use_bias=bias is not False,
            separable=separable, depth_multiplier=depth_multiplier, groups=groups,
            bottleneck=bottleneck, spatial=spatial))
        if run:
            result = cc.timed(result)
    else:
        from convcalc.spec.loader import load_spec

        cc.reject_flags("with a SPEC (the spec gives the layers)", layer_flags)
        loaded = load_spec(spec)
        result = cc.compare_spec(loaded, cc.arch_transform(
            separable, groups, bottleneck, depth_multiplier))
        if run:
            result = cc.timed_spec(result, loaded)
        if write is not None:
            cc.write_spec(result, write, force)
            typer.echo(f"wrote {write}", err=True)
    use_color = sys.stdout.isatty() if color is None else color
    _emit(render_comparison(result, fmt.value, color=use_color and fmt is Format.text))


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    markdown = "markdown"


@app.command()
def check(
    specs: Annotated[list[str], typer.Argument(
        help="Spec files or globs, e.g. specs/*.yaml (quoted globs are expanded too, so "
             "'specs/**/*.yaml' works on every shell).", show_default=False, metavar="SPEC")],
    fmt: Annotated[CheckFormat, typer.Option(
        "--format", "-f", help="text for people; json; junit (XML for CI dashboards); github "
        "(annotations on the lines of a pull request); markdown (a PR comment).")
    ] = CheckFormat.text,
    update: Annotated[bool, typer.Option(
        "--update", help="Write the computed values into each spec's expect: block (comments "
        "and key order kept), print the diff, then check again. Budgets are never changed; a "
        "spec that does not parse is never touched.")] = False,
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
    from convcalc.check import check_files, exit_code
    from convcalc.errors import UsageError
    from convcalc.render.check import RENDERERS

    if update and fmt is not CheckFormat.text:
        raise UsageError(f"error: --update prints a diff; drop --format {fmt.value}")
    results = check_files(specs)
    if update:
        from convcalc.check import SpecCheck, check_path
        from convcalc.errors import SpecError
        from convcalc.update import update_file

        for i, r in enumerate(results):
            if r.spec is None or r.report is None:
                continue  # invalid: never touched
            try:
                diff = update_file(r.spec, r.report)
            except SpecError as err:
                results[i] = SpecCheck(r.file, r.name, error=err)
                continue
            if diff:
                _emit(diff)
                results[i] = check_path(r.file)
    for r in results:
        if r.error is not None:
            typer.echo(r.error.render(), err=True)
    _emit(RENDERERS[fmt.value](results))
    raise typer.Exit(exit_code(results))


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(
        help="The old spec (with --git: the spec to compare with its committed version).",
        show_default=False, metavar="OLD")],
    new: Annotated[Optional[Path], typer.Argument(
        help="The new spec.", show_default=False, metavar="NEW")] = None,
    git: Annotated[Optional[str], typer.Option(
        "--git", metavar="REV", help="Compare OLD (as it is now) with its version at git "
        "revision REV, e.g. HEAD, main or origin/main.", show_default=False)] = None,
    fmt: Annotated[DiffFormat, typer.Option(
        "--format", "-f", help="text (a table); json; markdown (a PR comment).")
    ] = DiffFormat.text,
    show_all: Annotated[bool, typer.Option(
        "--all", help="List unchanged layers too.")] = False,
    exit_code: Annotated[bool, typer.Option(
        "--exit-code", help="Exit with 1 when the specs differ (as git diff --exit-code).")
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
    from convcalc.diff import diff_reports, spec_at_revision
    from convcalc.engine import analyze
    from convcalc.errors import UsageError
    from convcalc.render import diff as render_diff
    from convcalc.spec.loader import load_spec

    if git is not None:
        if new is not None:
            raise UsageError("error: give one spec with --git REV (it is compared with its "
                             "version at REV), or two specs without --git")
        before, after = analyze(spec_at_revision(old, git)), analyze(load_spec(old))
    elif new is None:
        raise UsageError("error: give two specs (OLD NEW), or one spec and --git REV")
    else:
        before, after = analyze(load_spec(old)), analyze(load_spec(new))
    result = diff_reports(before, after)
    if fmt is DiffFormat.text:
        use_color = sys.stdout.isatty() if color is None else color
        _emit(render_diff.render_text(result, show_all, color=use_color))
    elif fmt is DiffFormat.json:
        _emit(render_diff.render_json(result, show_all))
    else:
        _emit(render_diff.render_markdown(result, show_all))
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
    from convcalc.schema import render_schema

    _emit(render_schema())


def _command_name(info: Any) -> str:
    from typer.main import get_command_name

    return info.name or get_command_name(info.callback.__name__)


def main() -> None:
    """Console-script entry point.

    Typer turns every command's signature into a click command before it dispatches (about 3 ms
    a command); for a plain ``convcalc COMMAND ...`` only that command is built, so
    ``convcalc summary`` does not pay for the other commands' options. Anything else (no
    command, ``--help``, ``--version``, shell completion) gets the whole app.
    """
    import copy
    import os

    name = sys.argv[1] if len(sys.argv) > 1 else ""
    completing = any(key.startswith("_CONVCALC_COMPLETE") for key in os.environ)
    wanted = [c for c in app.registered_commands if _command_name(c) == name]
    if wanted and not completing:
        single = copy.copy(app)
        single.registered_commands = wanted
        single(prog_name="convcalc")
    else:
        app(prog_name="convcalc")
