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
) -> None:
    """Per-layer output shape, parameters and MACs of SPEC, with totals.

    Shapes are per sample (the batch shows as None, as in Keras); MACs count one weight
    multiply-accumulate each, bias adds excluded (FLOPs = 2 x MACs).

    Examples:

      convcalc summary specs/vgg16.yaml

      convcalc summary specs/vgg16.yaml --style keras

      convcalc summary specs/inception_3a.yaml --format json
    """
    from convcalc.engine import analyze
    from convcalc.errors import UsageError
    from convcalc.render import render
    from convcalc.spec.loader import load_spec

    if style is Style.keras and fmt is not Format.text:
        raise UsageError("error: --style keras is a text layout; drop --format "
                         f"{fmt.value} or --style keras")
    report = analyze(load_spec(spec))
    if fmt is Format.text:
        name = "keras" if style is Style.keras else "table"
        use_color = sys.stdout.isatty() if color is None else color
        _emit(render(report, name, color=use_color))
    else:
        _emit(render(report, fmt.value))


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
