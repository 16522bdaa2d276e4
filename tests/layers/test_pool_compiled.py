"""The compiled 2-D pooling kernel (convcalc.ops.jit.pool2d, numba from the test extras)
against the loop reference of test_forward_reference (PyTorch's max_pool2d / avg_pool2d loops
written out), over windows, strides, dilations, padding, ceil_mode overhangs, include_pad and
channel counts that leave vector tails; NaN and infinities as PyTorch treats them; and the
NumPy path it replaces, which stays the fallback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convcalc.ops import jit, pool
from convcalc.ops.base import TUNING, WORKERS
from tests.layers.test_forward_reference import ref_pool


def geometry(n, k, s, d, p, ceil):
    """PyTorch's output size per axis (the ceil_mode rule that the last window starts inside
    the input or its left padding) and the pads the ops take, as the layers give them: the
    declared ones (the overhang follows from the output size)."""
    out, pads = [], []
    for nn, kk, ss, dd, pp in zip(n, k, s, d, p):
        span = dd * (kk - 1) + 1
        o = (nn + 2 * pp - span + (ss - 1 if ceil else 0)) // ss + 1
        if ceil and (o - 1) * ss >= nn + pp:
            o -= 1
        out.append(o)
        pads.append((pp, pp))
    return out, pads


@st.composite
def cases(draw):
    op = draw(st.sampled_from(["max", "avg"]))
    k = [draw(st.sampled_from([1, 2, 3])), draw(st.sampled_from([1, 2, 3]))]
    s = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    d = [draw(st.integers(1, 2)), draw(st.integers(1, 2))] if op == "max" else [1, 1]
    n = [draw(st.integers(dd * (kk - 1) + 1, 9)) for dd, kk in zip(d, k)]
    p = [draw(st.integers(0, kk // 2)) for kk in k]
    ceil = draw(st.booleans())
    return {
        "op": op, "k": k, "s": s, "d": d, "n": n, "p": p, "ceil": ceil,
        "include": draw(st.booleans()), "c": draw(st.integers(1, 40)),
        "batch": draw(st.integers(1, 3)),
    }  # fmt: skip


def run_case(case, x=None):
    k, s, d, n = case["k"], case["s"], case["d"], case["n"]
    out, pads = geometry(n, k, s, d, case["p"], case["ceil"])
    if x is None:
        rng = np.random.default_rng(len(str(case)))
        x = rng.standard_normal((case["batch"], *n, case["c"])).astype(np.float32)
    sym = [(pp, pp) for pp in case["p"]]
    want = ref_pool(x.astype(np.float64), case["op"], k, s, d, sym, case["ceil"], case["include"])
    if case["op"] == "max":
        got = pool.max_pool(x, k, s, d, pads, out)
    else:
        got = pool.avg_pool(x, k, s, pads, out, case["include"])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    return got


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch):
    """Counts the calls of the compiled kernel (numba is in the test extras: no skipping)."""
    calls: list[tuple[int, int, str]] = []
    real = jit.pool2d

    def counting(kh: int, kw: int, op: str):
        fn = real(kh, kw, op)
        assert fn is not None, jit.status()

        def wrapped(*args):
            calls.append((kh, kw, op))
            fn(*args)

        return wrapped

    monkeypatch.setattr("convcalc.ops.pool.pool2d", counting)
    return calls


def _case(op="max", k=3, s=2, d=1, n=7, p=1, ceil=False, include=True, c=5, batch=1):
    return {
        "op": op, "k": [k, k], "s": [s, s], "d": [d, d], "n": [n, n], "p": [p, p],
        "ceil": ceil, "include": include, "c": c, "batch": batch,
    }  # fmt: skip


QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=80, deadline=None, suppress_health_check=QUIET)
@given(cases())
@example(_case(k=3, s=2, n=112, p=0, ceil=True, c=17)).via("GoogLeNet's maxpool1, ceil_mode")
@example(_case(op="avg", k=3, s=1, n=9, p=1, include=False, c=33)).via("Keras 'same' average")
@example(_case(op="avg", k=2, s=2, n=5, p=1, ceil=True)).via("pytorch#116420's overhang")
def test_compiled_pooling_matches_the_reference(spy, case) -> None:
    run_case(case)
    assert spy, "the compiled kernel did not run"


@settings(max_examples=25, deadline=None, suppress_health_check=QUIET)
@given(cases())
def test_compiled_pooling_rows_over_workers(spy, monkeypatch, case) -> None:
    """Output rows split over three workers, slabs of one row: the same values."""
    monkeypatch.setattr(TUNING, "parallel_min", 1)
    old = WORKERS.n
    WORKERS.set(3)
    try:
        run_case(case)
    finally:
        WORKERS.set(old)


def test_a_3x3_stride_2_max_pool_by_hand() -> None:
    """4x4 input 0..15 (one channel), 3x3 windows, stride 2, padding 1: windows centred on
    (0,0), (0,2), (2,0), (2,2); each max is the window's bottom-right element inside the input:
    x[1,1] = 5, x[1,3] = 7, x[3,1] = 13, x[3,3] = 15. The average with the padding counted
    divides the top-left window's 0+1+4+5 = 10 by 9; without it, by 4."""
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    pads = [(1, 1), (1, 1)]
    got = pool.max_pool(x, (3, 3), (2, 2), (1, 1), pads, (2, 2))
    assert got[0, :, :, 0].tolist() == [[5, 7], [13, 15]]
    with_pad = pool.avg_pool(x, (3, 3), (2, 2), pads, (2, 2), True)
    without = pool.avg_pool(x, (3, 3), (2, 2), pads, (2, 2), False)
    assert with_pad[0, 0, 0, 0] == pytest.approx(10 / 9)
    assert without[0, 0, 0, 0] == pytest.approx(10 / 4)
    # the bottom-right window: rows 1..3, columns 1..3, all inside: (5+6+7+9+10+11+13+14+15)/9
    assert with_pad[0, 1, 1, 0] == pytest.approx(90 / 9)


