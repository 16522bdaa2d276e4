"""The compiled Winograd transforms (convcalc.ops.winograd, numba from the test extras): the
NumPy path's values to the bit (the same float32 operations in the same order) and the direct
3x3 sum's (float64, written out here) to float32 rounding, over sizes, odd outputs,
asymmetric padding, channel counts that leave vector tails, slabs and workers; the plane
stride; and the fallback without numba."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convcalc.ops import jit, winograd
from convcalc.ops.base import TUNING, WORKERS


def direct(x: np.ndarray, w: np.ndarray, pads, out) -> np.ndarray:
    """The 3x3 cross-correlation as nine shifted products, in float64."""
    xp = np.pad(x.astype(np.float64), ((0, 0), *pads, (0, 0)))
    oh, ow = out
    return sum(
        np.einsum("nhwc,cf->nhwf", xp[:, i : i + oh, j : j + ow], w[i, j].astype(np.float64))
        for i in range(3)
        for j in range(3)
    )


@st.composite
def cases(draw):
    h, w = draw(st.integers(1, 11)), draw(st.integers(1, 11))
    pads = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(2)]
    out = (h + sum(pads[0]) - 2, w + sum(pads[1]) - 2)
    if min(out) < 1:
        pads = [(1, 1), (1, 1)]
        out = (h, w)
    return {
        "n": draw(st.integers(1, 3)), "h": h, "w": w, "c": draw(st.integers(1, 40)),
        "f": draw(st.integers(1, 24)), "pads": pads, "out": out,
        "slab": draw(st.sampled_from([16, 1 << 19])), "workers": draw(st.sampled_from([1, 3])),
    }  # fmt: skip


def run_case(monkeypatch, case):
    rng = np.random.default_rng(case["h"] * 100 + case["c"])
    x = rng.standard_normal((case["n"], case["h"], case["w"], case["c"])).astype(np.float32)
    k = rng.standard_normal((3, 3, case["c"], case["f"])).astype(np.float32)
    k.flags.writeable = False
    monkeypatch.setattr(TUNING, "winograd_slab", case["slab"])  # 16: a slab per tile row
    monkeypatch.setattr(TUNING, "winograd_gemm_rows", 0)
    old = WORKERS.n
    WORKERS.set(case["workers"])
    WORKERS.gemms = case["workers"] > 1
    try:
        got = winograd.winograd3x3(x, k, None, case["out"], case["pads"])
        monkeypatch.setattr(TUNING, "jit", False)
        numpy_path = winograd.winograd3x3(x, k, None, case["out"], case["pads"])
        monkeypatch.setattr(TUNING, "jit", True)
    finally:
        WORKERS.gemms = False
        WORKERS.set(old)
    assert np.array_equal(got, numpy_path)
    want = direct(x, k, case["pads"], case["out"])
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    return got


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch):
    """Counts the slabs the compiled transforms ran (numba is in the test extras)."""
    calls: list[int] = []
    real = winograd._transforms

    def counting():
        fns = real()
        if fns is None or not TUNING.jit:
            return fns
        assert fns is not None, jit.status()
        fin, fout = fns

        def counted(*args):
            calls.append(1)
            fin(*args)

        return counted, fout

    monkeypatch.setattr(winograd, "_transforms", counting)
    return calls


QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=70, deadline=None, suppress_health_check=QUIET)
@given(cases())
@example(
    {
        "n": 1,
        "h": 9,
        "w": 7,
        "c": 19,
        "f": 5,
        "pads": [(1, 1), (1, 1)],
        "out": (9, 7),
        "slab": 16,
        "workers": 3,
    }
).via("odd output, a slab per tile row over three workers")
@example(
    {
        "n": 2,
        "h": 6,
        "w": 8,
        "c": 33,
        "f": 17,
        "pads": [(0, 2), (2, 0)],
        "out": (6, 8),
        "slab": 1 << 19,
        "workers": 1,
    }
).via("asymmetric pads, one slab")
def test_compiled_transforms_match_numpy_and_the_direct_sum(monkeypatch, spy, case) -> None:
    run_case(monkeypatch, case)
    assert spy, "the compiled transforms did not run"


def test_ones_by_hand(monkeypatch) -> None:
    """A 4x4 map of ones, C = 5, a 3x3 kernel of ones, 'same' padding: each output counts the
    taps inside the input times C: 4·5 in a corner, 6·5 on an edge, 9·5 inside."""
    x = np.ones((1, 4, 4, 5), np.float32)
    k = np.ones((3, 3, 5, 2), np.float32)
    y = winograd.winograd3x3(x, k, None, (4, 4), [(1, 1), (1, 1)])
    want = np.array([[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]]) * 5
    assert winograd.compiled()
    assert np.array_equal(y[0, :, :, 0], want) and np.array_equal(y[0, :, :, 1], want)


@given(st.integers(1, 1 << 22))
def test_planes_are_an_odd_number_of_cache_lines_apart(size: int) -> None:
    """At least ``size`` elements, and 64-byte lines in an odd count (16 float32 each)."""
    stride = winograd._plane(size)
    assert stride >= size and stride % 16 == 0 and (stride // 16) % 2 == 1
    assert stride - size < 48


def test_the_plane_stride_of_56x56x64_in_one_slab() -> None:
    """784 tiles of 64 channels: 50176 elements = 3136 lines (a multiple of 4 KiB); 3137."""
    assert winograd._plane(784 * 64) == 3137 * 16


def test_without_numba_numpy_transforms_run(monkeypatch) -> None:
    monkeypatch.setattr(jit, "_NUMBA", [None])
    monkeypatch.setattr(jit, "_KERNELS", {})
    assert not winograd.compiled()
    x = np.random.default_rng(1).standard_normal((2, 7, 6, 4)).astype(np.float32)
    k = np.random.default_rng(2).standard_normal((3, 3, 4, 3)).astype(np.float32)
    y = winograd.winograd3x3(x, k, None, (7, 6), [(1, 1), (1, 1)])
    np.testing.assert_allclose(y, direct(x, k, [(1, 1), (1, 1)], (7, 6)), rtol=1e-4, atol=1e-4)
