"""Multiply broadcasts as Keras's does (EfficientNet's squeeze-and-excitation: a (1, 1, C) gate
times the (H, W, C) map; Keras 3 lists block1a_se_excite as (112, 112, 32), see
tests/golden/zoo_keras.json). Hand-derived values."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError


def spec(a: list[int], b: list[int]) -> str:
    return yaml.safe_dump(
        {
            "layers": [
                {"InputLayer": {"name": "x", "shape": a}},
                {"InputLayer": {"name": "g", "shape": b}},
                {"Multiply": {"name": "m", "inputs": ["x", "g"]}},
            ]
        }
    )


@pytest.mark.parametrize(
    ("a", "b", "out"),
    [
        ([4, 5, 3], [1, 1, 3], (4, 5, 3)),
        ([1, 1, 3], [4, 5, 3], (4, 5, 3)),
        ([4, 1, 3], [1, 5, 1], (4, 5, 3)),
    ],
)
def test_shapes_broadcast(a: list[int], b: list[int], out: tuple[int, ...]) -> None:
    r = analyze(parse_spec(spec(a, b)))
    assert r.rows[-1].shape == out and r.rows[-1].params == 0 and r.rows[-1].macs == 0


@pytest.mark.parametrize(("a", "b"), [([4, 5, 3], [4, 5, 2]), ([4, 5, 3], [5, 3])])
def test_shapes_that_do_not_broadcast(a: list[int], b: list[int]) -> None:
    with pytest.raises(SpecError, match="must be equal or broadcast"):
        analyze(parse_spec(spec(a, b)))


def test_forward_gates_every_position() -> None:
    s = parse_spec(spec([2, 2, 3], [1, 1, 3]))
    x = np.arange(24, dtype=np.float32).reshape(2, 2, 2, 3)
    g = np.array([1.0, 0.5, 0.0], dtype=np.float32).reshape(1, 1, 1, 3).repeat(2, axis=0)
    y = s.layers[-1].layer.forward([x, g], {})
    assert y.dtype == np.float32
    assert np.array_equal(y, x * np.array([1.0, 0.5, 0.0], dtype=np.float32))


def test_three_factors_grow_the_shape_and_leave_the_inputs_alone() -> None:
    """Two (1, 1, 3) gates then a (2, 2, 3) map: the product takes the map's shape at the third
    factor, and no input is written into (the first product is a new array)."""
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32).reshape(1, 1, 1, 3)
    b = np.array([0.5, 0.5, 2.0], dtype=np.float32).reshape(1, 1, 1, 3)
    x = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3)
    kept = [a.copy(), b.copy(), x.copy()]
    s = parse_spec(
        yaml.safe_dump(
            {
                "layers": [
                    {"InputLayer": {"name": "a", "shape": [1, 1, 3]}},
                    {"InputLayer": {"name": "b", "shape": [1, 1, 3]}},
                    {"InputLayer": {"name": "x", "shape": [2, 2, 3]}},
                    {"Multiply": {"name": "m", "inputs": ["a", "b", "x"]}},
                ]
            }
        )
    )
    y = s.layers[-1].layer.forward([a, b, x], {})
    gate = np.array([0.5, 1.0, 6.0], dtype=np.float32)  # 1*0.5, 2*0.5, 3*2
    assert y.shape == (1, 2, 2, 3) and y.dtype == np.float32
    assert np.array_equal(y, x * gate)
    assert all(np.array_equal(k, v) for k, v in zip(kept, [a, b, x]))
    y2 = s.layers[-1].layer.forward([x, a, b], {})  # the map first: in place after the copy
    assert np.array_equal(y2, x * gate) and np.array_equal(x, kept[2])
