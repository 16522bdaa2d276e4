"""The NumPy runtime behind ``--run``: weights, inputs and the executor.

Importing this package does not import numpy; :mod:`convcalc.runtime.executor` does. Set the
BLAS thread count with :func:`set_threads` before that import when you can.
"""

from __future__ import annotations

from convcalc.runtime.options import RunOptions
from convcalc.runtime.threads import THREAD_VARS, set_threads

__all__ = ["THREAD_VARS", "RunOptions", "set_threads"]
