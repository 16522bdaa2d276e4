"""Rescaling's and Normalization's values (Keras's formulas, in float32: y = x·scale + offset;
(x - mean) / max(sqrt(variance), 1e-7), and mean + x·max(sqrt(variance), 1e-7) inverted).
Hand-derived values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import yaml

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError


def layer(shape: list[int], kind: str, args: dict[str, Any]) -> Any:
    doc = {"layers": [{"InputLayer": {"shape": shape}}, {kind: args}]}
    return parse_spec(yaml.safe_dump(doc)).layers[-1].layer


X = np.array([[[[3.0, 2.0, 9.0], [5.0, 2.5, 0.0]]]], dtype=np.float32)  # (1, 1, 2, 3)


def test_normalization_per_channel() -> None:
    # mean (1, 2, 3), variance (4, 0, 9): std (2, 1e-7 (the floor), 3)
    norm = layer([1, 2, 3], "Normalization", {"mean": [1, 2, 3], "variance": [4, 0, 9]})
    y = norm.forward([X.copy()], {})
    assert y.dtype == np.float32 and y.shape == X.shape
    want = [[(3 - 1) / 2, 0.0, (9 - 3) / 3], [(5 - 1) / 2, 0.5 / 1e-7, (0 - 3) / 3]]
    assert np.allclose(y[0, 0], want, rtol=1e-6)


def test_normalization_inverted_undoes_it() -> None:
    args = {"mean": [1, 2, 3], "variance": [4, 1, 9], "invert": True}
    y = layer([1, 2, 3], "Normalization", args).forward([X.copy()], {})
    want = [[1 + 3 * 2, 2 + 2 * 1, 3 + 9 * 3], [1 + 5 * 2, 2 + 2.5 * 1, 3 + 0 * 3]]
    assert np.array_equal(y[0, 0], np.array(want, dtype=np.float32))


def test_normalization_from_weights_and_without_an_axis() -> None:
    norm = layer([1, 2, 3], "Normalization", {"axis": None})
    params = {"mean": np.array([2.0]), "variance": np.array([16.0])}  # std 4
    y = norm.forward([X.copy()], params)
    assert np.array_equal(y, (X - 2) / 4)


def test_rescaling() -> None:
    y = layer([1, 2, 3], "Rescaling", {"scale": 0.5, "offset": -1}).forward([X.copy()], {})
    assert y.dtype == np.float32
    assert np.array_equal(y[0, 0], [[0.5, 0.0, 3.5], [1.5, 0.25, -1.0]])


def test_normalization_statistics_of_the_wrong_length_are_a_located_error() -> None:
    """Two means for three channels: an error at analysis, naming the argument (it was a
    reshape failure inside `run` before), not at execution."""
    text = "input: [4, 4, 3]\nlayers:\n  - Normalization: {mean: [1, 2], variance: [1, 4, 9]}\n"
    with pytest.raises(SpecError) as info:
        analyze(parse_spec(text))
    message = str(info.value)
    assert "mean has 2 values" in message and "3 positions" in message
    # one value for every channel stays valid (Keras broadcasts a scalar)
    ok = "input: [4, 4, 3]\nlayers:\n  - Normalization: {mean: 1, variance: [1, 4, 9]}\n"
    assert analyze(parse_spec(ok)).rows[-1].shape == (4, 4, 3)
