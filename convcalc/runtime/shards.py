"""Batch shards: a forward of batch N on T BLAS threads as T forwards of N/T samples, each in
its own Python thread with OpenBLAS at one thread.

NumPy releases the GIL inside its BLAS calls and most of its loops, so the shards run side by
side; every layer kind then runs on every core (a BLAS thread only speeds up the GEMMs, and
waits in every step between them). Samples are independent in every layer the runtime runs at
inference, so each shard's outputs are the unsharded ones. On a small network OpenBLAS's
threads are faster (its layers are too small to keep a thread of their own busy), so the
executor measures both in its warm-up (:func:`modes`). ``CONVCALC_SHARDS=1`` keeps OpenBLAS's
threads, ``CONVCALC_SHARDS=N`` N shards, without measuring.

A batch of one cannot be sharded; its layers may be split instead (:func:`splitting`):
OpenBLAS at one thread, and every convolution's GEMMs, depthwise taps and element-wise passes
in slabs of output rows over the op workers (``convcalc.ops.base.WORKERS``), one slab per
thread. Whether that beats OpenBLAS threading the GEMMs alone depends on the machine and its
load (a Python thread takes 50-100 µs to wake on a VM, OpenBLAS's spin; a busy neighbour stalls
OpenBLAS's threads, not the workers), so the executor measures both (:func:`modes`) in its
warm-up and times the faster. ``CONVCALC_SPLIT=0`` or ``1`` forces one.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress

import numpy as np

from convcalc.ops.base import SCRATCH, WORKERS
from convcalc.report import LayerRow
from convcalc.runtime.fusion import Plan
from convcalc.runtime.threads import blas_threads, single_blas
from convcalc.spec.model import LayerSpec

Layers = Callable[[dict[str, np.ndarray], dict[str, float]], dict[str, np.ndarray]]

_POOL: list[ThreadPoolExecutor] = []
_HELD: list[bool] = []  # the shard threads hold scratch buffers (a pass ran since release())


def _asked() -> int | None:
    """The shard count ``CONVCALC_SHARDS`` asks for: a positive integer, else None (unset or
    not a count: measured as if unset)."""
    want = os.environ.get("CONVCALC_SHARDS", "").strip()
    return int(want) if want.isdigit() and int(want) > 0 else None


def count(batch: int) -> int:
    """How many shards a forward of ``batch`` samples runs in: ``CONVCALC_SHARDS`` when set,
    else the BLAS thread count; never more than the batch."""
    n = _asked() or blas_threads()
    return max(1, min(n, batch))


SHARDS, SPLIT, BLAS, ONE = "batch shards", "split layers", "OpenBLAS threads", "one thread"


def modes(batch: int) -> list[str]:
    """The ways a timed pass of ``batch`` samples can use the BLAS thread count, to be
    measured, the default first: none with one thread; for a batch of 2 or more, batch shards
    and OpenBLAS's threads (``CONVCALC_SHARDS=1`` keeps OpenBLAS's, ``CONVCALC_SHARDS=N``
    shards); for a batch of one, split layers and OpenBLAS's threads (``CONVCALC_SPLIT=0`` or
    ``1`` keeps one) and, unless one is forced, a single thread. Small networks favour
    OpenBLAS's threads (their layers are too small for a thread of their own), large ones the
    shards or split layers; and when the second core is slow (a busy neighbour on a VM) or a
    batch-1 network too small for either (EfficientNet-B0 on the Zen 4 VM: 30.7 ms on 2
    threads, 25.3 on 1), one thread is the fastest way to use two."""
    if blas_threads() <= 1:
        return []
    if batch > 1:
        if count(batch) == 1:
            return [BLAS]
        return [SHARDS] if _asked() else [SHARDS, BLAS]
    split = os.environ.get("CONVCALC_SPLIT", "").strip()
    return [BLAS] if split == "0" else [SPLIT] if split == "1" else [SPLIT, BLAS, ONE]


TRIAL_ROUNDS = (2, 4)  # the warm-up's rounds of trial passes: at least, at most
TRIAL_SECONDS = 1.0  # more rounds than the least while the trial passes took less in all


def trials(run: Callable[[str], float], ways: Sequence[str]) -> dict[str, float]:
    """Each way's fastest timed trial pass, ``run(way)`` running one pass and returning its
    seconds: rounds of two passes of each way, the second timed (after another way's pass,
    OpenBLAS's threads still spin or have just gone to sleep), at least TRIAL_ROUNDS[0]
    rounds, then more while the passes so far took under TRIAL_SECONDS, at most
    TRIAL_ROUNDS[1]. A network of a few milliseconds gets the extra rounds: with two, a
    neighbour's burst during both passes of a way let the slower way win (GoogLeNet, batch 1,
    2 threads: one thread chosen at 32.9 ms a pass against OpenBLAS's threads at 23.6)."""
    best: dict[str, float] = {}
    spent = 0.0
    for r in range(TRIAL_ROUNDS[1]):
        if r >= TRIAL_ROUNDS[0] and spent >= TRIAL_SECONDS:
            break
        for way in ways:
            warm, timed = run(way), run(way)
            spent += warm + timed
            best[way] = min(best.get(way, timed), timed)
    return best


def trial_passes(ways: int) -> int:
    """The most passes :func:`trials` runs for ``ways`` ways."""
    return 2 * TRIAL_ROUNDS[1] * ways


def splits(batch: int) -> int:
    """How many threads split each layer of a forward of ``batch`` samples when the split
    layers are the default: the BLAS thread count for a batch of one, else 1."""
    return blas_threads() if modes(batch)[:1] == [SPLIT] else 1


def way(mode: str | None) -> AbstractContextManager[object]:
    """The threads of a pass on this thread in ``mode`` (not SHARDS, which runs elsewhere)."""
    n = blas_threads()
    if mode == SPLIT and n > 1:
        return splitting(n)
    if mode == BLAS:
        return WORKERS.threaded_gemms(n)
    if mode == ONE:
        return single_blas()
    return nullcontext()


@contextmanager
def splitting(n: int) -> Iterator[None]:
    """Inside: OpenBLAS at one thread and ``n`` op workers that split the GEMMs too."""
    with single_blas(), WORKERS.splitting(n):
        yield


def _pool(k: int) -> ThreadPoolExecutor:
    """The shard threads, kept from pass to pass (each keeps its scratch buffers warm)."""
    if not _POOL or _POOL[0]._max_workers < k:  # (the only way to ask a pool its size)
        if _POOL:
            _POOL.pop().shutdown()
        _POOL.append(ThreadPoolExecutor(k, thread_name_prefix="convcalc-shard"))
    return _POOL[0]


def release() -> None:
    """Free every shard thread's scratch buffers: before a pass that runs on this thread, so
    that the buffers of both ways are never held at once (VGG16 at batch 8: the shards' and
    the whole batch's Winograd and im2col buffers together set the peak RSS)."""
    if not _POOL or not _HELD:
        return
    _HELD.clear()
    k = _POOL[0]._max_workers
    met = threading.Barrier(k)

    def clear() -> None:  # each task waits for the others, so each thread runs one
        SCRATCH.clear()
        with suppress(threading.BrokenBarrierError):
            met.wait(timeout=10)

    for f in [_POOL[0].submit(clear) for _ in range(k)]:
        f.result()


def head(layer_specs: Sequence[LayerSpec], rows: Mapping[str, LayerRow], plan: Plan) -> int:
    """Where the vector head of a network starts: the index of the first layer from which on
    every output is one vector per sample (Flatten or global pooling and the Dense layers
    after it; ``len(layer_specs)`` when there is none). Its layers read weights that are not
    reused across positions, so batch shards would each read them again; none of its layers
    is fused into a layer before it (``plan``)."""
    cut = len(layer_specs)
    while cut > 0 and len(rows[layer_specs[cut - 1].name].shape) <= 1:
        cut -= 1
    for i, tail in plan.items():
        if i < cut <= max(tail):
            cut = max(tail) + 1
    return cut


def run(
    layers: Layers, inputs: dict[str, np.ndarray], k: int
) -> tuple[float, dict[str, float], list[dict[str, np.ndarray]]]:
    """``layers`` over ``k`` contiguous slices of the batch at once; returns the wall time,
    each layer's seconds (the mean over the shards, so that they add up to about the wall
    time) and what each shard's ``layers`` returned, in batch order."""
    batch = next(iter(inputs.values())).shape[0]
    bounds = [batch * i // k for i in range(k + 1)]
    parts = [
        {name: a[lo:hi] for name, a in inputs.items()} for lo, hi in itertools.pairwise(bounds)
    ]
    times: list[dict[str, float]] = [{} for _ in parts]
    pool = _pool(k)
    _HELD.append(True)
    SCRATCH.clear()  # this thread's buffers (of the unsharded first pass): the shards have theirs
    with single_blas():
        t0 = time.perf_counter()
        futures = [pool.submit(layers, part, t) for part, t in zip(parts, times)]
        results = [f.result() for f in futures]
        elapsed = time.perf_counter() - t0
    mean = {name: sum(t[name] for t in times) / k for name in times[0]}
    return elapsed, mean, results
