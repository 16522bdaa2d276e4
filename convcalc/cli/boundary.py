"""The typer application and the one place where a failure becomes a message on stderr and
an exit code: whatever happens, a command ends with ``error: ...`` and one of the documented
exit codes, never a traceback.

    0  success             1  an expectation or budget failed (check), specs differ (diff)
    2  invalid input       3  a bug in convcalc (please report it)
    74 the output could not be written (a full disk, /dev/full)
    130 interrupted (Ctrl-C)   141 the output was closed (``| head``)
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from convcalc import __version__
from convcalc.cli.coercion import quicken
from convcalc.errors import ConvcalcError, error_text, printable

EXIT_BUG, EXIT_IO, EXIT_INTERRUPTED, EXIT_PIPE = 3, 74, 130, 141
_PASS = (typer.Exit, typer.Abort)  # the CLI framework's own ways out


def say(text: str) -> None:
    """Write a message on stderr, if stderr can still be written."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit cannot fail a second time."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):  # in-process tests: no file descriptor
        pass


def exit_code_for(exc: BaseException) -> int:
    """Report ``exc`` on stderr (unless it is the CLI's own exit) and return the exit code."""
    if isinstance(exc, ConvcalcError):
        say(exc.render())
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        say(error_text("interrupted; files being written were left as they were"))
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
        _silence_stdout()
        return EXIT_PIPE
    if isinstance(exc, OSError):
        _silence_stdout()
        where = f" ({printable(str(exc.filename))})" if exc.filename else ""
        say(error_text(f"cannot write the output{where}: {exc.strerror or exc}"))
        return EXIT_IO
    if isinstance(exc, MemoryError):
        say(error_text("out of memory", "the input is too large for this machine"))
        return 2
    if isinstance(exc, RecursionError):
        say(error_text("the input nests too deeply"))
        return 2
    if os.environ.get("CONVCALC_DEBUG"):
        raise exc
    say(
        error_text(
            f"convcalc failed: {type(exc).__name__}: {printable(str(exc))}",
            "this is a bug in convcalc; please report it with the command and its input "
            "(CONVCALC_DEBUG=1 shows the traceback)",
        )
    )
    return EXIT_BUG


class ErrorBoundary(TyperGroup):
    """Turns every failure of any command into ``error: ...`` and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BaseException as exc:
            if isinstance(exc, (SystemExit, GeneratorExit, *_PASS)) or _is_click(exc):
                raise
            raise typer.Exit(exit_code_for(exc)) from None

    def list_commands(self, ctx: Any) -> list[str]:  # keep the order commands are defined in
        return list(self.commands)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        quicken(self, ctx)  # --help, --version and typer's completion options
        return super().parse_args(ctx, args)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            quicken(command, ctx)  # its option values converted without pydantic where certain
        return command


def _is_click(exc: BaseException) -> bool:
    """The CLI framework's own errors (a usage error: exit 2, with its message)."""
    return type(exc).__module__.startswith(("click", "typer"))


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
