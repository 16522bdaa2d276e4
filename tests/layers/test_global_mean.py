"""Global average pooling's values: the mean over every spatial axis, per sample and channel
(Keras's GlobalAveragePooling1D/2D/3D; PyTorch's adaptive_avg_pool to size 1). Hand values,
and float64's mean for many shapes (the op sums by a ones-vector product, in float32)."""

from __future__ import annotations

import numpy as np
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.analysis import parse_spec
from convcalc.ops.pool import global_mean


def test_hand_values_2x2_map() -> None:
    # sample 0, channel 0: (0 + 2 + 4 + 6) / 4 = 3; channel 1: (1 + 3 + 5 + 7) / 4 = 4;
    # sample 1 adds 8 to every value: 11 and 12.
    x = np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2)
    assert np.array_equal(global_mean(x, keepdims=False), [[3.0, 4.0], [11.0, 12.0]])
    y = global_mean(x, keepdims=True)
    assert y.shape == (2, 1, 1, 2) and y.dtype == np.float32
    assert np.array_equal(y[:, 0, 0], [[3.0, 4.0], [11.0, 12.0]])


def test_the_layer_runs_it_and_keeps_its_input() -> None:
    x = np.arange(16, dtype=np.float32).reshape(2, 2, 2, 2)
    kept = x.copy()
    doc = {"layers": [{"InputLayer": {"shape": [2, 2, 2]}}, {"GlobalAveragePooling2D": {}}]}
    layer = parse_spec(yaml.safe_dump(doc)).layers[-1].layer
    assert np.array_equal(layer.forward([x], {}), [[3.0, 4.0], [11.0, 12.0]])
    assert np.array_equal(x, kept)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 3),
    st.lists(st.integers(1, 9), min_size=1, max_size=3),
    st.integers(1, 17),
    st.booleans(),
    st.booleans(),
)
def test_matches_float64_mean(
    n: int, spatial: list[int], c: int, keep: bool, strided: bool
) -> None:
    rng = np.random.default_rng(len(spatial) * 1000 + c)
    shape = (n, *spatial, c)
    x = rng.standard_normal((n, *spatial, 2 * c) if strided else shape).astype(np.float32)
    if strided:  # a non-contiguous view (every other channel)
        x = x[..., ::2]
    want = x.astype(np.float64).mean(axis=tuple(range(1, x.ndim - 1)), keepdims=keep)
    got = global_mean(x, keepdims=keep)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.allclose(got, want, rtol=1e-6, atol=1e-6)
