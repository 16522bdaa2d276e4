"""``python -m convcalc`` and the ``convcalc`` command (its console script's entry point)."""

from __future__ import annotations

import atexit
import gc
import os
import sys


def main() -> None:
    """Import the command line with the cycle collector paused, run it, and leave.

    Start-up creates tens of thousands of objects that live as long as the process (modules,
    functions, classes, typer's and rich's tables) and no garbage: collecting while they are
    made only scans them again. Once imported they are frozen, so that later collections
    skip them too.
    """
    gc.disable()
    try:
        from convcalc.cli import main as run
    finally:
        gc.freeze()
        gc.enable()
    try:
        run()
    except SystemExit as exc:
        leave(exc.code)
    leave(None)


def leave(code: str | int | None) -> None:
    """Exit with ``code``, skipping the interpreter's teardown (freeing every module, class
    and function one by one: about a tenth of a short command) when nothing is left for it to
    do: an exit status, no other thread, no exit handler, and the output flushed. Otherwise
    (or when flushing fails) exit the usual way, which reports it as it always did."""
    threading = sys.modules.get("threading")
    handlers = getattr(atexit, "_ncallbacks", None)
    if (
        (code is None or isinstance(code, int))
        and (threading is None or threading.active_count() == 1)
        and handlers is not None
        and handlers() == 0
    ):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError, AttributeError):  # AttributeError: no stdout at all
            pass
        else:
            os._exit(code or 0)
    sys.exit(code)


if __name__ == "__main__":
    main()
