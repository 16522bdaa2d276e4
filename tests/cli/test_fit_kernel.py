"""`convcalc fit-kernel`: the gradient against finite differences and against torch autograd,
the 10 steps against the same loop in PyTorch (tests/golden/learning.json), least squares by
hand."""

from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.tools import fitkernel as fk
from tests.conftest import load_golden_json

LEARNING = load_golden_json("learning.json")["fit_kernel"]


def _finite_difference(x, k, y, eps=1e-6):
    g = np.zeros_like(k)
    for idx in np.ndindex(k.shape):
        up, down = k.copy(), k.copy()
        up[idx] += eps
        down[idx] -= eps
        g[idx] = (fk.loss(x, up, y) - fk.loss(x, down, y)) / (2 * eps)
    return g


@settings(max_examples=30, deadline=None)
@given(
    st.integers(3, 7),
    st.integers(3, 7),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 2**31),
)
def test_gradient_matches_finite_differences(h, w, kh, kw, seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((h, w))
    y = rng.standard_normal((h - kh + 1, w - kw + 1))
    k = rng.standard_normal((kh, kw))
    np.testing.assert_allclose(
        fk.gradient(x, k, y), _finite_difference(x, k, y), rtol=1e-5, atol=1e-6
    )


def test_gradient_matches_torch_autograd() -> None:
    x = fk.demo_input()
    y = fk.corr2d(x, fk.DEMO_KERNEL)
    k = np.array(LEARNING["initial"])
    np.testing.assert_allclose(fk.gradient(x, k, y), LEARNING["gradient_at_initial"], rtol=1e-12)


def test_seed003_demo_reproduces_pytorch_steps(cli) -> None:
    # seed 003: no bias, squared loss, lr 3.21e-2, 10 steps; d2l's X 6x8 and K = [1, -1]
    doc = json.loads(cli("fit-kernel", "--demo", "--format", "json").stdout)
    assert doc["initial"] == LEARNING["initial"]
    np.testing.assert_allclose(doc["loss"], LEARNING["losses"], rtol=1e-10)
    np.testing.assert_allclose(doc["kernel"], LEARNING["kernel_after_10"], rtol=1e-10)
    assert doc["true_kernel"] == [[1, -1]] and doc["lr"] == 3.21e-2 and len(doc["loss"]) == 10
    # least squares, by hand: Y = X ⋆ [1, -1] exactly and the 2 columns of the im2col matrix
    # (x_ij, x_i,j+1) are independent, so the unique minimiser is [1, -1]
    np.testing.assert_allclose(doc["least_squares"], [[1, -1]], atol=1e-12)


def test_text_says_least_squares_not_linear_programming(cli) -> None:
    out = cli("fit-kernel", "--demo").stdout
    assert "linear least squares (not linear programming)" in out
    assert "true K:          [[1, -1]]" in out
    steps = [line for line in out.splitlines() if re.match(r"^\s+\d+\s+[\d.e+-]+$", line)]
    assert len(steps) == 10  # one line per step


def test_own_data_from_files(cli, tmp_path) -> None:
    x = np.arange(20.0).reshape(4, 5)
    k = np.array([[1.0, 2.0], [0.0, -1.0]])
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", fk.corr2d(x, k))
    doc = json.loads(
        cli(
            "fit-kernel",
            "--input",
            tmp_path / "x.npy",
            "--target",
            tmp_path / "y.npy",
            "--kernel-size",
            "2x2",
            "--steps",
            "3",
            "--lr",
            "1e-4",
            "-f",
            "json",
        ).stdout
    )
    assert len(doc["loss"]) == 3 and doc["loss"][2] < doc["loss"][0]
    # arange's windows span only a 2-D space (x_ij = 5i + j), so least squares is one of many
    # minimisers: its loss is 0 but it need not be k
    assert doc["least_squares_loss"] < 1e-12


def test_shape_mismatch_is_an_error(cli) -> None:
    r = cli("fit-kernel", "-i", "[[1,2,3],[4,5,6]]", "-t", "[[1]]", "-k", "2x2")
    assert r.exit_code == 2 and "gives a 1x2 output" in r.stderr
    r = cli("fit-kernel")
    assert r.exit_code == 2 and "--demo" in r.stderr
