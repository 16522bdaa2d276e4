"""The ``convcalc`` command line: thin commands over the library (load -> analyze -> render).

:mod:`~convcalc.cli.app` holds the typer app and the one error boundary,
:mod:`~convcalc.cli.options` the options several commands share (declared once),
:mod:`~convcalc.cli.commands`, :mod:`~convcalc.cli.ci` and :mod:`~convcalc.cli.porting` the
commands, and
:mod:`~convcalc.cli.run` the glue of ``--run``.
"""

from __future__ import annotations

import copy
import gc
import os
import sys
from typing import Any

from typer.main import get_command_name

from convcalc.cli import ci, commands, explain, learn, porting, zoo  # noqa: F401  (registers the commands, in order)
from convcalc.cli.app import app, exit_code_for

__all__ = ["app", "main"]


def _command_name(info: Any) -> str:
    return info.name or get_command_name(info.callback.__name__)


def main() -> None:
    """Console-script entry point.

    Typer turns every command's signature into a click command before it dispatches (about 3 ms
    a command); for a plain ``convcalc COMMAND ...`` only that command is built, so
    ``convcalc summary`` does not pay for the other commands' options. Anything else (no
    command, ``--help``, ``--version``, shell completion) gets the whole app.
    """
    # convcalc builds large acyclic structures (a 100,000-layer spec is millions of objects):
    # the default thresholds make the cycle collector rescan them ever again (40% of the time)
    gc.set_threshold(100_000, 50, 100)
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    completing = any(key.startswith("_CONVCALC_COMPLETE") for key in os.environ)
    wanted = [c for c in app.registered_commands if _command_name(c) == name]
    try:
        if wanted and not completing:
            single = copy.copy(app)
            single.registered_commands = wanted
            single(prog_name="convcalc")
        else:
            app(prog_name="convcalc")
    except (OSError, KeyboardInterrupt) as exc:  # outside a command: --help into a full disk
        sys.exit(exit_code_for(exc))
