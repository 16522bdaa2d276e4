"""The compiled depthwise kernel (convcalc.ops.jit, numba from the test extras) against the
loop reference of test_forward_reference (PyTorch's grouped-convolution definition written
out), over kernel sizes, strides, dilations, asymmetric pads and every padding mode; and the
NumPy fallback when numba is missing or switched off."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcalc.ops import jit
from convcalc.ops.base import TUNING, WORKERS
from convcalc.ops.depthwise import depthwise
from tests.layers.test_forward_reference import rand, ref_depthwise


@st.composite
def cases(draw):
    sizes = st.sampled_from([1, 2, 3, 5])  # each size pair is compiled once (about 0.5 s)
    k = [draw(sizes), draw(sizes)]
    s = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    d = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    n = [draw(st.integers(1, 9)), draw(st.integers(1, 9))]
    most = 3 if mode == "zeros" else 1  # PyTorch: reflect and circular pads < the input size
    pads = [(draw(st.integers(0, most)), draw(st.integers(0, most))) for _ in range(2)]
    if mode != "zeros":
        pads = [(min(b, m - 1), min(a, m - 1)) for (b, a), m in zip(pads, n)]
    out = [
        (m + b + a - dd * (kk - 1) - 1) // ss + 1 for m, (b, a), kk, ss, dd in zip(n, pads, k, s, d)
    ]
    if min(out) < 1:
        out = None
    return {
        "k": k, "s": s, "d": d, "n": n, "pads": pads, "out": out, "mode": mode,
        "c": draw(st.integers(1, 40)), "batch": draw(st.integers(1, 3)),
        "bias": draw(st.booleans()), "relu": draw(st.booleans()),
    }  # fmt: skip


def run_case(case):
    x = rand(case["batch"], *case["n"], case["c"])
    w = rand(*case["k"], case["c"], 1)
    b = rand(case["c"]) if case["bias"] else None
    want = ref_depthwise(x, w, b, case["s"], case["d"], case["pads"], case["mode"])
    f32 = (None if a is None else a.astype(np.float32) for a in (x, w, b))
    act = (lambda v: np.maximum(v, 0, out=v)) if case["relu"] else None
    if act is not None:
        act.elementwise = True  # type: ignore[attr-defined]
        want = np.maximum(want, 0)
    got = depthwise(*f32, case["out"], case["s"], case["d"], case["pads"], case["mode"], act)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch):
    """Counts the calls of the compiled kernels (numba is in the test extras: no skipping)."""
    calls: list[tuple[int, int]] = []
    real = jit.depthwise2d

    def counting(kh: int, kw: int):
        fn = real(kh, kw)
        assert fn is not None, jit.status()

        def wrapped(*args):
            calls.append((kh, kw))
            fn(*args)

        return wrapped

    monkeypatch.setattr("convcalc.ops.depthwise.depthwise2d", counting)
    return calls


@settings(
    max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases())
def test_compiled_depthwise_matches_the_reference(spy, case) -> None:
    if case["out"] is None:
        return
    run_case(case)
    assert spy, "the compiled kernel did not run"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases())
def test_compiled_depthwise_in_blocks_over_workers(spy, monkeypatch, case) -> None:
    """Blocks of one row, or part of one, split over three workers: the same values."""
    if case["out"] is None:
        return
    monkeypatch.setattr(TUNING, "depthwise_block", 8)
    monkeypatch.setattr(TUNING, "parallel_min", 4)
    old = WORKERS.n
    WORKERS.set(3)
    try:
        run_case(case)
    finally:
        WORKERS.set(old)


def test_mobilenet_layer_compiled_equals_the_numpy_path(monkeypatch) -> None:
    """A MobileNet-sized layer (112x112x32, 3x3, 'same'): compiled and NumPy agree to float32
    rounding (the taps summed in the same order, the bias first instead of last)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 112, 112, 32), dtype=np.float32)
    w = rng.standard_normal((3, 3, 32, 1), dtype=np.float32)
    b = rng.standard_normal(32, dtype=np.float32)
    args = ((112, 112), (1, 1), (1, 1), ((1, 1), (1, 1)))
    compiled = depthwise(x, w, b, *args)
    monkeypatch.setattr(TUNING, "jit", False)
    numpy_path = depthwise(x, w, b, *args)
    np.testing.assert_allclose(compiled, numpy_path, rtol=1e-5, atol=2e-6)
    # the corner output by hand: taps (1..2, 1..2) of the 3x3 window are inside the input
    corner = b[5] + sum(x[0, i - 1, j - 1, 5] * w[i, j, 5, 0] for i in (1, 2) for j in (1, 2))
    assert compiled[0, 0, 0, 5] == pytest.approx(corner, rel=1e-5)


def test_status_names_what_runs_the_taps(monkeypatch) -> None:
    assert jit.status().startswith("numba ")
    monkeypatch.setattr(TUNING, "jit", False)
    assert jit.status() == "NumPy (compiled kernels switched off)"
    assert jit.depthwise2d(3, 3) is None


