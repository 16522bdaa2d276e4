"""``python -m convcalc``: the same as the ``convcalc`` command."""

from convcalc.cli import main

main()
