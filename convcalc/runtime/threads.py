"""BLAS threads: set before numpy is imported (environment) or after (OpenBLAS's own setter)."""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

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
_FOUND: dict[str, Callable[..., int] | None] = {}


def _openblas(name: str) -> Callable[..., int] | None:
    """OpenBLAS's function ``name`` (``set_num_threads``, ``get_num_threads``) in the loaded
    library, under any of its symbol spellings (what threadpoolctl does, for the OpenBLAS that
    NumPy's wheels bundle); None when no such library is loaded. Found once per name."""
    if name in _FOUND:
        return _FOUND[name]
    try:
        with open("/proc/self/maps", encoding="utf-8") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for sym in _SETTERS:
            fn = getattr(lib, sym.replace("set_num_threads", name), None)
            if fn is not None:
                _FOUND[name] = fn
                return fn
    if paths:
        _FOUND[name] = None
    return None


def _openblas_set(n: int) -> bool:
    """Call OpenBLAS's own ``set_num_threads``. False when no OpenBLAS is loaded."""
    fn = _openblas("set_num_threads")
    if fn is None:
        return False
    fn(ctypes.c_int(n))
    return True


def blas_threads() -> int:
    """The thread count OpenBLAS runs with now (1 when no OpenBLAS is loaded)."""
    fn = _openblas("get_num_threads")
    return max(1, int(fn())) if fn is not None else 1


@contextmanager
def single_blas() -> Iterator[None]:
    """OpenBLAS at one thread inside the block (for work that threads itself), restored after."""
    before = blas_threads()
    if before == 1 or not _openblas_set(1):
        yield
        return
    try:
        yield
    finally:
        _openblas_set(before)


def set_threads(n: int) -> bool:
    """Ask the BLAS for ``n`` threads: the environment variables when numpy is not imported yet,
    OpenBLAS's own setter when it is. Returns whether the request could be honoured."""
    if "numpy" not in sys.modules:
        for var in THREAD_VARS:
            os.environ[var] = str(n)
        return True
    return _openblas_set(n)
