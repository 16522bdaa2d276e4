"""What bench_run.py's workers share: timing that drops contended runs, peak memory, and the
machine's own limits (NumPy sgemm GFLOP/s and copy bandwidth) measured the way the runtime
runs (the same BLAS environment and thread count)."""

from __future__ import annotations

import ctypes
import gc
import os
import statistics
import time
from collections.abc import Callable

# --- timing that drops contended runs ------------------------------------------------------------
FOREIGN_LIMIT = 0.03  # CPU seconds of other processes during one timed call (--foreign)


def busy_s() -> float:
    """CPU seconds that processes of this machine have used so far (/proc/stat: user, nice,
    system, irq, softirq; not idle, iowait, or steal, the hypervisor's share, which no process
    here can avoid and which both implementations suffer alike)."""
    with open("/proc/stat", encoding="ascii") as fh:
        v = [int(x) for x in fh.readline().split()[1:8]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def timed(
    fn: Callable[[], object],
    repeat: int,
    foreign_limit: float | None = None,
    kept_calls: list[int] | None = None,
) -> tuple[list[float], int]:
    """``repeat`` timings of ``fn()`` during which other processes used at most
    ``foreign_limit`` CPU seconds (the machine is shared; a contended run is repeated, up to
    4·repeat tries). Returns the kept times and how many were dropped; when fewer than
    ``repeat`` stayed uncontended (a neighbour that never pauses), every time measured, so that
    a loaded machine gives slow figures rather than none. ``kept_calls`` receives the indices
    (0-based, among the calls made) of the times returned."""
    kept: list[float] = []
    every: list[float] = []
    index: list[int] = []
    dropped = 0
    limit = FOREIGN_LIMIT if foreign_limit is None else foreign_limit
    for _ in range(4 * repeat):
        b0, c0, t0 = busy_s(), os.times(), time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        every.append(dt)
        b1, c1 = busy_s(), os.times()
        own = (c1.user + c1.system) - (c0.user + c0.system)
        if (b1 - b0) - own > limit:
            dropped += 1
            continue
        kept.append(dt)
        index.append(len(every) - 1)
        if len(kept) == repeat:
            break
    if len(kept) < repeat:
        kept, index = every, list(range(len(every)))
    if kept_calls is not None:
        kept_calls[:] = index
    return kept, dropped


def hwm_mib() -> float:
    """Peak resident memory of this process since start or the last :func:`reset_hwm`."""
    with open("/proc/self/status", encoding="ascii") as fh:
        kb = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    return kb / 1024


def reset_hwm() -> None:
    """Reset the peak to the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")


def load_avg() -> float:
    return os.getloadavg()[0]


# --- the BLAS NumPy loaded -----------------------------------------------------------------------
def blas_kernel() -> str:
    """The kernel OpenBLAS runs (its ``get_corename``), e.g. 'SkylakeX' or 'Haswell'."""
    with open("/proc/self/maps", encoding="utf-8") as fh:
        paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for sym in ("scipy_openblas_get_corename64_", "openblas_get_corename64_"):
            fn = getattr(lib, sym, None)
            if fn is None:
                fn = getattr(lib, sym.replace("64_", ""), None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return str(fn().decode())
    return "unknown"


# --- the machine's limits ------------------------------------------------------------------------
def gemm_gflops(m: int, k: int, n: int, seconds: float = 1.0) -> float:
    """Median GFLOP/s of ``np.matmul`` (float32, (m, k) @ (k, n) into a preallocated output),
    over at least ``seconds`` and 5 calls after 2 warm-ups; contended calls are dropped."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((k, n), dtype=np.float32)
    c = np.empty((m, n), dtype=np.float32)
    for _ in range(2):
        np.matmul(a, b, out=c)
    t1 = time.perf_counter()
    np.matmul(a, b, out=c)
    reps = max(5, int(seconds / max(time.perf_counter() - t1, 1e-6)))
    limit = max(FOREIGN_LIMIT, 0.1) * seconds / reps
    times, _ = timed(lambda: np.matmul(a, b, out=c), reps, foreign_limit=limit)
    return 2 * m * k * n / statistics.median(times) / 1e9


def copy_gbs(elements: int, seconds: float = 0.5) -> float:
    """Median GB/s of ``np.copyto`` between two float32 arrays of ``elements`` (bytes read +
    bytes written per second), the bound of a memory-bound layer of that working set."""
    import numpy as np

    src = np.ones(elements, dtype=np.float32)
    dst = np.zeros(elements, dtype=np.float32)
    np.copyto(dst, src)
    t1 = time.perf_counter()
    np.copyto(dst, src)
    reps = max(5, int(seconds / max(time.perf_counter() - t1, 1e-7)))
    limit = max(FOREIGN_LIMIT, 0.1) * seconds / reps + 1e-3
    times, _ = timed(lambda: np.copyto(dst, src), reps, foreign_limit=limit)
    return 2 * 4 * elements / statistics.median(times) / 1e9


# the sgemm peak: the best of a square product and VGG16's deepest im2col shapes
PEAK_SHAPES = ((2048, 2048, 2048), (3136, 2304, 256), (784, 4608, 512))


def machine() -> dict[str, object]:
    """The limits the runtime is measured against, in this process's BLAS configuration, and
    what runs the depthwise taps (the compiled kernel with numba installed, else NumPy)."""
    from convcalc.ops import jit

    gemm = {f"{m}x{k}x{n}": gemm_gflops(m, k, n) for m, k, n in PEAK_SHAPES}
    return {
        "kernel": blas_kernel(),
        "coretype_env": os.environ.get("OPENBLAS_CORETYPE", ""),
        "gemm": gemm,
        "gemm_peak": max(gemm.values()),
        "copy_dram_gbs": copy_gbs(1 << 26),  # 256 MiB each way
        "copy_l3_gbs": copy_gbs(1 << 20),  # 4 MiB each way: a MobileNet layer's size
        "depthwise": jit.status(),
    }
