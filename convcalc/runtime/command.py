"""`convcalc run` / `convcalc summary --run` behind the CLI: options in, text out.

Importing this module does not import numpy (the executor is imported when a run starts,
after ``--threads`` has set the BLAS environment).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Optional


@dataclass
class RunArgs:
    """The run options as the command line gives them."""

    seed: int = 0
    input: Optional[Path] = None
    batch: Optional[int] = None
    weights: Optional[Path] = None
    weights_layout: str = "keras"
    output: Optional[Path] = None
    force: bool = False
    repeat: Optional[int] = None
    threads: Optional[int] = None
    true_convolution: bool = False

    def given(self) -> list[str]:
        """The options set to something other than their default (they need --run)."""
        default = RunArgs()
        return ["--" + f.name.replace("_", "-") for f in fields(self)
                if getattr(self, f.name) != getattr(default, f.name)]


def run_and_render(spec_path: Path, args: RunArgs, fmt: str, color: bool = False) -> str:
    """load -> analyze -> run -> render (``fmt``: table, json, markdown or csv)."""
    from convcalc.engine import analyze
    from convcalc.errors import UsageError
    from convcalc.runtime import set_threads
    from convcalc.spec.loader import load_spec

    if args.output is not None and args.output.exists() and not args.force:
        raise UsageError(f"error: --output {args.output} exists; pass --force to overwrite it")
    if args.threads is not None and not set_threads(args.threads):
        sys.stderr.write(f"note: --threads {args.threads} not applied: no OpenBLAS found\n")
    spec = load_spec(spec_path)
    report = analyze(spec)

    from convcalc.render.progress import progress_bar
    from convcalc.render.run import render_run
    from convcalc.runtime.executor import RunOptions, execute, save_activations

    opts = RunOptions(args.batch, args.seed, args.input, args.weights, args.weights_layout,
                      args.repeat, args.true_convolution, keep_activations=args.output is not None)
    work = report.totals.macs * (args.batch or 1) * ((args.repeat or 0) + 1)
    with progress_bar(sys.stderr.isatty() and work > 2 * 10**8, f"running {report.name}") as cb:
        result = execute(spec, report, opts, cb)
    if args.output is not None:
        save_activations(result, args.output, args.force)
    return render_run(report, result, fmt, color=color)
