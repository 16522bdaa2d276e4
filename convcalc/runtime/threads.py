"""BLAS threads: set before numpy is imported (environment) or after (OpenBLAS's own setter)."""

from __future__ import annotations

import ctypes
import os
import sys

THREAD_VARS = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def _openblas_set(n: int) -> bool:
    """Call OpenBLAS's own ``set_num_threads`` in the loaded library (what threadpoolctl does,
    for the OpenBLAS that NumPy's wheels bundle). False when no such library is loaded."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    except OSError:
        return False
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for sym in _SETTERS:
            fn = getattr(lib, sym, None)
            if fn is not None:
                fn(ctypes.c_int(n))
                return True
    return False


def set_threads(n: int) -> bool:
    """Ask the BLAS for ``n`` threads: the environment variables when numpy is not imported yet,
    OpenBLAS's own setter when it is. Returns whether the request could be honoured."""
    if "numpy" not in sys.modules:
        for var in THREAD_VARS:
            os.environ[var] = str(n)
        return True
    return _openblas_set(n)
