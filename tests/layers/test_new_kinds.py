"""ReLU6, the adaptive poolings and LayerNormalization against values measured once in PyTorch
2.13 and Keras 3.15 (torch backend): tests/golden/new_kinds.json (shapes, params, MACs from
FlopCounterMode, the epsilon each layer used) and new_kinds_forward.npz (seeded inputs, random
affine weights and the frameworks' outputs), made by scripts/golden/make_new_kinds.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.errors import SpecError
from tests.conftest import GOLDEN, load_golden_json, one_layer

DATA = load_golden_json("new_kinds.json")
CASES = DATA["cases"]
VALID = [c for c in CASES if "error" not in c]
ERRORS = [c for c in CASES if "error" in c]
FORWARD = np.load(GOLDEN / "new_kinds_forward.npz")
# PyTorch returns an empty axis for output_size 0; Keras and convcalc refuse it
REFUSED = {c["id"] for c in VALID if 0 in c["output"]}
WITH_VALUES = [c for c in VALID if f"{c['id']}/output" in FORWARD.files and c["id"] not in REFUSED]

# Where the frameworks disagree and convcalc takes the other side, on purpose:
ACCEPTED = {
    # Keras refuses None in output_size; PyTorch keeps that axis, and so does convcalc
    "keras_adaptiveaveragepooling2d_ononex3_in7x10x2": [7, 3, 2],
    "keras_adaptiveaveragepooling2d_o3xnone_in7x10x2": [3, 10, 2],
    "keras_adaptiveaveragepooling2d_ononex3_in2x7x10_cf": [2, 7, 3],
    "keras_adaptivemaxpooling2d_ononex3_in7x10x2": [7, 3, 2],
    "keras_adaptivemaxpooling2d_o3xnone_in7x10x2": [3, 10, 2],
    "keras_adaptivemaxpooling2d_ononex3_in2x7x10_cf": [2, 7, 3],
}
# Keras sorts [1, -1] as written ([-1, 1]) and builds gamma as (C, H); convcalc keeps the
# axes in the sample's order, (H, C): the same 30 params (Keras then scrambles the values)
KERAS_GAMMA_ORDER = {"keras_layernormalization_ax1x-1_in5x6x3"}


def analysed(case: dict):
    ((kind, args),) = case["layer"].items()
    return one_layer(kind, dict(args), case["input"], case["data_format"])


def test_the_golden_file_covers_every_new_kind() -> None:
    kinds = {next(iter(c["layer"])) for c in VALID}
    assert {
        "ReLU6",
        "AdaptiveAvgPool1d",
        "AdaptiveAvgPool2d",
        "AdaptiveMaxPool1d",
        "AdaptiveMaxPool2d",
        "AdaptiveAveragePooling2D",
        "LayerNorm",
        "LayerNormalization",
    } <= kinds
    assert len(WITH_VALUES) >= 100


@pytest.mark.parametrize(
    "case", [c for c in VALID if c["id"] not in REFUSED], ids=lambda c: c["id"]
)
def test_counts_match_the_frameworks(case: dict) -> None:
    row = analysed(case).rows[-1]
    assert list(row.output_shape) == case["output"]
    assert (row.params, row.trainable_params, row.non_trainable_params, row.macs) == (
        case["params"],
        case["trainable_params"],
        case["non_trainable_params"],
        case["macs"],
    )
    if "weight_shapes" in case and case["id"] not in KERAS_GAMMA_ORDER:
        layout = "torch" if case["source"] == "torch" else "keras"
        shapes = {
            (w.torch_name if layout == "torch" else w.name): list(w.shape) for w in row.weights
        }
        assert shapes == case["weight_shapes"]
    if "epsilon" in case:
        spec_layer = analysed_layer(case)
        assert spec_layer.epsilon == pytest.approx(case["epsilon"])


def analysed_layer(case: dict):
    import yaml

    from convcalc.analysis import parse_spec

    ((kind, args),) = case["layer"].items()
    doc = {"input": case["input"], "data_format": case["data_format"], "layers": [{kind: args}]}
    return parse_spec(yaml.safe_dump(doc), "t.yaml").layers[-1].layer


@pytest.mark.parametrize(
    "case",
    [c for c in ERRORS if c["id"] not in ACCEPTED] + [c for c in VALID if c["id"] in REFUSED],
    ids=lambda c: c["id"],
)
def test_rejected_like_the_framework(case: dict) -> None:
    with pytest.raises(SpecError) as info:
        analysed(case)
    assert "t.yaml:" in str(info.value) and "error:" in str(info.value)


@pytest.mark.parametrize("case", [c for c in ERRORS if c["id"] in ACCEPTED], ids=lambda c: c["id"])
def test_accepted_where_pytorch_accepts(case: dict) -> None:
    assert list(analysed(case).rows[-1].output_shape) == ACCEPTED[case["id"]]


def to_canonical(a: np.ndarray, channels_first: bool) -> np.ndarray:
    return np.moveaxis(a, 1, -1) if channels_first and a.ndim >= 3 else a


@pytest.mark.parametrize("case", WITH_VALUES, ids=lambda c: c["id"])
def test_forward_matches_the_framework(case: dict) -> None:
    cf = case["data_format"] == "channels_first"
    row = analysed(case).rows[-1]
    layer = analysed_layer(case)
    params = {}
    for w in row.weights:
        key = f"{case['id']}/{w.torch_name if case['source'] == 'torch' else w.name}"
        a = FORWARD[key].astype(np.float32)
        params[w.name] = np.ascontiguousarray(w.from_torch(a)) if case["source"] == "torch" else a
    x = to_canonical(FORWARD[f"{case['id']}/input"], cf).astype(np.float32)
    y = layer.forward([np.ascontiguousarray(x)], params)
    expected = to_canonical(FORWARD[f"{case['id']}/output"], cf)
    assert y.dtype == np.float32 and y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_relu6_clips_at_zero_and_six() -> None:
    """A hand case: min(max(x, 0), 6)."""
    (case,) = [c for c in VALID if c["id"] == "torch_relu6_in7"]
    layer = analysed_layer(case)
    y = layer.forward([np.array([[-1.0, 0.0, 3.0, 6.0, 7.5, -0.5, 2.0]], dtype=np.float32)], {})
    assert y.tolist() == [[0.0, 0.0, 3.0, 6.0, 6.0, 0.0, 2.0]]


def test_adaptive_windows_by_hand() -> None:
    """PyTorch's rule start = floor(i·L/out), end = ceil((i+1)·L/out): L=7, out=3 pools
    [0, 3), [2, 5), [4, 7) (the windows overlap by one)."""
    from convcalc.ops.pool import adaptive_windows

    assert adaptive_windows(7, 3) == [(0, 3), (2, 5), (4, 7)]
    assert adaptive_windows(5, 7) == [(0, 1), (0, 2), (1, 3), (2, 3), (2, 4), (3, 5), (4, 5)]
    assert adaptive_windows(14, 7) == [(2 * i, 2 * i + 2) for i in range(7)]
