"""``convcalc run`` / ``convcalc summary --run`` behind the command line: options in, text out.

Importing this module does not import numpy: the executor is imported when a run starts, after
``--threads`` has set the BLAS environment.
"""

from __future__ import annotations

import sys
from pathlib import Path

from convcalc.analysis import load_and_analyze
from convcalc.errors import UsageError
from convcalc.render.progress import progress_bar
from convcalc.render.run import render_run
from convcalc.render.values import small_enough
from convcalc.report import Report
from convcalc.runtime.options import RunOptions
from convcalc.runtime.threads import set_threads

PROGRESS_MACS = 2 * 10**8  # show a progress bar on a terminal for runs of more MACs than this


def run_and_render(spec_path: Path, opts: RunOptions, fmt: str, color: bool = False) -> str:
    """load -> analyze -> run -> render (``fmt``: table, json, markdown or csv)."""
    opts.check_output()
    if opts.threads is not None and not set_threads(opts.threads):
        sys.stderr.write(f"note: --threads {opts.threads} not applied: no OpenBLAS found\n")
    spec, report = load_and_analyze(spec_path)
    read_inline(report, opts)
    show = opts.values if opts.values is not None else small_enough(report, opts.batch or 1)
    if show:
        opts.keep_activations = True

    from convcalc.runtime.executor import execute, save_activations

    work = report.totals.macs * (opts.batch or 1) * ((opts.repeat or 0) + 1)
    with progress_bar(sys.stderr.isatty() and work > PROGRESS_MACS, f"running {report.name}") as cb:
        result = execute(spec, report, opts, cb)
    if opts.output is not None:
        save_activations(result, opts.output, opts.force)
    return render_run(report, result, fmt, color=color, show_values=show)


def read_inline(report: Report, opts: RunOptions) -> None:
    """``--input-values`` and ``--weight`` literals -> arrays in ``opts``."""
    from convcalc.runtime import inline

    if opts.input_values:
        if opts.input_path is not None:
            raise UsageError("--input and --input-values both give the input; keep one")
        if opts.batch not in (None, 1):
            raise UsageError(f"--input-values gives one sample; drop --batch {opts.batch}")
        opts.input_arrays = inline.input_arrays(report, opts.input_values)
    if opts.weight_values:
        opts.weight_arrays = inline.weight_arrays(report, opts.weight_values, opts.weights_layout)
