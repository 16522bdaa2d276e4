"""Batch shards give the unsharded forward's outputs exactly, for every split of the batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from convcalc import analyze, load_spec
from convcalc.runtime import shards
from convcalc.runtime.executor import Execution, RunOptions
from convcalc.runtime.threads import blas_threads, single_blas

SPEC = """\
name: sharded
input: [12, 11, 3]
layers:
  - Conv2D: {name: c1, filters: 8, kernel_size: 3, strides: 2, padding: same, use_bias: false}
  - BatchNormalization: {name: bn1}
  - ReLU: {name: r1, max_value: 6}
  - DepthwiseConv2D: {name: dw, kernel_size: 3, padding: same}
  - Conv2D: {name: pw, filters: 8, kernel_size: 1, activation: relu}
  - Conv2D: {name: c3, filters: 8, kernel_size: 3, padding: same}
  - Add: {name: add, inputs: [pw, c3]}
  - MaxPooling2D: {name: pool, pool_size: 2}
  - GlobalAveragePooling2D: {name: gap}
  - Dense: {name: fc, units: 5, activation: softmax}
"""


@pytest.fixture()
def execution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Execution:
    from convcalc.ops.base import TUNING

    monkeypatch.setattr(TUNING, "winograd_min_channels", 1)  # c3 by Winograd

    monkeypatch.setattr(TUNING, "winograd_min_channels_compiled", 1)
    monkeypatch.setattr(TUNING, "winograd_min_tiles", 1)
    path = tmp_path / "sharded.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=7, keep_activations=True))
    ex.forward()  # the first pass: unsharded, keeps every activation
    return ex


@pytest.mark.parametrize("k", [2, 3, 7])
def test_shards_give_the_unsharded_outputs(execution: Execution, k: int) -> None:
    by_start: dict[int, dict[str, np.ndarray]] = {}  # each shard's outputs, by its first sample

    def layers(acts: dict[str, np.ndarray], times: dict[str, float]) -> dict[str, np.ndarray]:
        saved: dict[str, np.ndarray] = {}
        by_start[acts["input_1"].ctypes.data] = saved
        # (a copy: a later layer may work in place on its input)
        return execution._layers(
            acts, times, lambda i, ls, y: saved.__setitem__(ls.name, y.copy()), fuse=False
        )

    elapsed, times, _ = shards.run(layers, execution.inputs, k)
    assert elapsed > 0 and set(times) == {ls.name for ls in execution.layer_specs}
    outs = [by_start[a] for a in sorted(by_start)]
    assert len(outs) == k
    for name, whole in execution.saved.items():
        if name == "input_1":
            continue
        np.testing.assert_array_equal(np.concatenate([o[name] for o in outs]), whole, name)


def test_sharded_passes_are_timed_like_the_others(
    execution: Execution, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVCALC_SHARDS", "3")
    assert shards.count(7) == 3 and shards.count(2) == 2 and shards.count(1) == 1
    execution.forward()
    assert len(execution.forward_times) == 2
    assert all(len(t) == 2 for t in execution.times.values())
    result = execution.result(warmup=True)
    assert result.forward_s == execution.forward_times[1]
    monkeypatch.setenv("CONVCALC_SHARDS", "1")
    assert shards.count(7) == 1


def test_single_blas_restores_the_thread_count() -> None:
    before = blas_threads()
    with single_blas():
        assert blas_threads() == 1
    assert blas_threads() == before


def test_split_layers_give_the_whole_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of one with every layer split over the workers (GEMMs included), OpenBLAS at
    one thread: every layer's output exactly as in the first, unsplit pass."""
    from convcalc.ops.base import TUNING, WORKERS

    monkeypatch.setattr(TUNING, "winograd_min_channels", 1)

    monkeypatch.setattr(TUNING, "winograd_min_channels_compiled", 1)
    monkeypatch.setattr(TUNING, "winograd_min_tiles", 1)
    monkeypatch.setattr(TUNING, "parallel_min", 4)
    monkeypatch.setattr(TUNING, "chunk", 64)
    monkeypatch.setattr(TUNING, "im2col_slab", 16)
    path = tmp_path / "split.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=1, keep_activations=True))
    ex.forward()
    saved: dict[str, np.ndarray] = {}
    with shards.splitting(3):
        assert WORKERS.gemms and blas_threads() == 1
        ex._layers(
            dict(ex.inputs), {}, lambda i, ls, y: saved.__setitem__(ls.name, y.copy()), fuse=False
        )
    assert not WORKERS.gemms
    for name, y in saved.items():
        np.testing.assert_array_equal(y, ex.saved[name], name)
    monkeypatch.setattr(shards, "blas_threads", lambda: 3)
    monkeypatch.setenv("CONVCALC_SPLIT", "1")
    assert ex.mode == shards.SPLIT
    ex.forward()  # a split pass
    assert len(ex.forward_times) == 2


