"""The integer test vectors of PyTorch's C++ API module tests (test/cpp/api/modules.cpp,
FIELD-NOTES §12.5), reproduced exactly by --run: arange inputs and weights, no bias, PyTorch
layout and channels_first, so every value is an integer that float32 holds exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from convcalc import analyze
from convcalc.analysis import parse_spec
from convcalc.runtime.executor import RunOptions, execute


def run(tmp_path: Path, yaml: str, weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    spec = parse_spec(yaml, "vector.yaml")
    np.savez(tmp_path / "w.npz", **{"m.weight": weight.astype(np.float32)})
    np.save(tmp_path / "x.npy", x.astype(np.float32))
    result = execute(
        spec,
        analyze(spec),
        RunOptions(
            input_path=tmp_path / "x.npy", weights_path=tmp_path / "w.npz", weights_layout="torch"
        ),
    )
    return result.outputs["m"]


def test_conv1d(tmp_path: Path) -> None:
    y = run(
        tmp_path,
        """
data_format: channels_first
input: [3, 5]
layers: [{Conv1d: {name: m, in_channels: 3, out_channels: 2, kernel_size: 3, bias: false}}]
""",
        np.arange(18).reshape(2, 3, 3),
        np.arange(30).reshape(2, 3, 5),
    )
    assert np.array_equal(
        y, [[[312, 348, 384], [798, 915, 1032]], [[852, 888, 924], [2553, 2670, 2787]]]
    )


def test_conv2d_even(tmp_path: Path) -> None:
    y = run(
        tmp_path,
        """
data_format: channels_first
input: [3, 5, 5]
layers: [{Conv2d: {name: m, in_channels: 3, out_channels: 2, kernel_size: 3, bias: false}}]
""",
        np.arange(54).reshape(2, 3, 3, 3),
        np.arange(75).reshape(1, 3, 5, 5),
    )
    assert np.array_equal(
        y[0, 0], [[15219, 15570, 15921], [16974, 17325, 17676], [18729, 19080, 19431]]
    )
    assert np.array_equal(
        y[0, 1], [[37818, 38898, 39978], [43218, 44298, 45378], [48618, 49698, 50778]]
    )


def test_conv_transpose1d(tmp_path: Path) -> None:
    # the module is declared (3, 2, 3) but the replaced weight (2, 3, 3) makes it 2 -> 3
    y = run(
        tmp_path,
        """
data_format: channels_first
input: [2, 5]
layers: [{ConvTranspose1d: {name: m, out_channels: 3, kernel_size: 3, bias: false}}]
""",
        np.arange(18).reshape(2, 3, 3),
        np.arange(20).reshape(2, 2, 5),
    )
    assert np.array_equal(
        y,
        [
            [
                [45, 104, 179, 212, 245, 188, 107],
                [60, 140, 242, 293, 344, 260, 146],
                [75, 176, 305, 374, 443, 332, 185],
            ],
            [
                [135, 304, 509, 542, 575, 428, 237],
                [210, 460, 752, 803, 854, 620, 336],
                [285, 616, 995, 1064, 1133, 812, 435],
            ],
        ],
    )


def test_conv_transpose2d_even(tmp_path: Path) -> None:
    y = run(
        tmp_path,
        """
data_format: channels_first
input: [2, 5, 5]
layers: [{ConvTranspose2d: {name: m, out_channels: 3, kernel_size: 3, bias: false}}]
""",
        np.arange(54).reshape(2, 3, 3, 3),
        np.arange(50).reshape(1, 2, 5, 5),
    )
    assert y.shape == (1, 3, 7, 7)
    assert np.array_equal(y[0, 0, 0], [675, 1402, 2183, 2270, 2357, 1634, 849])
    assert np.array_equal(y[0, 0, 6], [1605, 3314, 5129, 5252, 5375, 3698, 1907])
    assert np.array_equal(y[0, 1, 0], [900, 1870, 2912, 3053, 3194, 2210, 1146])
