"""The memory check of ``--run``: the estimate (:mod:`convcalc.analysis.memory`) against what
this machine has, before anything is allocated."""

from __future__ import annotations

import os
from pathlib import Path

from convcalc.analysis.memory import MemoryEstimate, estimate
from convcalc.errors import UsageError
from convcalc.report import Report
from convcalc.runtime.options import RunOptions
from convcalc.runtime.threads import blas_threads
from convcalc.spec.document import parse_quantity


def _read_int(path: str) -> int | None:
    try:
        text = Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def available_bytes() -> int | None:
    """Memory this process can still take: the kernel's MemAvailable, or less if a cgroup
    (a container's limit) allows less; None where neither can be read."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    limit = _read_int("/sys/fs/cgroup/memory.max")
    used = _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        found.append(max(limit - used, 0))
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            return None
    return min(found)


def memory_limit(opts: RunOptions) -> tuple[int | None, str]:
    """The bytes a run may take, and where that figure comes from."""
    if opts.max_memory is not None:
        n = parse_quantity(opts.max_memory, "B")
        if n is None or n <= 0:
            raise UsageError(
                f"--max-memory {opts.max_memory}: not a size", hint="e.g. 8GiB, 500MB or 2000000000"
            )
        return n, "--max-memory"
    return available_bytes(), "available memory"


def _mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB" if n < 2**30 else f"{n / 2**30:,.2f} GiB"


def check_memory(report: Report, batch: int, opts: RunOptions) -> MemoryEstimate:
    """The estimate of this run; raise :class:`UsageError` if it exceeds the limit."""
    # the timed passes (--repeat) use every thread, each with its scratch buffers
    threads = 1 if opts.repeat is None else opts.threads or blas_threads()
    est = estimate(report, batch, keep_all=opts.keeps_activations, threads=threads)
    limit, source = memory_limit(opts)
    if limit is None or est.peak <= limit:
        return est
    parts = [
        f"inputs {_mib(est.inputs)}",
        f"weights {_mib(est.weights)}",
        f"activations {_mib(est.activations)}"
        + (
            " (every layer's, for --output)"
            if opts.keeps_activations
            else f" (at {est.peak_layer})"
        ),
        f"working buffers {_mib(est.workspace)}",
    ]
    hint = f"the largest layer output is {est.largest_layer!r} ({_mib(est.largest_bytes)})"
    if batch > 1:
        hint += f"; a smaller --batch than {batch} needs less"
    hint += "; --max-memory SIZE sets the limit"
    raise UsageError(
        f"this run needs about {_mib(est.peak)} ({', '.join(parts)}), more than the "
        f"{_mib(limit)} of {source}; nothing was allocated",
        hint=hint,
    )