def test_the_ways_to_use_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVCALC_SPLIT", raising=False)
    monkeypatch.delenv("CONVCALC_SHARDS", raising=False)
    monkeypatch.setattr(shards, "blas_threads", lambda: 1)
    assert shards.modes(1) == [] and shards.modes(8) == []
    monkeypatch.setattr(shards, "blas_threads", lambda: 2)
    assert shards.modes(1) == [shards.SPLIT, shards.BLAS, shards.ONE]  # measured by tune()
    assert shards.modes(8) == [shards.SHARDS, shards.BLAS]
    monkeypatch.setenv("CONVCALC_SPLIT", "0")
    assert shards.modes(1) == [shards.BLAS]
    monkeypatch.setenv("CONVCALC_SPLIT", "1")
    assert shards.modes(1) == [shards.SPLIT]
    monkeypatch.setenv("CONVCALC_SHARDS", "1")
    assert shards.modes(8) == [shards.BLAS]
    monkeypatch.setenv("CONVCALC_SHARDS", "2")
    assert shards.modes(8) == [shards.SHARDS]
    for junk in ("abc", "0", "-1"):  # not a count: measured as if unset
        monkeypatch.setenv("CONVCALC_SHARDS", junk)
        assert shards.modes(8) == [shards.SHARDS, shards.BLAS] and shards.count(8) == 2


def test_tune_times_the_faster_way_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up passes of tune() are untimed; the timed passes then run in the way whose
    trial pass was the faster, and give the first pass's outputs."""
    from convcalc.runtime import executor

    monkeypatch.delenv("CONVCALC_SPLIT", raising=False)
    monkeypatch.setattr(shards, "blas_threads", lambda: 2)
    monkeypatch.setattr(executor, "blas_threads", lambda: 2)
    path = tmp_path / "tune.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=1))
    ex.forward()
    trials = ex.tune()
    assert set(trials) == {shards.SPLIT, shards.BLAS, shards.ONE}
    assert all(t > 0 for t in trials.values())
    assert ex.mode == min(trials, key=trials.__getitem__)
    assert len(ex.forward_times) == 1 and all(len(t) == 1 for t in ex.times.values())
    ex.forward()
    result = ex.result(warmup=True)
    assert result.threading == ex.mode and result.trials == trials and result.threads == 2
    monkeypatch.setattr(shards, "blas_threads", lambda: 1)
    one = Execution(spec, analyze(spec), RunOptions(batch=1))
    assert one.tune() == {} and one.mode == "" and len(one.forward_times) == 1


