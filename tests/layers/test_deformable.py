"""DeformableConv2D against torchvision 0.29.1, measured once (scripts/golden/make_deformable.py):
shapes, params (the layer plus the offset and mask convolutions it owns) and MACs from
deformable.json, values of torchvision.ops.deform_conv2d from deformable_forward.npz, with the
offsets (and masks) given as the layer's second (and third) input."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError
from convcalc.runtime import weights
from tests.conftest import GOLDEN, load_golden_json, one_layer

CASES = load_golden_json("deformable.json")["cases"]
FORWARD = np.load(GOLDEN / "deformable_forward.npz")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_shape_params_macs_match_torchvision(case) -> None:
    ((kind, args),) = case["layer"].items()
    row = one_layer(kind, args, case["input"], case["data_format"]).rows[-1]
    assert list(row.output_shape) == case["output"]
    assert row.params == case["params"]
    assert row.macs == case["macs"]
    # PyTorch's own names and shapes for the main convolution (torchvision DeformConv2d)
    shapes = dict(row.weight_shapes())
    for name, shape in case["weight_shapes"].items():
        assert list(shapes[name]) == shape
    own = sum(w.size for w in row.weights if not w.torch_name.startswith("conv_"))
    assert own == case["deform_conv2d_params"]


def _explicit_spec(case):
    ((_, args),) = case["layer"].items()
    c, h, w = case["input"]
    _, ho, wo = case["output"]
    kk = args["kernel_size"][0] * args["kernel_size"][1]
    g = args["offset_groups"]
    layers = [
        {"InputLayer": {"name": "x", "shape": [c, h, w]}},
        {"InputLayer": {"name": "offset", "shape": [2 * kk * g, ho, wo]}},
    ]
    inputs = ["x", "offset"]
    if args["use_mask"]:
        layers.append({"InputLayer": {"name": "mask", "shape": [kk * g, ho, wo]}})
        inputs.append("mask")
    layers.append({"DeformConv2d": {**args, "name": "d", "inputs": inputs}})
    doc = {"data_format": "channels_first", "layers": layers}
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), "deform.yaml"), inputs


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_forward_matches_torchvision_deform_conv2d(case) -> None:
    spec, inputs = _explicit_spec(case)
    report = analyze(spec)
    row, ls = report.rows[-1], spec.layers[-1]
    cid = case["id"]
    given = {"d/weight": FORWARD[f"{cid}/weight"]}
    if f"{cid}/bias" in FORWARD:
        given["d/bias"] = FORWARD[f"{cid}/bias"]
    params = weights.build([(ls, list(row.weights))], 0, None, "torch", False, given)["d"]
    xs = [np.ascontiguousarray(np.moveaxis(FORWARD[f"{cid}/{n}"], 1, -1)) for n in inputs]
    y = ls.layer.forward(xs, params)
    expected = np.moveaxis(FORWARD[f"{cid}/y"], 1, -1)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=2e-5)


def test_zero_offsets_make_a_plain_convolution() -> None:
    # the one-input layer starts with zero offset weights (mmcv's init): a Conv2D, and with
    # use_mask sigmoid(0) = 0.5 of it
    text = """
input: [6, 5, 3]
layers:
  - Conv2D: {name: c, filters: 4, kernel_size: 3, padding: 1, inputs: [input_1]}
  - DeformableConv2D: {name: d, filters: 4, kernel_size: 3, padding: 1, inputs: [input_1]}
  - DeformableConv2D: {name: m, filters: 4, kernel_size: 3, padding: 1, use_mask: true, inputs: [input_1]}
"""
    spec = parse_spec(text, "z.yaml")
    report = analyze(spec)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 3), dtype=np.float32)
    rows = {r.name: r for r in report.rows}
    k = rng.standard_normal((3, 3, 3, 4), dtype=np.float32)
    out = {}
    for ls in spec.layers[1:]:
        p = weights.build([(ls, list(rows[ls.name].weights))], 0, None, "keras", False)[ls.name]
        p["kernel"] = k
        out[ls.name] = ls.layer.forward([x], p)
    np.testing.assert_allclose(out["d"], out["c"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["m"], 0.5 * out["c"], rtol=1e-5, atol=1e-5)


def test_counts_by_hand_and_field_is_data_dependent() -> None:
    # 8x8x4 -> 8x8x6, k=3, G=2, v2: main 3·3·4·6 + 6 = 222; offsets 3·3·4·36 + 36 = 1332;
    # mask 3·3·4·18 + 18 = 666. MACs: 64·6·4·9 = 13,824 + 64·54·4·9 = 124,416.
    report = one_layer(
        "DeformableConv2D",
        {"filters": 6, "kernel_size": 3, "padding": 1, "offset_groups": 2, "use_mask": True},
        [8, 8, 4],
    )
    row = report.rows[-1]
    assert row.params == 222 + 1332 + 666
    assert row.macs == 13_824 + 124_416
    assert "data dependent" in row.field.reason
    # sampling: 64 positions · 9 taps · 4 channels = 2,304 values, 5 multiply-adds each with mask
    from convcalc.layers import REGISTRY

    layer = REGISTRY["DeformableConv2D"]({"filters": 6, "kernel_size": (3, 3), "use_mask": True})
    assert layer.sampling_ops([(8, 8, 4)], (8, 8, 6)) == 2304 * 5


def test_offset_input_of_the_wrong_shape_is_an_error() -> None:
    text = """
layers:
  - InputLayer: {name: x, shape: [6, 6, 2]}
  - InputLayer: {name: offs, shape: [6, 6, 9]}
  - DeformableConv2D: {filters: 2, kernel_size: 3, padding: 1, inputs: [x, offs]}
"""
    with pytest.raises(SpecError, match=r"offset input must have shape \(6, 6, 18\)"):
        analyze(parse_spec(text, "bad.yaml"))