def test_without_numba_the_numpy_path_runs(monkeypatch) -> None:
    """numba missing (or unusable against this NumPy): no kernel, the NumPy path's values."""
    monkeypatch.setattr(jit, "_NUMBA", [None])
    monkeypatch.setattr(jit, "_KERNELS", {})
    assert jit.depthwise2d(3, 3) is None
    assert jit.status() == "NumPy (numba is not installed)"
    case = {
        "k": [3, 3], "s": [2, 1], "d": [1, 2], "n": [7, 8], "pads": [(1, 1), (2, 2)],
        "out": [4, 8], "mode": "zeros", "c": 5, "batch": 2, "bias": True, "relu": True,
    }  # fmt: skip
    run_case(case)


def test_a_failing_compile_falls_back(monkeypatch) -> None:
    """numba present but the kernel does not compile (or computes nonsense): None, no error."""

    class Broken:
        class config:
            DISABLE_JIT = False

        __version__ = "0"

        @staticmethod
        def njit(**_options):
            def compile_(fn):
                def run(*_args):
                    raise RuntimeError("LLVM failed")

                return run

            return compile_

    monkeypatch.setattr(jit, "_NUMBA", [Broken])
    monkeypatch.setattr(jit, "_KERNELS", {})
    assert jit.depthwise2d(3, 3) is None


def test_kernels_of_more_than_max_taps_use_numpy() -> None:
    """Up to 7x7 (ConvNeXt) compiled; beyond, the unrolled taps would compile for long."""
    assert jit.MAX_TAPS == 49
    assert jit.depthwise2d(7, 7) is not None
    assert jit.depthwise2d(1, 50) is None
    assert jit.depthwise2d(9, 9) is None


@pytest.mark.parametrize(
    ("repeat", "env", "compiled"),
    [(None, None, False), (1, None, True), (None, "1", True), (3, "0", False)],
)
def test_a_single_pass_leaves_the_depthwise_to_numpy(monkeypatch, repeat, env, compiled) -> None:
    """numba's start-up (about 0.5 s) outweighs what one forward saves: `convcalc run`
    without --repeat keeps NumPy unless CONVCALC_JIT=1; CONVCALC_JIT=0 never compiles."""
    from convcalc import analyze
    from convcalc.analysis import parse_spec
    from convcalc.runtime.executor import execute
    from convcalc.runtime.options import RunOptions

    if env is None:
        monkeypatch.delenv("CONVCALC_JIT", raising=False)
    else:
        monkeypatch.setenv("CONVCALC_JIT", env)
    monkeypatch.setattr(TUNING, "jit", env != "0")  # as the environment sets it at start-up
    ran: list[bool] = []
    real = jit.depthwise2d
    monkeypatch.setattr(
        "convcalc.ops.depthwise.depthwise2d", lambda kh, kw: ran.append(real(kh, kw) is not None)
    )
    spec = parse_spec(
        "layers:\n  - InputLayer: {shape: [9, 9, 4]}\n"
        "  - DepthwiseConv2D: {kernel_size: 3, padding: same}\n",
        "dw.yaml",
    )
    execute(spec, analyze(spec), RunOptions(repeat=repeat))
    assert ran and all(r == compiled for r in ran)
    assert TUNING.jit == (env != "0")  # restored after the run


@pytest.mark.parametrize(("k", "width", "c"), [(5, 28, 24), (5, 27, 17), (7, 14, 8), (5, 6, 3)])
def test_wide_kernels_two_columns_at_a_time_sum_as_written(k, width, c) -> None:
    """5x5 and 7x7 kernels at stride 1 compute two output columns at a time (sharing each
    weight load; the last column of an odd run alone). Every interior output is exactly the
    float32 sum taken in the written order: bias, then tap (0, 0), (0, 1), ... each product
    rounded and added, here recomputed pixel by pixel in NumPy scalars."""
    rng = np.random.default_rng(k * width + c)
    x = rng.standard_normal((1, 10, width, c), dtype=np.float32)
    w = rng.standard_normal((k, k, c, 1), dtype=np.float32)
    b = rng.standard_normal(c, dtype=np.float32)
    p = k // 2
    got = depthwise(x, w, b, (10, width), (1, 1), (1, 1), ((p, p), (p, p)))
    rows = range(p, 10 - p)
    cols = range(p, width - p)  # the interior: every tap inside, the paired columns
    for h in rows:
        for col in cols:
            for ch in (0, c - 1):
                acc = b[ch]
                for i in range(k):
                    for j in range(k):
                        acc = np.float32(acc + x[0, h - p + i, col - p + j, ch] * w[i, j, ch, 0])
                assert got[0, h, col, ch] == acc, (h, col, ch)
    want = ref_depthwise(x, w, b, (1, 1), (1, 1), ((p, p), (p, p)), "zeros")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
