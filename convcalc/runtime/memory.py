"""Freed memory kept for the next pass: glibc's malloc told not to give large blocks back.

glibc serves every block above its mmap threshold (at most 32 MiB) by a fresh ``mmap`` and
unmaps it on free, so a pass that allocates a 88 MiB activation faults in its 22,000 pages
again on every pass. On the KVM machines measured each fault costs several microseconds (the
kernel tries to compact memory for a huge page first, as NumPy asks for one): Xception at batch
8 on one thread spent 185 ms of a 272 ms 1x1 convolution and 90 ms of a 107 ms depthwise one
faulting. With mmap off and the heap never trimmed the same blocks come back from the heap,
their pages already there. One heap for every thread: with a heap per thread the batch shards'
threads grew their own, each mmap'd and trimmed by glibc's per-thread rules (2 threads, batch
8, per forward: Inception v3 587 ms as before, 674 ms with one heap per thread, 574 ms with
one; VGG16 990, 974, 942 ms), and the peak memory is lower with one (VGG16 1332 MiB as before,
1145 MiB; Inception v3 421, 344 MiB): a pass allocates what the last one freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
M_ARENA_MAX = -8
_DONE: list[bool] = []


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to serve large blocks from one heap for all threads and never
    trim it, once per process; False where the C library is not glibc (nothing is changed)."""
    if _DONE:
        return _DONE[0]
    ok = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt
            gnu = bool(getattr(libc, "gnu_get_libc_version", None))
        except (OSError, AttributeError):
            gnu = False
        if gnu:
            mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
            mallopt.restype = ctypes.c_int
            ok = all(
                mallopt(param, value)
                for param, value in (
                    (M_MMAP_MAX, 0),
                    (M_TRIM_THRESHOLD, 2**31 - 1),
                    (M_ARENA_MAX, 1),
                )
            )
    _DONE.append(ok)
    return ok
