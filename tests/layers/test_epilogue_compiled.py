"""The compiled batch-norm + clip epilogue (convcalc.ops.epilogues, numba from the test extras)
against the NumPy passes it replaces (multiply, add, np.clip: the reference the forward tests
check against PyTorch), bit for bit: slabs of rows, column slices (side-by-side 1x1 kernels),
batches, NaN, infinities and signed zeros; and written out by hand for a few values. The
compiled swish against the exact swish in float64 (an error bound: its tanh is Eigen's
rational, not NumPy's), and batch norm + swish in one pass against the two one after the
other, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcalc.ops import activations, elementwise, epilogues, jit
from convcalc.ops.base import TUNING

F32 = np.float32


def batch_norm(shape, rng):
    c = shape[-1]
    gamma, beta, mean = (rng.standard_normal(c).astype(F32) for _ in range(3))
    var = (np.abs(rng.standard_normal(c)) + 0.1).astype(F32)
    return elementwise.batch_norm_epilogue(shape, gamma, beta, mean, var, 1e-3)


def special(y, rng):
    flat = y.reshape(-1)
    picks = rng.integers(0, flat.size, size=min(flat.size, 12))
    flat[picks] = rng.choice(np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 6.0], F32), picks.size)


def bits(a):
    return np.ascontiguousarray(a).view(np.int32)


@st.composite
def cases(draw):
    batch = draw(st.integers(1, 3))
    h, w, c = draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 40))
    clip = draw(st.sampled_from([None, 0.0, 6.0, "swish"]))
    lo = draw(st.integers(0, h - 1))
    hi = draw(st.integers(lo + 1, h))
    cols = draw(st.sampled_from(["all", "slice"]))
    return batch, (h, w, c), clip, (lo, hi), cols


@pytest.fixture(autouse=True)
def compiled():
    kinds = ("affine_clip", "affine_swish")
    if any(jit.kernel((k, 1, 1), epilogues._source, epilogues._trial) is None for k in kinds):
        pytest.fail("numba (test extras) did not compile the epilogue kernels")


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cases())
def test_compiled_epilogue_is_the_numpy_passes_bit_for_bit(case):
    batch, (h, w, c), clip, (lo, hi), cols = case
    rng = np.random.default_rng(abs(hash(case)) % 2**32)
    extra = 3 if cols == "slice" else 0  # a wider output whose columns [1, 1 + c) are the layer's
    full = (rng.standard_normal((batch, h, w, c + extra)) * 3).astype(F32)
    special(full, rng)
    shape = (batch, h, w, c)
    fns = [batch_norm(shape, rng)]
    if clip == "swish":
        fns.append(activations.activation("swish", inplace=True))
    elif clip is not None:
        fns.append(activations.clip_epilogue(None if clip == 0.0 else clip))
    fused = epilogues.chain(fns)

    def part(y):
        return y[:, lo:hi, :, 1 : 1 + c] if extra else y[:, lo:hi]

    want, got = full.copy(), full.copy()
    with np.errstate(all="ignore"):
        for fn in fns:
            fn(part(want))
        fused(part(got))
    assert np.array_equal(bits(got), bits(want))  # and the columns around are untouched


def test_written_out():
    """y = x·a + b in float32 (rounded after each operation), then NumPy's clip: max before
    min, NaN passes, -0.0 is clipped up to +0.0."""
    x = np.array([[[[-1.0, 0.0, 2.0, np.nan, 1.0, -0.0, 3.0, 100.0]]]], F32)
    fns = [batch_norm(x.shape, np.random.default_rng(0)), activations.clip_epilogue(6.0)]
    a, b = fns[0].affine
    y = x.copy()
    epilogues.chain(fns)(y)
    av, bv = a.reshape(-1)[:8], b.reshape(-1)[:8]
    for xi, ai, bi, yi in zip(x.reshape(-1), av, bv, y.reshape(-1)):
        v = F32(F32(xi * ai) + bi)
        want = v if np.isnan(v) else (F32(0) if v <= 0 else min(v, F32(6)))
        assert bits(np.array([yi], F32)) == bits(np.array([want], F32))
    z = np.array([[[[-0.0]]]], F32)  # -0.0 * 1 + (-0.0): NumPy's clip makes it +0.0
    one = elementwise.batch_norm_epilogue(
        z.shape, None, np.array([-0.0], F32), np.zeros(1, F32), np.ones(1, F32), 0.0
    )
    epilogues.chain([one, activations.clip_epilogue(None)])(z)
    assert bits(z)[0, 0, 0, 0] == 0


def test_numpy_runs_without_the_compiled_kernels(monkeypatch):
    rng = np.random.default_rng(1)
    y = rng.standard_normal((1, 5, 5, 8)).astype(F32)
    fns = [batch_norm(y.shape, rng), activations.clip_epilogue(None)]
    want = y.copy()
    for fn in fns:
        fn(want)
    calls = []
    monkeypatch.setattr(TUNING, "jit", False)
    monkeypatch.setattr(epilogues, "_rows", calls.append)
    got = y.copy()
    epilogues.chain(fns)(got)
    assert np.array_equal(got, want) and not calls  # no compiled path was tried


def test_the_pair_is_one_pass():
    rng = np.random.default_rng(2)
    fns = [batch_norm((1, 2, 2, 3), rng), activations.clip_epilogue(None)]
    steps = epilogues._merge(fns)
    assert len(steps) == 1 and steps[0] is not fns[0]
    relu = activations.activation("relu", inplace=True)
    assert relu is not None and relu.clip == (0, np.inf)


def exact_swish(x):
    x = x.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return x / (1 + np.exp(-x))


@pytest.mark.parametrize("compiled_swish", [True, False])
def test_swish_is_within_its_bound_of_the_exact_value(compiled_swish, monkeypatch):
    """|swish(x) - x/(1 + e^-x)| <= 2.5e-7·|x| + 1e-7 (about 2 float32 ulps of x where swish
    is x, a few of 1e-7 where it is small) for the compiled kernel and NumPy's path alike,
    over every float32 step of [-1, 1] and a dense grid to +-30; NaN stays NaN, +inf is +inf,
    swish(-inf) is NaN (-inf·0) as in PyTorch's x/(1 + exp(-x)) = -inf/inf."""
    monkeypatch.setattr(TUNING, "jit", compiled_swish)
    fine = np.arange(-(2**23), 2**23 + 1, 64, dtype=np.int64).astype(F32) / F32(2**23)
    x = np.concatenate([fine, np.linspace(-30, 30, 600_001, dtype=F32)]).reshape(1, 1, -1, 3)
    y = x.copy()
    assert epilogues.swish_into(y) is compiled_swish
    if not compiled_swish:
        y = activations.activation("swish", inplace=True)(x.copy())
    err = np.abs(y.astype(np.float64) - exact_swish(x))
    assert np.all(err <= 2.5e-7 * np.abs(x) + 1e-7), float(err.max())
    special = np.array([[[[np.nan, np.inf, -np.inf]]]], F32)
    with np.errstate(invalid="ignore"):
        got = activations.activation("swish", inplace=True)(special)
    assert np.isnan(got[0, 0, 0, 0]) and got[0, 0, 0, 1] == np.inf and np.isnan(got[0, 0, 0, 2])
    want = exact_swish(np.array([-100.0, -20.0, 0.0, 20.0, 100.0], F32))
    got = activations.activation("swish")(np.array([[[[-100.0, -20.0, 0.0, 20.0, 100.0]]]], F32))
    np.testing.assert_allclose(got.reshape(-1), want, rtol=3e-7, atol=1e-7)
