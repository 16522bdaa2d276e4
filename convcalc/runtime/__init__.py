"""The NumPy runtime behind ``--run``: options, threads, weights, inputs and the executor.

Importing this package imports nothing: :mod:`convcalc.runtime.executor` imports numpy, and
:func:`convcalc.runtime.threads.set_threads` sets the BLAS thread count before that import
when it can.
"""
