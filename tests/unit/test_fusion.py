"""Element-wise layers fused into the convolution before them give the unfused values exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from convcalc import analyze, load_spec
from convcalc.runtime import fusion
from convcalc.runtime.executor import Execution, RunOptions

SPEC = """\
name: fused
input: [14, 13, 4]
layers:
  - Conv2D: {name: c1, filters: 8, kernel_size: 3, strides: 2, padding: same, use_bias: false}
  - BatchNormalization: {name: bn1}
  - ReLU: {name: r1, max_value: 6}
  - DepthwiseConv2D: {name: dw, kernel_size: 3, padding: same}
  - BatchNormalization: {name: bn2}
  - Activation: {name: a2, activation: swish}
  - DepthwiseConv2D: {name: dw2, kernel_size: 3, depth_multiplier: 2, padding: same}
  - ReLU6: {name: r2}
  - Conv2D: {name: pw, filters: 8, kernel_size: 1, activation: relu}
  - BatchNormalization: {name: bn3}
  - Conv2D: {name: c3, filters: 8, kernel_size: 3, padding: same}
  - BatchNormalization: {name: bn4}
  - Add: {name: add, inputs: [bn3, bn4]}
  - Conv2D: {name: c4, filters: 6, kernel_size: 3, padding: valid}
  - BatchNormalization: {name: bn5}
  - Activation: {name: sm, activation: softmax}
  - LeakyReLU: {name: lr}
  - Conv2D: {name: s1, filters: 6, kernel_size: 1}
  - Conv2D: {name: s2, filters: 6, kernel_size: 1, inputs: [lr]}
  - BatchNormalization: {name: sb1, inputs: [s1]}
  - BatchNormalization: {name: sb2, inputs: [s2]}
  - Add: {name: sadd, inputs: [sb1, sb2]}
  - SeparableConv2D: {name: sep, filters: 6, kernel_size: 3, padding: same}
  - BatchNormalization: {name: bn7}
  - ReLU: {name: r7}
  - Conv2DTranspose: {name: tc, filters: 6, kernel_size: 3, padding: same}
  - BatchNormalization: {name: bn8}
  - Conv2D: {name: c5, filters: 6, kernel_size: 1}
  - BatchNormalization: {name: bn6}
"""


@pytest.fixture(params=[False, True], ids=["tuned", "small-blocks"])
def execution(request, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Execution:
    from convcalc.ops.base import TUNING

    monkeypatch.setattr(TUNING, "winograd_min_channels", 1)  # c3 by Winograd

    monkeypatch.setattr(TUNING, "winograd_min_channels_compiled", 1)
    monkeypatch.setattr(TUNING, "winograd_min_tiles", 1)
    if request.param:  # blocks of a row or less, slabs of a few elements
        monkeypatch.setattr(TUNING, "depthwise_block", 8)
        monkeypatch.setattr(TUNING, "parallel_min", 4)
        monkeypatch.setattr(TUNING, "winograd_slab", 16)
        monkeypatch.setattr(TUNING, "winograd_gemm_rows", 0)
    path = tmp_path / "fused.yaml"
    path.write_text(SPEC)
    spec = load_spec(path)
    ex = Execution(spec, analyze(spec), RunOptions(batch=2, keep_activations=True))
    ex.forward()  # the first pass: unfused, keeps every activation
    return ex


def names(ex: Execution, plan: fusion.Plan) -> dict[str, list[str]]:
    return {
        ex.layer_specs[i].name: [ex.layer_specs[j].name for j in tail] for i, tail in plan.items()
    }


def test_the_plan_fuses_only_single_reader_chains(execution: Execution) -> None:
    assert names(execution, execution._fused()) == {
        "c1": ["bn1", "r1"],
        "dw": ["bn2", "a2"],
        "dw2": ["r2"],
        "c3": ["bn4"],
        "c4": ["bn5"],  # softmax and LeakyReLU are not in-place element-wise epilogues
        "s1": ["sb1"],  # a reader listed after another layer
        "s2": ["sb2"],
        "sep": ["bn7", "r7"],  # the pointwise GEMM's epilogue
        # tc: a transposed convolution has a forward of its own, not Conv2D's epilogue path
        "c5": ["bn6"],  # the model's output may be the last of a chain
    }  # pw has an activation of its own: its BatchNorm stays a layer


def test_fused_passes_give_the_unfused_values(execution: Execution) -> None:
    seen: dict[str, np.ndarray] = {}
    times: dict[str, float] = {}
    out = execution._layers(
        dict(execution.inputs), times, lambda i, ls, y: seen.__setitem__(ls.name, y.copy())
    )
    assert set(times) == {ls.name for ls in execution.layer_specs}
    assert times["bn1"] == times["r1"] == 0.0
    assert "bn1" not in seen and "r1" in seen
    for name, y in seen.items():
        np.testing.assert_array_equal(y, execution.saved[name], name)
    np.testing.assert_array_equal(out["bn6"], execution.outputs["bn6"])


def test_fusion_can_be_turned_off(execution: Execution, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVCALC_FUSE", "0")
    assert fusion.plan(execution.layer_specs, execution.report, execution.params) == {}
