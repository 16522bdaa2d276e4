"""--run against PyTorch (and Keras 3) outputs generated once: scripts/golden/make_run_golden_*.py.

Four stacks cover every kernel family with the frameworks' own semantics: PyTorch explicit
padding with reflect/replicate/circular modes, groups, dilation, ceil_mode pooling with both
count_include_pad behaviours, transposed convolutions with output_padding, groups and
dilation, BatchNorm, and a channels_first Flatten before Linear (torch-layout weights);
Keras 'same' (odd and strided sizes), 'causal', 'same' average pooling excluding padding,
transposed 'same'/'valid' and separable/depthwise convolutions (Keras-layout weights).

Tolerance: every layer's output agrees to 1e-5 of the layer's largest magnitude; the worst
reached is 6.4e-7 (torch2d's softmax), i.e. float32 rounding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convcalc import analyze, load_spec
from convcalc.runtime.executor import RunOptions, execute

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "run"
STACKS = {"torch2d": "torch", "torch1d": "torch", "keras2d": "keras", "keras1d": "keras"}
RTOL = 1e-5


def run_stack(name: str) -> dict[str, np.ndarray]:
    spec = load_spec(GOLDEN / f"{name}.yaml")
    result = execute(
        spec,
        analyze(spec),
        RunOptions(
            input_path=GOLDEN / f"{name}_input.npy",
            weights_path=GOLDEN / f"{name}_weights.npz",
            weights_layout=STACKS[name],
            keep_activations=True,
        ),
    )
    return result.activations


def worst(got: dict[str, np.ndarray], expected: np.lib.npyio.NpzFile) -> float:
    errors = []
    for layer in expected.files:
        e = expected[layer]
        assert got[layer].shape == e.shape, layer
        errors.append(float(np.max(np.abs(got[layer] - e)) / np.max(np.abs(e))))
    return max(errors)


@pytest.mark.parametrize("name", sorted(STACKS))
def test_matches_pytorch(name: str) -> None:
    expected = np.load(GOLDEN / f"{name}_expected.npz")
    got = run_stack(name)
    assert set(expected.files) <= set(got)
    assert worst(got, expected) <= RTOL


@pytest.mark.parametrize("name", ["keras1d", "keras2d"])
def test_matches_keras(name: str) -> None:
    """The same stacks through Keras 3.15 (torch backend) itself."""
    assert worst(run_stack(name), np.load(GOLDEN / f"{name}_keras.npz")) <= RTOL


def test_golden_values_are_not_trivial() -> None:
    """A guard on the guard: the expected outputs vary, so agreement means something."""
    for name in STACKS:
        expected = np.load(GOLDEN / f"{name}_expected.npz")
        for layer in expected.files:
            assert np.ptp(expected[layer]) > 1e-3, (name, layer)
