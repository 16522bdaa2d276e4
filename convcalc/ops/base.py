"""What every NumPy op shares: float32, scratch buffers, the worker threads, the tuning knobs,
and the bias + activation epilogue of convolutions and dense layers.

Arrays are float32, batch first, channels last ``(N, spatial..., C)``. This package imports
nothing from the rest of convcalc: the layers call it with plain ints and arrays.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

Pads = Sequence[tuple[int, int]]
Array = np.ndarray
Activation = Callable[[np.ndarray], np.ndarray]
F32 = np.float32
T = TypeVar("T")


@dataclass
class Tuning:
    """The measured thresholds of the fast paths, in one place (tests lower them so that small
    cases take the paths large layers take)."""

    parallel_min: int = 1 << 15  # elements per slab below which threads cost more than they save
    chunk: int = 1 << 22  # elements of scratch (16 MiB) per slab of an im2col buffer, at most
    im2col_slab: int = 1 << 18  # elements of an im2col slab, if that gives enough GEMM rows
    gemm_min_rows: int = 256  # GEMM rows an im2col slab has at least
    winograd_min_channels: int = 64  # below this the Winograd transforms cost what the GEMMs save
    # the same when OpenBLAS threads the GEMMs and the transforms run on one thread. On the
    # Intel VM im2col was 3-12% faster at 64 channels there; on the Zen 4 VM (2 threads, batch
    # 1) Winograd is 1.7x faster at 56x56x64 -> 64 (3.3 -> 1.9 ms), 2.1x at 224x224x64, 1.2x
    # at 28x28x64 -> 96, and 1.2-1.3x from 128 channels; at 32-48 channels it is 5-19% slower
    winograd_min_channels_blas: int = 64
    # the same with the compiled transforms (numba), at 1 or 2 threads: on the Zen 4 VM
    # Winograd is 0.6-0.75x im2col's time at 32-64 channels, 0.7-0.9x at 16-24 (147x147x32 ->
    # 64: 9.4 -> 6.0 ms on 1 thread), even at 8, 1.5-2.4x slower at 3 (VGG16's first layer)
    winograd_min_channels_compiled: int = 16
    # 2x2 output tiles per sample below which im2col wins: a 7x7 map has 16, so that each of
    # the 16 GEMMs has 16 rows, and the transformed kernel (16/9 of the kernel's bytes) is read
    # for little work (ResNet-50's 7x7x512 layers in the network: 4.1-5.3 -> 3.5-4.1 ms)
    winograd_min_tiles: int = 32
    winograd_slab: int = 1 << 19  # elements of a transformed Winograd buffer per slab
    winograd_gemm_rows: int = 2  # a Winograd slab's GEMMs get at least this many rows per channel
    depthwise_taps_max_c: int = 192  # depthwise by taps up to 28x28x192, einsum from 14x14x384
    depthwise_block: int = 1 << 16  # output elements per cache block of the depthwise tap loop
    # the compiled kernels of convcalc.ops.jit, when numba is installed (CONVCALC_JIT=0: never;
    # 1: even for a single pass, which jit.for_passes otherwise leaves to NumPy)
    jit: bool = field(default_factory=lambda: os.environ.get("CONVCALC_JIT", "1") != "0")
    depthwise_tile: int = 1 << 12  # elements of the compiled depthwise kernel's tiled kernel
    separable_block: int = 1 << 16  # depthwise output elements per block of a separable conv
    separable_min: int = 1 << 19  # depthwise output elements of a sample from which it blocks
    separable_kernel_max: int = 1 << 16  # pointwise kernel elements up to which it blocks
    pointwise_slab: int = 1 << 17  # GEMM output elements per slab of side-by-side 1x1 convolutions
    pool_block: int = 1 << 18  # input elements per cache block of max pooling
    lrn_block: int = 1 << 16  # elements per cache block of local response normalisation
    depthwise_samples: int = 1 << 20  # padded input elements per block of the window einsum
    # output elements per group from which a grouped convolution runs group by group (below,
    # the batched GEMM: 32 groups of 14x14x16 2.5x faster batched, 2 groups of 13x13x192 0.93x)
    group_loop_min: int = 1 << 15


TUNING = Tuning()


class Scratch:
    """Grow-only flat float32 buffers reused from layer to layer (im2col columns, GEMM output).

    Reusing them avoids a fresh allocation, and its page faults, for every layer: the im2col
    matrix of VGG16's block1_conv2 alone is 110 MiB. Each thread has its own buffers, so that
    forwards of batch shards can run side by side.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def _bufs(self) -> dict[str, np.ndarray]:
        bufs: dict[str, np.ndarray] | None = getattr(self._local, "bufs", None)
        if bufs is None:
            bufs = self._local.bufs = {}
        return bufs

    def get(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        n = math.prod(shape)
        bufs = self._bufs
        buf = bufs.get(key)
        if buf is None or buf.size < n:
            buf = np.empty(n, dtype=F32)
            bufs[key] = buf
        return buf[:n].reshape(shape)

    def clear(self) -> None:
        """This thread's buffers."""
        self._bufs.clear()


class Workers:
    """Splits memory-bound work (window copies, Winograd transforms, depthwise taps, bias and
    activation) over threads, by contiguous slabs of output rows; NumPy releases the GIL inside
    these loops. The calling thread works on the first slab itself.

    One worker by default (``CONVCALC_WORKERS`` sets more): on the 2-core machine measured,
    OpenBLAS's threads keep spinning for a while after each GEMM, and a second worker competing
    with them made MobileNet 1.4x slower and VGG16 no faster (see docs/run.md). Inside
    :meth:`splitting` (the executor's batch-1 passes with OpenBLAS at one thread) the GEMMs are
    split too (:meth:`gemm`), so that every step of a layer runs on every thread."""

    def __init__(self) -> None:
        self.n = max(1, int(os.environ.get("CONVCALC_WORKERS", "1") or 1))
        self.gemms = False  # GEMMs split over the workers too (inside splitting())
        self.gemm_threads = 1  # OpenBLAS's threads per GEMM, the rest on one (threaded_gemms())
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()  # .busy: this thread runs a slab (no nested split)

    def set(self, n: int) -> None:
        """Use ``n`` threads, the calling one included. The pool's threads outlive a smaller
        count (a pass that splits its layers sets 2 and then 1 again: a new thread per pass
        started with no scratch buffers, so every pass allocated and faulted them in again)."""
        self.n = max(1, n)
        if self._pool is not None and self._pool._max_workers < self.n - 1:
            self._pool.shutdown()
            self._pool = None

    @contextmanager
    def splitting(self, n: int) -> Iterator[None]:
        """``n`` workers for everything, GEMMs included, inside the block."""
        before = self.n
        self.set(n)
        self.gemms = True
        try:
            yield
        finally:
            self.gemms = False
            self.set(before)

    @contextmanager
    def threaded_gemms(self, n: int) -> Iterator[None]:
        """Inside the block OpenBLAS gives each GEMM ``n`` threads and everything else runs on
        the calling thread alone (the executor's OpenBLAS-threads passes): the fast paths that
        add unthreaded work to save GEMM time weigh it accordingly."""
        before = self.gemm_threads
        self.gemm_threads = max(1, n)
        try:
            yield
        finally:
            self.gemm_threads = before

    def run(self, fn: Callable[[int, int], None], items: int, min_items: int = 2) -> None:
        """``fn(lo, hi)`` over ``range(items)`` in up to ``n`` contiguous slabs."""
        k = min(self.n, items // max(min_items, 1))
        if k <= 1 or getattr(self._local, "busy", False):
            fn(0, items)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.n - 1, thread_name_prefix="convcalc")
        bounds = [items * i // k for i in range(k + 1)]
        slabs = list(itertools.pairwise(bounds))
        futures = [self._pool.submit(self._slab, fn, lo, hi) for lo, hi in slabs[1:]]
        try:
            self._slab(fn, *slabs[0])
        finally:
            for f in futures:
                f.result()

    def gemm(self, fn: Callable[[int, int], None], items: int, min_items: int = 2) -> None:
        """:meth:`run` for work whose GEMMs the BLAS threads otherwise (one call inline unless
        inside :meth:`splitting`)."""
        if self.gemms:
            self.run(fn, items, min_items)
        else:
            fn(0, items)

    def _slab(self, fn: Callable[[int, int], None], lo: int, hi: int) -> None:
        self._local.busy = True
        try:
            fn(lo, hi)
        finally:
            self._local.busy = False


def immutable(a: np.ndarray) -> bool:
    """Whether nothing can change ``a``'s values: it and every array it views are read-only,
    down to memory that is read-only too (bytes, a read-only map)."""
    base: object = a
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        base = base.base
    if base is None:
        return True
    try:
        return memoryview(base).readonly  # type: ignore[arg-type]
    except TypeError:
        return False


_DERIVED: dict[tuple[object, ...], Any] = {}  # (id(array), what...) -> value, while it lives


def derived(a: np.ndarray, what: tuple[object, ...], make: Callable[[], T]) -> T:
    """``make()``, a value derived from ``a`` alone (a transformed kernel, a tiled bias):
    computed once and kept while ``a`` lives when nothing can change ``a`` (the runtime makes
    its weights read-only), else computed on every call (a writable array may change in place
    under the same identity)."""
    if not immutable(a):
        return make()
    key = (id(a), *what)
    hit = _DERIVED.get(key)
    if hit is None:
        hit = _DERIVED[key] = make()
        weakref.finalize(a, _DERIVED.pop, key, None)
    return hit


def row_tile(v: np.ndarray, like: np.ndarray) -> np.ndarray:
    """A per-channel vector repeated over the last spatial axis of ``like`` (…, W, C), so that a
    broadcast operation runs one W·C-long inner loop instead of W loops of C (NumPy cannot
    merge the axes of a broadcast operand). Kept for a read-only vector (a layer's bias): the
    tiling costs as much as the addition on small maps (13x128: 3.6 of 4.8 us)."""
    if like.ndim < 3 or like.shape[-2] == 1 or v.shape == like.shape[-2:]:  # (or tiled already)
        return v
    shape = like.shape[-2:]
    return derived(
        v, ("row_tile", shape), lambda: np.ascontiguousarray(np.broadcast_to(v.reshape(-1), shape))
    )


def bias_act(y: np.ndarray, bias: np.ndarray | None, act: Activation | None) -> np.ndarray:
    if bias is not None:
        np.add(y, row_tile(bias, y), out=y)
    if act is not None:
        y = act(y)
    return y


def bias_act_into(part: np.ndarray, bias: np.ndarray | None, act: Activation | None) -> None:
    """Bias and an element-wise activation, written back into ``part`` (a view)."""
    out = bias_act(part, bias, act)
    if out is not part:
        part[...] = out


def bias_act_rows(y: np.ndarray, bias: np.ndarray | None, act: Activation | None) -> np.ndarray:
    """Bias and activation in place, over slabs of axis 1 in parallel (for large outputs;
    element-wise activations only, which is what convolutions fuse)."""
    if bias is None and act is None:
        return y
    if y.ndim < 3 or y.size < 2 * TUNING.parallel_min or y.shape[0] != 1:
        return bias_act(y, bias, act)
    run_rows(lambda lo, hi: bias_act_into(y[:, lo:hi], bias, act), y)
    return y


def run_rows(fn: Callable[[int, int], None], y: np.ndarray) -> None:
    """``fn(lo, hi)`` over slabs of axis 1 of ``y`` (batch 1, large arrays) or all of it."""
    if y.ndim < 3 or y.shape[0] != 1 or y.size < 2 * TUNING.parallel_min:
        fn(0, y.shape[1] if y.ndim > 1 else 1)
        return
    WORKERS.run(fn, y.shape[1], max(1, TUNING.parallel_min // (y.size // y.shape[1])))


SCRATCH = Scratch()
WORKERS = Workers()
