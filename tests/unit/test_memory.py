"""runtime.memory.keep_freed_memory: after it, glibc serves a 64 MiB array from its heap (no
mmap'd block, whose pages every pass would fault in again), and a freed one's pages are reused.
Measured by glibc's own ``mallinfo2`` in a fresh interpreter, before and after the call."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import subprocess
import sys

import pytest

SCRIPT = r"""
import ctypes, ctypes.util
import numpy as np
from convcalc.runtime.memory import keep_freed_memory

class Info(ctypes.Structure):
    _fields_ = [(f, ctypes.c_size_t) for f in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallinfo2.restype = Info
size = 64 << 20

def mapped_while_alive():
    a = np.ones(size // 4, np.float32)
    held = libc.mallinfo2().hblkhd
    del a
    return held

print(mapped_while_alive() >= size)  # glibc's default: a fresh mmap
print(keep_freed_memory(), keep_freed_memory())
print(mapped_while_alive() < size)  # now from the heap
heap = libc.mallinfo2().arena
print(mapped_while_alive() < size, libc.mallinfo2().arena == heap)  # the same pages again
"""


def glibc() -> bool:
    if platform.system() != "Linux":
        return False
    try:
        return hasattr(ctypes.CDLL(ctypes.util.find_library("c")), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not glibc(), reason="glibc's malloc (2.33 or later) only")
def test_large_blocks_come_from_the_heap_after_the_call() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[:4] == ["True", "True True", "True", "True True"], out


def test_elsewhere_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from convcalc.runtime import memory

    monkeypatch.setattr(memory, "_DONE", [])
    monkeypatch.setattr(memory.sys, "platform", "darwin")
    assert memory.keep_freed_memory() is False
    assert memory.keep_freed_memory() is False
