"""The typer application and the one place where a :class:`~convcalc.errors.ConvcalcError`
becomes a message on stderr and an exit code (2 for an invalid spec or argument)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from convcalc import __version__
from convcalc.errors import ConvcalcError


class ErrorBoundary(TyperGroup):
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
    cls=ErrorBoundary,
    name="convcalc",
    help="Shapes, parameters and multiply-accumulates (MACs) of convolutional layer stacks "
    "written in YAML, with PyTorch's and Keras's exact rules and no deep-learning framework.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"convcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Shapes, parameters and MACs of convolutional layer stacks, from YAML."""