@pytest.mark.parametrize("where", [(0, 0), (3, 4), (6, 6)])  # a corner, the interior, the end
def test_a_nan_in_a_window_is_its_max(spy, where) -> None:
    """PyTorch's max_pool2d propagates NaN (`val > maxval || isnan(val)`): every window holding
    the NaN is NaN and no other is; +inf beside -inf is +inf (their sum is NaN, not a NaN tap)."""
    case = _case(k=3, s=1, n=7, p=1, c=19)
    x = np.random.default_rng(5).standard_normal((1, 7, 7, 19)).astype(np.float32)
    x[0, where[0], where[1], 3] = np.nan
    x[0, 2, 2, 8], x[0, 2, 3, 8] = np.inf, -np.inf
    got = pool.max_pool(x, (3, 3), (1, 1), (1, 1), [(1, 1), (1, 1)], (7, 7))
    i, j = where
    near = np.zeros((7, 7), bool)
    near[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2] = True
    assert (np.isnan(got[0, :, :, 3]) == near).all()
    assert not np.isnan(np.delete(got, 3, axis=-1)).any()
    assert got[0, 2, 2, 8] == np.inf and got[0, 3, 3, 8] == np.inf
    assert spy and case["op"] == "max"


def test_the_numpy_path_gives_the_same_values(monkeypatch) -> None:
    """Inception v3's 3x3/1 'same' average (35x35x192) and GoogLeNet's 3x3/2 ceil_mode max
    (112x112x64): the compiled kernel and the NumPy path (one axis at a time) agree to float32
    rounding; the max exactly (no arithmetic)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 35, 35, 192), dtype=np.float32)
    avg = ((3, 3), (1, 1), [(1, 1), (1, 1)], (35, 35), False)
    m = rng.standard_normal((1, 112, 112, 64), dtype=np.float32)
    mx = ((3, 3), (2, 2), (1, 1), [(0, 0), (0, 0)], (56, 56))
    compiled = pool.avg_pool(x, *avg), pool.max_pool(m, *mx)
    monkeypatch.setattr(TUNING, "jit", False)
    numpy_path = pool.avg_pool(x, *avg), pool.max_pool(m, *mx)
    np.testing.assert_allclose(compiled[0], numpy_path[0], rtol=1e-6, atol=1e-6)
    assert np.array_equal(compiled[1], numpy_path[1])
    assert compiled[1][0, 55, 55, 7] == m[0, 110:112, 110:112, 7].max()  # the overhang window


def test_without_numba_or_beyond_max_taps_numpy_pools(monkeypatch) -> None:
    """Windows of more than MAX_TAPS taps, and no numba: no kernel, the NumPy path's values."""
    assert jit.pool2d(7, 8, "max") is None
    assert jit.pool2d(7, 7, "avg") is not None
    monkeypatch.setattr(jit, "_NUMBA", [None])
    monkeypatch.setattr(jit, "_KERNELS", {})
    assert jit.pool2d(3, 3, "max") is None
    run_case(_case(k=3, s=2, n=8, p=1, ceil=True, c=4, batch=2))
    run_case(_case(op="avg", k=2, s=1, n=6, p=1, include=False, c=3))


def test_pooling_a_non_contiguous_input() -> None:
    """A channels slice (not C-contiguous) pools as its copy does."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 9, 9, 12), dtype=np.float32)[..., ::2]
    case = _case(k=3, s=2, n=9, p=1, c=6, batch=2)
    out, pads = geometry(case["n"], case["k"], case["s"], case["d"], case["p"], False)
    got = pool.max_pool(x, (3, 3), (2, 2), (1, 1), pads, out)
    assert np.array_equal(
        got, pool.max_pool(np.ascontiguousarray(x), (3, 3), (2, 2), (1, 1), pads, out)
    )
