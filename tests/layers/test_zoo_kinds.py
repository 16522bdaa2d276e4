"""Rescaling, Normalization (Keras) and LocalResponseNormalization (PyTorch's
LocalResponseNorm), the kinds the zoo needs (EfficientNet's first layers, AlexNet's norm1 and
norm2), against values measured once in Keras 3.15 and PyTorch 2.13: tests/golden/zoo_kinds.json
and zoo_kinds_forward.npz, made by scripts/golden/make_zoo_kinds.py."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import GOLDEN, load_golden_json, one_layer

CASES = load_golden_json("zoo_kinds.json")["cases"]
FORWARD = np.load(GOLDEN / "zoo_kinds_forward.npz")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_shape_params_and_macs(case: dict) -> None:
    ((kind, args),) = case["layer"].items()
    row = one_layer(kind, args, case["input"], case["data_format"]).rows[-1]
    assert list(row.output_shape) == case["output"]
    assert (row.params, row.trainable_params, row.non_trainable_params) == (
        case["params"],
        case["trainable_params"],
        case["non_trainable_params"],
    )
    assert row.macs == case["macs"] == 0
    if "weight_shapes" in case:
        # Keras's scalars (count; mean and variance without an axis) are one-element vectors here
        want = {k: v or [1] for k, v in case["weight_shapes"].items()}
        assert {w.name: list(w.shape) for w in row.weights} == want


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_forward_equals_the_framework(case: dict) -> None:
    from convcalc.analysis import parse_spec

    ((kind, args),) = case["layer"].items()
    doc = {"input": case["input"], "data_format": case["data_format"], "layers": [{kind: args}]}
    import yaml

    layer = parse_spec(yaml.safe_dump(doc), "k.yaml").layers[-1].layer
    x = FORWARD[f"{case['id']}/input"]
    want = FORWARD[f"{case['id']}/output"]
    cf = case["data_format"] == "channels_first"
    xc = np.moveaxis(x, 1, -1) if cf else x  # forward takes channels last
    params = {
        w: FORWARD[f"{case['id']}/{w}"]
        for w in ("mean", "variance", "count")
        if f"{case['id']}/{w}" in FORWARD.files
    }
    y = layer.forward([np.ascontiguousarray(xc)], params)
    got = np.moveaxis(y, -1, 1) if cf else y
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)


def test_alexnet_lrn_by_hand() -> None:
    """One position, size 3: channel 1's window is channels 0..2 (PyTorch pads size//2 = 1
    before, (size-1)//2 = 1 after); b = a / (k + alpha/3 · (a0² + a1² + a2²))^beta."""
    from convcalc.ops.lrn import local_response_norm

    a = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    y = local_response_norm(a, 3, 0.3, 0.5, 1.0)
    assert y[0, 1] == pytest.approx(2.0 / (1 + 0.1 * (1 + 4 + 9)) ** 0.5)
    assert y[0, 0] == pytest.approx(1.0 / (1 + 0.1 * (1 + 4)) ** 0.5)
    assert y[0, 3] == pytest.approx(4.0 / (1 + 0.1 * (9 + 16)) ** 0.5)
