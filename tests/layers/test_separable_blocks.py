"""The 2-D separable convolution in blocks of rows (``ops.separable.separable2d``: the compiled
depthwise kernel, then each block's pointwise GEMM while in cache) against the float64 loop
reference of test_forward_reference (PyTorch's grouped-convolution definition written out)
followed by a float64 matrix product, over kernels, strides, dilations, asymmetric pads, every
padding mode, batches, block sizes and workers; a value by hand; when it declines; and the
SeparableConv2D layer through the runtime, blocked and unblocked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcalc import analyze, load_spec
from convcalc.ops.base import TUNING, WORKERS
from convcalc.ops.separable import separable2d
from convcalc.runtime.executor import Execution, RunOptions
from tests.layers.test_depthwise_compiled import cases
from tests.layers.test_forward_reference import rand, ref_depthwise


def relu(v: np.ndarray) -> np.ndarray:
    return np.maximum(v, 0, out=v)


relu.elementwise = True  # type: ignore[attr-defined]


@pytest.fixture
def blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every map is blocked, in blocks of one output row (or a few) and tiny GEMMs."""
    monkeypatch.setattr(TUNING, "separable_min", 1)
    monkeypatch.setattr(TUNING, "separable_block", 8)
    monkeypatch.setattr(TUNING, "gemm_min_rows", 1)
    monkeypatch.setattr(TUNING, "parallel_min", 4)


def test_one_pixel_by_hand(blocks) -> None:
    """A 2x2 map of one channel [[1, 2], [3, 4]], a 2x2 depthwise kernel [[1, 0], [0, 1]]
    'valid': 1·1 + 4·1 = 5; pointwise [[2, -1]] and bias (0.5, 0): (10.5, -5), ReLU (10.5, 0)."""
    x = np.array([[[[1.0], [2.0]], [[3.0], [4.0]]]], np.float32)
    dw = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32).reshape(2, 2, 1, 1)
    pw = np.array([[2.0, -1.0]], np.float32).reshape(1, 1, 1, 2)
    bias = np.array([0.5, 0.0], np.float32)
    y = separable2d(x, dw, pw, bias, (1, 1), (1, 1), (1, 1), ((0, 0), (0, 0)), act=relu)
    assert y is not None and y.tolist() == [[[[10.5, 0.0]]]]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    case=cases(),
    filters=st.integers(1, 12),
    workers=st.sampled_from([1, 2, 3]),
    split=st.booleans(),
)
def test_blocks_match_the_reference(blocks, case, filters, workers, split) -> None:
    if case["out"] is None:
        return
    x = rand(case["batch"], *case["n"], case["c"])
    dw = rand(*case["k"], case["c"], 1)
    pw = rand(1, 1, case["c"], filters)
    b = rand(filters) if case["bias"] else None
    want = ref_depthwise(x, dw, None, case["s"], case["d"], case["pads"], case["mode"])
    want = want @ pw.reshape(case["c"], filters) + (0 if b is None else b)
    act = relu if case["relu"] else None
    if act is not None:
        want = np.maximum(want, 0)
    x32, dw32, pw32 = (a.astype(np.float32) for a in (x, dw, pw))
    b32 = None if b is None else b.astype(np.float32)
    kept = x32.copy()
    geometry = (case["out"], case["s"], case["d"], case["pads"], case["mode"])
    before = WORKERS.n
    try:
        if split:
            with WORKERS.splitting(workers):
                got = separable2d(x32, dw32, pw32, b32, *geometry, act)
        else:
            WORKERS.set(workers)
            got = separable2d(x32, dw32, pw32, b32, *geometry, act)
    finally:
        WORKERS.set(before)
    np.testing.assert_array_equal(x32, kept)  # the input is not touched
    assert got is not None and got.shape == want.shape and got.flags.c_contiguous
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_declines_what_it_does_not_block(blocks, monkeypatch: pytest.MonkeyPatch) -> None:
    """None (the caller runs depthwise then pointwise) for a depth multiplier, an activation
    over the whole array, a map below TUNING.separable_min, a pointwise kernel above
    TUNING.separable_kernel_max, GEMMs on OpenBLAS's threads, and without the compiled
    kernel."""
    x = np.ones((1, 4, 4, 2), np.float32)
    pw = np.ones((1, 1, 2, 3), np.float32)
    geometry = ((4, 4), (1, 1), (1, 1), ((1, 1), (1, 1)))
    dw = np.ones((3, 3, 2, 1), np.float32)
    assert separable2d(x, np.ones((3, 3, 2, 2), np.float32), pw, None, *geometry) is None

    def softmax(v: np.ndarray) -> np.ndarray:
        return v

    assert separable2d(x, dw, pw, None, *geometry, act=softmax) is None
    assert separable2d(x, dw, pw, None, *geometry) is not None
    monkeypatch.setattr(TUNING, "separable_min", 4 * 4 * 2 + 1)
    assert separable2d(x, dw, pw, None, *geometry) is None
    monkeypatch.setattr(TUNING, "separable_min", 1)
    monkeypatch.setattr(TUNING, "separable_block", 0)
    assert separable2d(x, dw, pw, None, *geometry) is None
    monkeypatch.setattr(TUNING, "separable_block", 8)
    monkeypatch.setattr(TUNING, "separable_kernel_max", 5)
    assert separable2d(x, dw, pw, None, *geometry) is None
    monkeypatch.setattr(TUNING, "separable_kernel_max", 6)
    with WORKERS.threaded_gemms(2):
        assert separable2d(x, dw, pw, None, *geometry) is None
    assert separable2d(x, dw, pw, None, *geometry) is not None
    monkeypatch.setattr(TUNING, "jit", False)
    assert separable2d(x, dw, pw, None, *geometry) is None


SPEC = """\
name: sep
input: [9, 11, 6]
layers:
  - SeparableConv2D: {name: a, filters: 8, kernel_size: 3, padding: same, use_bias: false}
  - BatchNormalization: {name: a_bn}
  - Activation: {name: a_act, activation: relu}
  - SeparableConv2D: {name: b, filters: 5, kernel_size: 3, strides: 2, dilation_rate: 1}
  - SeparableConv2D: {name: c, filters: 4, kernel_size: 2, depth_multiplier: 2}
"""


def test_layer_blocked_equals_unblocked(blocks, tmp_path: Path, monkeypatch) -> None:
    """Xception's pattern (separable, BatchNormalization and ReLU fused after it), a strided
    one and one with a depth multiplier, at batch 3: every output of the blocked run equals the
    run of depthwise then pointwise over the whole map, to float32 rounding."""
    path = tmp_path / "sep.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    runs = []
    for block in (8, 0):
        monkeypatch.setattr(TUNING, "separable_block", block)
        ex = Execution(spec, analyze(spec), RunOptions(batch=3, keep_activations=True))
        ex.forward()  # layer by layer
        fused: dict[str, np.ndarray] = {}  # BatchNormalization and ReLU in a's epilogue
        keep = fused.__setitem__
        ex._layers(dict(ex.inputs), {}, lambda i, ls, y, keep=keep: keep(ls.name, y.copy()))
        runs.append((ex.saved, fused))
    (blocked, blocked_fused), (plain, plain_fused) = runs
    assert set(plain) >= {"a", "a_bn", "a_act", "b", "c"} and set(plain_fused) >= {"b", "c"}
    for name in plain:
        np.testing.assert_allclose(blocked[name], plain[name], rtol=1e-5, atol=1e-5)
    for name in plain_fused:
        np.testing.assert_allclose(blocked_fused[name], plain_fused[name], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(blocked_fused[name], plain[name], rtol=1e-4, atol=1e-4)
