"""``python -m convcalc`` and the ``convcalc`` command (its console script's entry point)."""

import gc


def main() -> None:
    """Import the command line with the cycle collector paused, then run it.

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
    run()


if __name__ == "__main__":
    main()
