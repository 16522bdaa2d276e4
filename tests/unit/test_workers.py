"""The op workers keep their threads from pass to pass: a pass that splits its layers sets
two workers and then one again, and each worker thread's scratch buffers live as long as the
thread (a new thread per pass allocated and faulted them in again)."""

from __future__ import annotations

import threading

from convcalc.ops.base import Workers


def _threads(workers: Workers) -> set[threading.Thread]:
    """The threads the slabs of one split ran on, the calling one included."""
    seen: set[threading.Thread] = set()  # the objects (a new thread may reuse an old ident)
    met = threading.Barrier(2)

    def slab(lo: int, hi: int) -> None:
        seen.add(threading.current_thread())
        met.wait(timeout=10)  # both slabs at once: two threads

    workers.run(slab, 2, 1)
    return seen - {threading.current_thread()}


def test_a_worker_thread_outlives_a_smaller_count() -> None:
    workers = Workers()
    workers.set(2)
    first = _threads(workers)
    workers.set(1)
    workers.set(2)
    assert _threads(workers) == first and len(first) == 1


def test_a_larger_count_gets_a_larger_pool() -> None:
    workers = Workers()
    workers.set(2)
    _threads(workers)
    workers.set(3)
    seen: set[threading.Thread] = set()
    met = threading.Barrier(3)

    def slab(lo: int, hi: int) -> None:
        seen.add(threading.current_thread())
        met.wait(timeout=10)

    workers.run(slab, 3, 1)
    assert len(seen) == 3
