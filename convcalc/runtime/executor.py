"""Execute a Spec with the NumPy kernels and prove the engine's shapes.

:func:`execute` creates the weights (seeded Keras initialisers or a ``.npz``), the input
(seeded standard normal or a ``.npy``), runs every layer's ``forward`` in spec order, checks each
executed shape against the :class:`~convcalc.report.Report` (a difference raises
:class:`~convcalc.errors.RuntimeMismatch` naming the layer), records per-layer time and output
statistics, and frees every activation as soon as no later layer needs it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from convcalc import atomic, shapes
from convcalc.errors import LayerError, RuntimeMismatch, SpecError
from convcalc.layers.base import Weight
from convcalc.ops import jit
from convcalc.ops.elementwise import to_display
from convcalc.report import Report
from convcalc.runtime import fusion, inputs, memory, shards, weights
from convcalc.runtime.archives import Arrays, Member, open_arrays, write_npz
from convcalc.runtime.budget import check_memory
from convcalc.runtime.options import RunOptions
from convcalc.runtime.stats import summary
from convcalc.runtime.threads import blas_threads
from convcalc.shapes import Shape
from convcalc.spec.model import LayerSpec, Spec

__all__ = ["Execution", "LayerRun", "RunOptions", "RunResult", "execute", "save_activations"]

F32 = np.float32


@dataclass(frozen=True)
class LayerRun:
    """One layer's execution: shape per sample in the spec's data_format, median seconds, stats."""

    name: str
    executed_shape: Shape
    time_s: float
    mean: float
    std: float
    min: float
    max: float


@dataclass
class RunResult:
    batch: int
    seed: int
    passes: int  # timed passes (the median is over them)
    warmup: bool  # an untimed warm-up pass ran first
    layers: dict[str, LayerRun]
    forward_s: float  # median whole forward
    outputs: dict[str, np.ndarray]  # the model's outputs, batch first, in the spec's layout
    activations: dict[str, np.ndarray] = field(default_factory=dict)  # with keep_activations
    params: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # Keras layout
    threads: int = 1  # BLAS threads of the timed passes
    threading: str = ""  # how the timed passes used them (shards.SHARDS, SPLIT, BLAS or ONE)
    trials: dict[str, float] = field(default_factory=dict)  # the warm-up's pass seconds per way


Progress = Callable[[int, int, str], None]


class Execution:
    """A spec ready to run: weights and inputs are made once, each :meth:`forward` is one pass.

    The first pass checks every executed shape against the Report and records the output
    statistics (outside the timed region); every pass records per-layer times.
    """

    def __init__(
        self,
        spec: Spec,
        report: Report,
        opts: RunOptions | None = None,
        params: dict[str, dict[str, np.ndarray]] | None = None,
    ) -> None:
        """``params``: every layer's weights (Keras layout, float32) to use instead of
        creating or loading them (for the API and benchmarks); they are made read-only."""
        self.opts = opts = opts or RunOptions()
        memory.keep_freed_memory()  # each pass reuses the last one's pages
        self.spec, self.report = spec, report
        self.rows = {r.name: r for r in report.rows}
        self.layer_specs = [ls for ls in spec.layers if not ls.is_input]
        with contextlib.ExitStack() as files:
            arrays: Arrays | None = None
            members: dict[str, Member] = {}
            batch = opts.batch or 1
            if opts.input_arrays is not None:
                batch = next(iter(opts.input_arrays.values())).shape[0]
            elif opts.input_path is not None:
                arrays = files.enter_context(open_arrays(opts.input_path, "--input"))
                members, batch = inputs.members(spec, report, opts, arrays)
            if params is None:  # the estimate, before anything is allocated
                self.memory = check_memory(report, batch, opts)
            self.inputs = inputs.read(spec, report, opts, arrays, members)
        self.batch = next(iter(self.inputs.values())).shape[0] if self.inputs else batch
        weight_list: list[tuple[LayerSpec, list[Weight]]] = [
            (ls, list(self.rows[ls.name].weights)) for ls in self.layer_specs
        ]
        self.params = (
            params
            if params is not None
            else weights.build(
                weight_list,
                opts.seed,
                opts.weights_path,
                opts.weights_layout,
                opts.true_convolution,
                opts.weight_arrays,
            )
        )
        for layer_params in self.params.values():  # a pass only reads them, and derived
            for a in layer_params.values():  # kernels (Winograd's) are cached while they hold
                a.flags.writeable = False
        self.last_use: dict[str, int] = {}
        for i, ls in enumerate(self.layer_specs):
            for name in ls.inputs:
                self.last_use[name] = i
        self.times: dict[str, list[float]] = {ls.name: [] for ls in self.layer_specs}
        self.forward_times: list[float] = []
        self.stats: dict[str, tuple[float, float, float, float]] = {}
        self.shapes: dict[str, Shape] = {}
        self.saved: dict[str, np.ndarray] = {}
        self.outputs: dict[str, np.ndarray] = {}
        self._plan: fusion.Plan | None = None
        self._mode: str | None = None
        self.trials: dict[str, float] = {}  # tune()'s seconds of a pass in each mode

    def forward(self, progress: Progress | None = None, done: int = 0, total: int = 0) -> float:
        """One pass over every layer, recorded; returns its time (the sum of the layers' times,
        or with batch shards the pass's wall time). The first pass, which checks the shapes and
        takes the statistics, runs the whole batch on the calling thread, unfused; later ones
        use the threads as :attr:`mode` says (:mod:`convcalc.runtime.shards`)."""
        first = not self.forward_times
        elapsed, times = self._pass(None if first else self.mode, progress, done, total)
        for name, dt in times.items():
            self.times[name].append(dt)
        self.forward_times.append(elapsed)
        return elapsed

    @property
    def mode(self) -> str:
        """How the timed passes use the threads (``shards.SHARDS``, ``SPLIT``, ``BLAS``, ``ONE``;
        "" with one thread): what :meth:`tune` measured fastest, else the default."""
        if self._mode is None:
            found = shards.modes(self.batch)
            self._mode = found[0] if found else ""
        return self._mode

    @property
    def tuning_passes(self) -> int:
        """How many untimed passes :meth:`tune` runs at most (0 when there is nothing to
        choose)."""
        found = shards.modes(self.batch)
        return shards.trial_passes(len(found)) + 1 if len(found) > 1 else 0

    def tune(
        self, progress: Progress | None = None, done: int = 0, total: int = 0
    ) -> dict[str, float]:
        """The warm-up before timed passes (after the first pass): when there is more than one
        way to use the threads, rounds of two passes of each (:func:`shards.trials`, after one
        of the default's, which only warms its threads' buffers), and :attr:`mode` becomes the
        one with the fastest timed pass: a single pass of each let one contended pass pick the
        slower way (VGG16, batch 8, 2 threads on the Zen 4 VM: OpenBLAS's threads at 1.35x
        PyTorch's time instead of shards at 0.9x). Returns each way's fastest timed pass in
        seconds (empty when there was nothing to choose)."""
        if not self.forward_times:
            self.forward()
        found = shards.modes(self.batch)
        if len(found) < 2:
            return {}
        n, passes = len(self.layer_specs), itertools.count(1)
        self._pass(found[0], progress, done, total)
        self.trials = shards.trials(
            lambda m: self._pass(m, progress, done + next(passes) * n, total)[0], found
        )
        self._mode = min(found, key=self.trials.__getitem__)
        return self.trials

    def _pass(
        self, mode: str | None, progress: Progress | None = None, done: int = 0, total: int = 0
    ) -> tuple[float, dict[str, float]]:
        """One pass over every layer in ``mode`` (None: the first pass); its time and each
        layer's seconds, not recorded."""
        first = mode is None
        if mode == shards.SHARDS:
            elapsed, mean = self._sharded()
            if progress is not None:
                progress(done + len(self.layer_specs), total, self.layer_specs[-1].name)
            return elapsed, mean
        shards.release()  # this pass runs on this thread: the shards' buffers go
        cf = self.spec.channels_first
        keep_all = first and self.opts.keeps_activations
        if keep_all:
            self.saved.update({k: to_display(v, cf) for k, v in self.inputs.items()})

        def after(i: int, ls: LayerSpec, y: np.ndarray) -> None:
            if first:
                self._check(ls, y)
                if keep_all:
                    self.saved[ls.name] = to_display(y, cf)
            if progress is not None:
                progress(done + i + 1, total, ls.name)

        times: dict[str, float] = {}
        with shards.way(mode):
            acts = self._layers(dict(self.inputs), times, after, fuse=not first)
        if first:
            self.outputs = {name: to_display(acts[name], cf) for name in self.report.outputs}
        return sum(times.values()), times

    def _layers(
        self,
        acts: dict[str, np.ndarray],
        times: dict[str, float],
        after: Callable[[int, LayerSpec, np.ndarray], None] | None = None,
        fuse: bool = True,
        start: int = 0,
        stop: int | None = None,
    ) -> dict[str, np.ndarray]:
        """Every layer in spec order (or those from ``start`` to ``stop``) on ``acts`` (the
        inputs, batch first, or the activations alive at ``start``), each one's seconds into
        ``times``; every activation is freed after its last use. Returns the outputs (or the
        activations alive at ``stop``). With ``fuse``, element-wise layers run inside the
        convolution before them (:mod:`convcalc.runtime.fusion`; their own time is then 0)."""
        keep = set(self.report.outputs)
        plan = self._fused() if fuse else {}
        absorbed = {j for tail in plan.values() for j in tail}
        groups = self.siblings if fuse else {}
        joined = {j for g in groups.values() for j in g.members[1:]}
        for i in range(start, len(self.layer_specs) if stop is None else stop):
            ls = self.layer_specs[i]
            if i in absorbed:  # ran as the epilogue of a convolution before it
                times[ls.name] = 0.0
                continue
            if i in groups or i in joined:  # a 1x1 convolution beside others of its input
                if i in groups:
                    self._joined(groups[i], acts, times, after)
                self._free(acts, ls, i, keep)
                continue
            xs = [acts[name] for name in ls.inputs]
            t0 = time.perf_counter()
            try:
                if i in plan:
                    tail = plan[i]
                    shape = (xs[0].shape[0],) + tuple(self.rows[ls.name].shape)
                    fn = fusion.epilogue(self.layer_specs, tail, shape, self.params)
                    y = ls.layer.forward_then(xs, self.params[ls.name], fn)
                else:
                    y = ls.layer.forward(xs, self.params[ls.name])
            except LayerError as err:
                raise SpecError([ls.problem(err)]) from None
            times[ls.name] = time.perf_counter() - t0
            if i in plan:  # the output is the last fused layer's (the others are never made)
                ls = self.layer_specs[plan[i][-1]]
            if after is not None:
                after(i, ls, y)
            acts[ls.name] = y
            self._free(acts, self.layer_specs[i], i, keep)
        return acts

    def _joined(
        self,
        group: fusion.Siblings,
        acts: dict[str, np.ndarray],
        times: dict[str, float],
        after: Callable[[int, LayerSpec, np.ndarray], None] | None,
    ) -> None:
        """The 1x1 convolutions of ``group`` as one GEMM, their time shared by their widths."""
        t0 = time.perf_counter()
        ys = group.run(acts[group.source])
        dt = (time.perf_counter() - t0) / sum(group.widths)
        for i, end, y, w in zip(group.members, group.ends, ys, group.widths):
            times[self.layer_specs[i].name] = dt * w
            acts[self.layer_specs[end].name] = y
            if after is not None:
                after(i, self.layer_specs[end], y)

    def _free(self, acts: dict[str, np.ndarray], ls: LayerSpec, i: int, keep: set[str]) -> None:
        for name in set(ls.inputs):
            if self.last_use.get(name) == i and name not in keep:
                del acts[name]

    def _sharded(self) -> tuple[float, dict[str, float]]:
        """A pass in batch shards up to the vector head (:func:`shards.head`), whose layers
        then run on the whole batch, split over the same threads (a Dense layer by output
        units): its weights are read once instead of once per shard (VGG16's fc1 is 392 MiB
        for 8 rows). Not with OpenBLAS's threads: they would still be spinning when the next
        pass's shards start, on the cores the shards want."""
        cut = shards.head(self.layer_specs, self.rows, self._fused())

        def part(acts: dict[str, np.ndarray], times: dict[str, float]) -> dict[str, np.ndarray]:
            return self._layers(acts, times, stop=cut)

        elapsed, mean, parts = shards.run(part, self.inputs, shards.count(self.batch))
        if cut < len(self.layer_specs):
            acts = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
            t0 = time.perf_counter()
            with shards.splitting(shards.count(self.batch)):
                self._layers(acts, mean, start=cut)
            elapsed += time.perf_counter() - t0
        return elapsed, mean

    def _fused(self) -> fusion.Plan:
        if self._plan is None:
            self._plan = fusion.plan(self.layer_specs, self.report, self.params)
        return self._plan

    @functools.cached_property
    def siblings(self) -> dict[int, fusion.Siblings]:
        """The 1x1 convolutions that fused passes run side by side (:mod:`.fusion`)."""
        return fusion.siblings(self.layer_specs, self.report, self.params, self._fused())

    def _check(self, ls: LayerSpec, y: np.ndarray) -> None:
        cf = self.spec.channels_first
        executed = shapes.to_display(tuple(y.shape[1:]), cf)
        expected = self.rows[ls.name].output_shape
        if executed != expected or y.shape[0] != self.batch or y.dtype != F32:
            raise RuntimeMismatch(
                ls.loc,
                ls.describe(),
                f"executed output {(y.shape[0],) + executed} "
                f"({y.dtype}) differs from the analytic {(self.batch,) + tuple(expected)} "
                f"(float32); this is a bug in convcalc, please report it with the spec",
            )
        self.shapes[ls.name] = executed
        self.stats[ls.name] = summary(y)

    def result(self, warmup: bool) -> RunResult:
        """Medians over the passes (without the first one when it was a warm-up)."""
        timed = slice(1, None) if warmup and len(self.forward_times) > 1 else slice(None)
        layers: dict[str, LayerRun] = {}
        for r in self.report.rows:  # in the report's order, inputs included
            if r.is_input:
                layers[r.name] = LayerRun(
                    r.name, tuple(r.output_shape), 0.0, *summary(self.inputs[r.name])
                )
            else:
                layers[r.name] = LayerRun(
                    r.name,
                    self.shapes[r.name],
                    statistics.median(self.times[r.name][timed]),
                    *self.stats[r.name],
                )
        return RunResult(
            self.batch,
            self.opts.seed,
            len(self.forward_times[timed]),
            warmup,
            layers,
            statistics.median(self.forward_times[timed]),
            self.outputs,
            self.saved,
            self.params if self.opts.keeps_activations else {},
            blas_threads(),
            self.mode if len(self.forward_times) > 1 else "",
            dict(self.trials),
        )


def execute(
    spec: Spec, report: Report, opts: RunOptions | None = None, progress: Progress | None = None
) -> RunResult:
    """Run ``spec`` (already analysed into ``report``): one pass, or with ``opts.repeat`` a
    warm-up and that many timed passes. Returns times, statistics and outputs."""
    ex = Execution(spec, report, opts)
    passes = 1 if ex.opts.repeat is None else ex.opts.repeat + 1
    tuning = ex.tuning_passes if passes > 1 else 0
    n = len(ex.layer_specs)
    total = (passes + tuning) * n  # (the progress bar counts the warm-up's passes too)
    with jit.for_passes(passes):  # numba's start-up is worth it for repeated passes only
        ex.forward(progress, 0, total)
        if passes > 1:
            ex.tune(progress, n, total)
        for p in range(1, passes):
            ex.forward(progress, (p + tuning) * n, total)
    return ex.result(warmup=passes > 1)


def save_activations(result: RunResult, path: Path, force: bool) -> None:
    """Write every layer's activation (batch first, spec layout) to ``path`` (.npz), atomically:
    an interrupted write leaves no partial file."""
    RunOptions(output=path, force=force).check_output()
    with atomic.replacing(path) as fh:
        write_npz(fh, result.activations)
