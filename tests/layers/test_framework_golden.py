"""Every layer kind against values measured once in PyTorch 2.13 and Keras 3 (torch backend).

tests/golden/layer_cases.json was produced by scripts/golden/make_layer_cases.py in a throwaway
environment: output shapes by running each layer on zeros, params from the framework's own
parameter lists (Keras: trainable / non-trainable weights), MACs from PyTorch's
FlopCounterMode (total_flops // 2; bias excluded, transposed counted on the input grid).
"""

from __future__ import annotations

import copy

import pytest

from convcalc.errors import SpecError
from tests.conftest import load_golden_json, one_layer

CASES = load_golden_json("layer_cases.json")["cases"]
VALID = [c for c in CASES if "error" not in c]
ERRORS = [c for c in CASES if "error" in c]

# Rules where PyTorch and Keras disagree; convcalc follows the other framework, on purpose.
DIVERGENCES = {
    # PyTorch refuses strided 'same'; the spec's 'same' is Keras's, where it is legal:
    # out = ceil(8/2) = 4 on each axis.
    "torch_conv2d_f8_k3_s2_psame_in4x8x8": [8, 4, 4],
    "torch_conv1d_f8_k3_s2_psame_in4x8": [8, 4],
    # Keras refuses strides > 1 with dilation > 1; PyTorch allows it (same: ceil(9/2) = 5;
    # causal: ceil(9/2) = 5; transposed, Keras 'valid': (5-1)*2 + (2*(3-1)+1) = 13).
    "keras_conv2d_f8_k3_s2_d2_psame_in9x9x4": [5, 5, 8],
    "keras_conv1d_f8_k3_s2_d2_pcausal_in9x4": [5, 8],
    "keras_conv2dtranspose_f8_k3_s2_d2_in5x5x4": [13, 13, 8],
}


def _layer(case: dict) -> tuple[str, dict]:
    ((kind, args),) = case["layer"].items()
    args = copy.deepcopy(args)
    if (
        case["source"] == "torch"
        and kind.startswith(("Conv", "Max", "Average"))
        and "padding" not in args
        and "Global" not in kind
    ):
        args["padding"] = 0  # PyTorch's default padding (Keras's is 'valid')
    return kind, args


def test_the_golden_file_is_big_enough():
    kinds = {next(iter(c["layer"])) for c in VALID}
    assert len(VALID) >= 200
    assert {
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "DepthwiseConv2D",
        "SeparableConv2D",
        "Conv2DTranspose",
        "MaxPooling2D",
        "AveragePooling3D",
        "BatchNormalization",
        "Dense",
    } <= kinds


@pytest.mark.parametrize("case", VALID, ids=[c["id"] for c in VALID])
def test_layer_matches_framework(case):
    kind, args = _layer(case)
    row = one_layer(kind, args, case["input"], case["data_format"]).rows[-1]
    assert list(row.output_shape) == case["output"]
    assert row.params == case["params"]
    assert row.trainable_params == case["trainable_params"]
    assert row.non_trainable_params == case["non_trainable_params"]
    if case["macs"] is not None:
        assert row.macs == case["macs"]


@pytest.mark.parametrize("case", ERRORS, ids=[c["id"] for c in ERRORS])
def test_layer_rejected_like_framework(case):
    kind, args = _layer(case)
    if case["id"] in DIVERGENCES:
        row = one_layer(kind, args, case["input"], case["data_format"]).rows[-1]
        assert list(row.output_shape) == DIVERGENCES[case["id"]]
        return
    with pytest.raises(SpecError) as info:
        one_layer(kind, args, case["input"], case["data_format"])
    message = str(info.value)
    assert "t.yaml:" in message and "error:" in message
