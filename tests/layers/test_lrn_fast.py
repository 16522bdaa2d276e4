"""Local response normalisation's fast path (float32, cache blocks of rows, shifted window
sums, beta 0.75 by square roots) against its float64 reference, over window sizes, exponents,
channel counts, blocks and workers; and a value derived by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.ops.base import TUNING, WORKERS
from convcalc.ops.lrn import local_response_norm, local_response_norm_reference


def test_alexnet_setting_by_hand() -> None:
    """AlexNet's size 5, alpha 1e-4, beta 0.75, k 2 at one position of 6 channels all equal
    to 10: channel 0's window holds channels 0..2 (two zeros before it), channel 2's holds
    0..4; b = 10 / (2 + 1e-4/5 · (n · 100))^0.75 with n = 3 and 5."""
    x = np.full((1, 6), 10.0, dtype=np.float32)
    y = local_response_norm(x, 5, 1e-4, 0.75, 2.0)
    assert y[0, 0] == pytest.approx(10 / (2 + 2e-5 * 300) ** 0.75, rel=1e-6)
    assert y[0, 2] == pytest.approx(10 / (2 + 2e-5 * 500) ** 0.75, rel=1e-6)
    assert y[0, 5] == pytest.approx(10 / (2 + 2e-5 * 300) ** 0.75, rel=1e-6)  # 3..5 and 2 zeros
    assert y[0, 4] == pytest.approx(10 / (2 + 2e-5 * 400) ** 0.75, rel=1e-6)


@settings(max_examples=80, deadline=None)
@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    channels=st.integers(1, 40),
    size=st.integers(1, 9),
    beta=st.sampled_from([0.75, 0.5, 1.0, 0.6, 2.0]),
    alpha=st.sampled_from([1e-4, 0.3, 2.0]),
    k=st.sampled_from([1.0, 2.0, 0.5]),
    block=st.sampled_from([1, 7, 64, 1 << 16]),
    workers=st.sampled_from([1, 3]),
    seed=st.integers(0, 2**16),
)
def test_fast_path_matches_the_reference(
    shape: list[int],
    channels: int,
    size: int,
    beta: float,
    alpha: float,
    k: float,
    block: int,
    workers: int,
    seed: int,
) -> None:
    x = (np.random.default_rng(seed).standard_normal((*shape, channels)) * 3).astype(np.float32)
    kept = x.copy()
    before = (TUNING.lrn_block, TUNING.parallel_min, WORKERS.n)
    TUNING.lrn_block, TUNING.parallel_min = block, 1
    WORKERS.set(workers)
    try:
        got = local_response_norm(x, size, alpha, beta, k)
    finally:
        TUNING.lrn_block, TUNING.parallel_min = before[:2]
        WORKERS.set(before[2])
    want = local_response_norm_reference(x, size, alpha, beta, k)
    assert got.dtype == np.float32 and got.shape == x.shape
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    assert np.array_equal(x, kept)


def test_strided_input_is_read_as_its_values() -> None:
    x = np.arange(2 * 5 * 12, dtype=np.float32).reshape(2, 5, 12)[:, ::2, ::2]
    np.testing.assert_allclose(
        local_response_norm(x, 3, 0.01, 0.75, 1.0),
        local_response_norm_reference(np.ascontiguousarray(x), 3, 0.01, 0.75, 1.0),
        rtol=2e-6,
    )
