"""The ``convcalc`` command line: thin commands over the library (load -> analyze -> render).

:mod:`~convcalc.cli.boundary` holds the typer app and the one error boundary,
:mod:`~convcalc.cli.options` the options several commands share (declared once),
:mod:`~convcalc.cli.commands`, :mod:`~convcalc.cli.ci` and :mod:`~convcalc.cli.porting` the
commands, and
:mod:`~convcalc.cli.run` the glue of ``--run``.

``convcalc.cli.app`` is the app with every command; a plain ``convcalc COMMAND ...`` (see
:func:`main`) imports only the module of that command.
"""

from __future__ import annotations

import copy
import gc
import importlib
import os
import sys
from typing import TYPE_CHECKING, Any

from typer.main import get_command_name

from convcalc.cli.boundary import exit_code_for

if TYPE_CHECKING:
    from typer import Typer

    app: Typer

__all__ = ["COMMANDS", "app", "main"]

# The module that registers each command, in the order of registration (``--help`` lists them
# so); tests/cli/test_summary.py checks it against what the modules register.
COMMANDS = {
    "summary": "commands",
    "run": "commands",
    "layers": "commands",
    "compare": "ci",
    "check": "ci",
    "diff": "ci",
    "schema": "ci",
    "explain-count": "counting",
    "explain": "explain",
    "conv": "learn",
    "pool": "learn",
    "transpose": "learn",
    "matrix": "learn",
    "kernel": "learn",
    "fit-kernel": "learn",
    "import": "porting",
    "export": "porting",
    "zoo": "zoo",
}


def load_commands(modules: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))) -> Typer:
    """The app, with the commands of ``modules`` (default: every command) registered."""
    for module in modules:
        importlib.import_module(f"{__name__}.{module}")
    from convcalc.cli.boundary import app as the_app

    return the_app


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole app, on first use
        globals()["app"] = load_commands()
        return globals()["app"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_name(info: Any) -> str:
    return info.name or get_command_name(info.callback.__name__)


def main() -> None:
    """Console-script entry point.

    Typer turns every command's signature into a click command before it dispatches (about 3 ms
    a command); for a plain ``convcalc COMMAND ...`` only that command's module is imported and
    only that command is built, so ``convcalc summary`` does not pay for the other commands.
    Anything else (no command, ``--help``, ``--version``, shell completion) gets the whole app.
    """
    # convcalc builds large acyclic structures (a 100,000-layer spec is millions of objects,
    # and leaves 29 objects in reference cycles): the collector would only scan them (with
    # the default thresholds again and again, 40% of the time; with any, once: 7%). A command
    # is one short process, so its few cycles are left to the exit; the collector is on again
    # after a command run in-process (the tests)
    enabled = gc.isenabled()
    gc.disable()
    try:
        _dispatch()
    finally:
        if enabled:
            gc.enable()


def _dispatch() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    completing = any(key.startswith("_CONVCALC_COMPLETE") for key in os.environ)
    try:
        if name in COMMANDS and not completing:
            some = load_commands((COMMANDS[name],))
            single = copy.copy(some)
            single.registered_commands = [
                c for c in some.registered_commands if _command_name(c) == name
            ]
            single(prog_name="convcalc")
        else:
            load_commands()(prog_name="convcalc")
    except (OSError, KeyboardInterrupt) as exc:  # outside a command: --help into a full disk
        sys.exit(exit_code_for(exc))