def test_one_contended_trial_pass_does_not_choose_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each way gets two trial passes and is judged by its faster one: a way whose first trial
    was slowed by a neighbour (3 s) but whose second is the fastest of all is chosen."""
    from convcalc.runtime import executor

    monkeypatch.delenv("CONVCALC_SPLIT", raising=False)
    monkeypatch.setattr(shards, "blas_threads", lambda: 2)
    path = tmp_path / "tune.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=1))
    ex.forward()
    order: list[str | None] = []
    # the default's warm-up; then per round each way twice, the second pass timed (the untimed
    # ones, 9.0 and 0.1, must not count)
    scripted = iter([0.0, 9.0, 3.0, 0.1, 1.0, 0.1, 0.9, 0.1, 0.5, 0.1, 1.2, 0.1, 0.8])

    def fake_pass(mode: str | None, *args: object) -> tuple[float, dict[str, float]]:
        order.append(mode)
        return next(scripted), {}

    monkeypatch.setattr(executor.Execution, "_pass", lambda self, m, *a: fake_pass(m, *a))
    assert ex.tune() == {shards.SPLIT: 0.5, shards.BLAS: 1.0, shards.ONE: 0.8}
    ways = [shards.SPLIT, shards.BLAS, shards.ONE]
    twice = [m for m in ways for _ in (0, 1)]
    assert order == [shards.SPLIT, *twice, *twice]
    assert ex.mode == shards.SPLIT and ex.tuning_passes == 25  # at most: 4 rounds


def test_a_light_network_gets_more_trial_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Passes of milliseconds: rounds go on past the two while the trials took under
    shards.TRIAL_SECONDS, up to four, so a way slowed by a neighbour in the first two rounds
    (OpenBLAS's threads: 30 ms) but the fastest after (10 ms) is still chosen."""
    from convcalc.runtime import executor

    monkeypatch.delenv("CONVCALC_SPLIT", raising=False)
    monkeypatch.setattr(shards, "blas_threads", lambda: 2)
    path = tmp_path / "tune.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=1))
    ex.forward()
    per_round = {shards.SPLIT: [20, 20, 21, 20], shards.BLAS: [30, 30, 10, 11]}
    per_round[shards.ONE] = [25, 25, 25, 25]
    seen: dict[str, int] = {}
    order: list[str | None] = []

    def fake_pass(mode: str | None, *args: object) -> tuple[float, dict[str, float]]:
        order.append(mode)
        if len(order) == 1:
            return 0.0, {}  # the default's warm-up
        k = seen[mode] = seen.get(mode, -1) + 1  # type: ignore[index]
        return per_round[mode][k // 2] / 1000, {}  # type: ignore[index]

    monkeypatch.setattr(executor.Execution, "_pass", lambda self, m, *a: fake_pass(m, *a))
    assert ex.tune() == {shards.SPLIT: 0.020, shards.BLAS: 0.010, shards.ONE: 0.025}
    assert len(order) == 1 + 4 * 2 * 3 and ex.mode == shards.BLAS


def test_a_single_thread_is_a_way_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """When neither split layers nor OpenBLAS's threads beat one thread (a slow second core,
    layers too small), the timed passes run with OpenBLAS at one thread and no op workers."""
    from convcalc.ops.base import WORKERS

    seen: list[int] = []
    monkeypatch.setattr(shards, "blas_threads", lambda: 2)
    monkeypatch.setattr(shards, "single_blas", lambda: _recording(seen))
    with shards.way(shards.ONE):
        assert WORKERS.n == 1 and not WORKERS.gemms and WORKERS.gemm_threads == 1
    assert seen == [1]
    with shards.way(shards.BLAS):
        assert WORKERS.gemm_threads == 2
    with shards.way(None):
        assert WORKERS.gemm_threads == 1 and not WORKERS.gemms


@contextmanager
def _recording(seen: list[int]) -> Iterator[None]:
    seen.append(1)
    yield


def test_the_vector_head_runs_on_the_whole_batch(
    execution: Execution, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch shards stop where every output is one vector per sample (here the global pooling
    and the Dense layer after it); the shards' activations are joined and the head runs once
    on the whole batch, with the unsharded pass's outputs."""
    names = [ls.name for ls in execution.layer_specs]
    cut = shards.head(execution.layer_specs, execution.rows, execution._fused())
    assert names[cut:] == ["gap", "fc"]
    assert shards.head(execution.layer_specs, execution.rows, {cut - 1: (cut,)}) == cut + 1
    seen: list[dict[str, np.ndarray]] = []
    whole = execution._layers

    def layers(acts: dict[str, np.ndarray], times: dict[str, float], *a, **kw):  # type: ignore[no-untyped-def]
        out = whole(acts, times, *a, **kw)
        if kw.get("start"):
            seen.append({n: y.copy() for n, y in out.items()})
        return out

    monkeypatch.setattr(execution, "_layers", layers)
    monkeypatch.setenv("CONVCALC_SHARDS", "3")
    elapsed, times = execution._sharded()
    assert elapsed > 0 and set(times) == set(names)
    (outputs,) = seen
    np.testing.assert_array_equal(outputs["fc"], execution.outputs["fc"])


def test_openblas_passes_tell_the_ops_that_gemms_are_threaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass with OpenBLAS's threads runs its layers inside WORKERS.threaded_gemms(n) (the
    Winograd choice weighs its unthreaded transforms by it); the other ways do not."""
    from convcalc.ops.base import WORKERS
    from convcalc.runtime import executor

    monkeypatch.setattr(executor, "blas_threads", lambda: 2)
    path = tmp_path / "blas.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=1))
    seen: list[int] = []
    layers = ex._layers

    def spy(*args: object, **kw: object) -> object:
        seen.append(WORKERS.gemm_threads)
        return layers(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ex, "_layers", spy)
    ex._pass(shards.BLAS)
    ex._pass(None)
    assert seen == [2, 1] and WORKERS.gemm_threads == 1


def test_winograd_needs_more_channels_beside_threaded_gemms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beside OpenBLAS-threaded GEMMs a 3x3 convolution takes Winograd only from
    TUNING.winograd_min_channels_blas channels (its NumPy transforms run on one thread), with
    the values of the direct sum either way; with the compiled transforms, from
    TUNING.winograd_min_channels_compiled at any thread count."""
    from convcalc.ops import conv
    from convcalc.ops.base import TUNING, WORKERS

    monkeypatch.setattr(TUNING, "winograd_min_tiles", 1)
    monkeypatch.setattr(TUNING, "winograd_min_channels_compiled", 6)
    monkeypatch.setattr(TUNING, "winograd_min_channels", 4)
    monkeypatch.setattr(TUNING, "winograd_min_channels_blas", 8)
    calls: list[int] = []
    real = conv.winograd3x3  # type: ignore[attr-defined]

    def counted(x: np.ndarray, *args: object) -> np.ndarray:
        calls.append(x.shape[-1])
        return real(x, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(conv, "winograd3x3", counted)
    rng = np.random.default_rng(0)
    for jit, c in [(False, 4), (False, 8), (True, 4), (True, 8)]:
        monkeypatch.setattr(TUNING, "jit", jit)
        x = rng.standard_normal((1, 6, 5, c)).astype(np.float32)
        w = rng.standard_normal((3, 3, c, 3)).astype(np.float32)
        xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))).astype(np.float64)
        ref = sum(
            np.einsum("nhwc,cf->nhwf", xp[:, i : i + 6, j : j + 5], w[i, j].astype(np.float64))
            for i in range(3)
            for j in range(3)
        )
        for threads in (1, 2):
            with WORKERS.threaded_gemms(threads):
                y = conv.conv(x, w, None, (6, 5), (1, 1), (1, 1), [(1, 1), (1, 1)])
            np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    # NumPy's: 4 channels by Winograd only with an unthreaded BLAS; compiled: 8, not 4
    assert calls == [4, 8, 8, 8, 8]


def _scratch_of_shard_threads() -> list[int]:
    """The scratch bytes each shard thread holds (one task per thread, met at a barrier)."""
    import threading

    from convcalc.ops.base import SCRATCH

    pool = shards._POOL[0]
    k = pool._max_workers
    met = threading.Barrier(k)

    def held() -> int:
        n = sum(b.nbytes for b in SCRATCH._bufs.values())
        met.wait(timeout=10)
        return n

    return [f.result() for f in [pool.submit(held) for _ in range(k)]]


def test_a_pass_on_this_thread_frees_the_shards_buffers(
    execution: Execution, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shard threads keep their scratch from pass to pass; a pass that runs on this
    thread (another way to use the threads) frees it first, so that the two ways' buffers are
    never held at once."""
    monkeypatch.setenv("CONVCALC_SHARDS", "2")
    execution._pass(shards.SHARDS)
    assert any(_scratch_of_shard_threads())  # (a thread may have run both shards)
    execution._pass(shards.BLAS)
    assert not any(_scratch_of_shard_threads())
    shards.release()  # nothing held: a no-op
    execution._pass(shards.SHARDS)
    assert any(_scratch_of_shard_threads())
