"""1x1 convolutions of one input run as one GEMM by their kernels side by side
(``ops.conv.pointwise_columns``): each output against its own float64 GEMM, over widths,
spatial ranks, batches, slab sizes and workers; a value derived by hand; and which layers of a
spec the runtime joins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc import analyze, load_spec
from convcalc.ops.activations import clip_epilogue
from convcalc.ops.base import TUNING, WORKERS
from convcalc.ops.conv import pointwise_columns
from convcalc.runtime.executor import Execution, RunOptions


def test_two_convolutions_by_hand() -> None:
    """One pixel of channels (1, 2): kernel a = [[1], [1]] gives 3, then bias 0.5 -> 3.5;
    kernel b = [[2, 0], [-1, 1]] gives (0, 2), clipped to [0, 6] -> (0, 2)."""
    x = np.array([[[[1.0, 2.0]]]], dtype=np.float32)
    kernel = np.array([[1.0, 2.0, 0.0], [1.0, -1.0, 1.0]], dtype=np.float32)
    a, b = pointwise_columns(
        x, kernel, (1, 2), (np.array([0.5], np.float32), None), (None, clip_epilogue(6.0))
    )
    assert a.tolist() == [[[[3.5]]]]
    assert b.tolist() == [[[[0.0, 2.0]]]]
    assert a.flags.c_contiguous and b.flags.c_contiguous


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 7), min_size=1, max_size=3),
    batch=st.integers(1, 3),
    channels=st.integers(1, 12),
    widths=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    slab=st.sampled_from([1, 5, 64, 1 << 17]),
    workers=st.sampled_from([1, 2, 3]),
    split=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_each_output_is_its_own_convolution(
    sizes: list[int],
    batch: int,
    channels: int,
    widths: list[int],
    slab: int,
    workers: int,
    split: bool,
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *sizes, channels)).astype(np.float32)
    kernels = [rng.standard_normal((channels, w)).astype(np.float32) for w in widths]
    biases = [rng.standard_normal(w).astype(np.float32) if w % 2 else None for w in widths]
    acts = [clip_epilogue(1.0) if i % 2 else None for i in range(len(widths))]
    kept = x.copy()
    before = (TUNING.pointwise_slab, TUNING.parallel_min, TUNING.gemm_min_rows, WORKERS.n)
    TUNING.pointwise_slab, TUNING.parallel_min, TUNING.gemm_min_rows = slab, 1, 1
    try:
        if split:
            with WORKERS.splitting(workers):
                ys = pointwise_columns(x, np.concatenate(kernels, 1), widths, biases, acts)
        else:
            WORKERS.set(workers)
            ys = pointwise_columns(x, np.concatenate(kernels, 1), widths, biases, acts)
    finally:
        TUNING.pointwise_slab, TUNING.parallel_min, TUNING.gemm_min_rows = before[:3]
        WORKERS.set(before[3])
    np.testing.assert_array_equal(x, kept)  # the input is not touched
    assert len(ys) == len(widths)
    for i, (y, k, b) in enumerate(zip(ys, kernels, biases)):
        want = x.astype(np.float64) @ k.astype(np.float64)
        if b is not None:
            want += b
        if i % 2:
            want = np.clip(want, 0, 1)
        assert y.shape == (batch, *sizes, k.shape[1]) and y.dtype == np.float32
        assert y.flags.c_contiguous
        scale = max(1.0, float(np.abs(want).max()))
        assert float(np.abs(y - want).max()) <= 1e-5 * scale * channels


SPEC = """\
name: branches
input: [9, 8, 6]
layers:
  - Conv2D: {name: b1, filters: 5, kernel_size: 1, activation: relu}
  - Conv2D: {name: b2, filters: 3, kernel_size: 1, use_bias: false, inputs: [input_1]}
  - BatchNormalization: {name: b2_bn}
  - ReLU: {name: b2_relu}
  - Conv2D: {name: b2_3x3, filters: 4, kernel_size: 3, padding: same}
  - Conv2D: {name: b3, filters: 2, kernel_size: 1, strides: 2, inputs: [input_1]}
  - Conv2D: {name: b4, filters: 2, kernel_size: 1, padding: [1, 1], inputs: [input_1]}
  - Conv2D: {name: b5, filters: 4, kernel_size: 1, groups: 2, inputs: [input_1]}
  - Conv2D: {name: b6, filters: 2, kernel_size: 1, activation: softmax, inputs: [input_1]}
  - Conv2D: {name: b7, filters: 7, kernel_size: 1, inputs: [input_1]}
  - Concatenate: {name: cat, inputs: [b1, b2_3x3, b7]}
  - Conv2D: {name: solo, filters: 3, kernel_size: 1}
  - Conv2D: {name: t1, filters: 2, kernel_size: 1, inputs: [b3]}
  - Conv2DTranspose: {name: t2, filters: 2, kernel_size: 1, inputs: [b3]}
  - Concatenate: {name: tcat, inputs: [t1, t2]}
"""


@pytest.fixture
def execution(tmp_path: Path) -> Execution:
    path = tmp_path / "branches.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=2, keep_activations=True))
    ex.forward()  # the first pass: layer by layer, keeps every activation
    return ex


def test_only_plain_1x1_convolutions_of_one_input_are_joined(execution: Execution) -> None:
    """Not strided (b3), padded (b4), grouped (b5), with a softmax (b6), alone on its input
    (solo), nor a transposed convolution beside a plain one (t2 beside t1)."""
    groups = execution.siblings
    got = {
        execution.layer_specs[i].name: (
            [execution.layer_specs[j].name for j in g.members],
            [execution.layer_specs[j].name for j in g.ends],
            g.widths,
        )
        for i, g in groups.items()
    }
    assert got == {"b1": (["b1", "b2", "b7"], ["b1", "b2_relu", "b7"], (5, 3, 7))}


def test_joined_passes_give_the_values_layer_by_layer(execution: Execution) -> None:
    seen: dict[str, np.ndarray] = {}
    times: dict[str, float] = {}
    out = execution._layers(
        dict(execution.inputs), times, lambda i, ls, y: seen.__setitem__(ls.name, y.copy())
    )
    assert set(times) == {ls.name for ls in execution.layer_specs}
    assert {"b1", "b2_relu", "b7", "cat"} <= set(seen)
    assert times["b1"] > 0 and times["b2"] > 0 and times["b2_bn"] == 0.0
    for name, y in seen.items():
        np.testing.assert_allclose(y, execution.saved[name], rtol=1e-6, atol=1e-6, err_msg=name)
    assert "solo" in execution.report.outputs
    for name in execution.report.outputs:
        np.testing.assert_allclose(out[name], execution.outputs[name], rtol=1e-6, atol=1e-6)
