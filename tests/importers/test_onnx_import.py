"""ONNX graphs read as specs (tests/golden/onnx/, scripts/golden/make_onnx.py): torchvision's
ResNet-18 and MobileNetV2 exported by PyTorch give PyTorch's parameter counts (plus the
BatchNorm statistics convcalc counts as Keras does), FlopCounterMode's MACs and every module's
output shape; a tiny net and hand-built graphs cover the other ops, auto_pad and an op convcalc
does not read."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")

from convcalc import run
from convcalc.analysis import analyze, load_spec
from convcalc.errors import SpecError
from tests.conftest import GOLDEN, load_golden_json

ONNX = GOLDEN / "onnx"
FACTS = load_golden_json("onnx/facts.json")


@pytest.mark.parametrize("model", ["resnet18", "mobilenet_v2", "tiny"])
def test_torchvision_graphs_give_pytorchs_counts_and_shapes(model):
    facts = FACTS[model]
    report = analyze(load_spec(ONNX / f"{model}.onnx"))
    t = report.totals
    # PyTorch's parameters are the trainable ones; its BatchNorm running statistics are
    # buffers, which convcalc counts as Keras does (non-trainable)
    assert t.trainable_params == facts["params"]
    assert t.non_trainable_params == facts["running_stats"]
    batch = 2 if model == "tiny" else 1  # FlopCounterMode counted tiny's batch of 2
    assert t.macs * batch == facts["macs"]
    assert list(report.output_shape) == facts["output_shape"]
    rows = {r.name: r for r in report.rows}
    for module, shape in facts["shapes"].items():
        if module in rows:  # modules with weights name their layer (layer1.0.conv1)
            assert list(rows[module].output_shape) == shape, module
    assert report.incomplete == ()


def test_resnet18_layers_are_named_after_their_modules():
    report = analyze(load_spec(ONNX / "resnet18.onnx"))
    names = [r.name for r in report.rows]
    assert names[:6] == ["input", "conv1", "bn1", "relu", "maxpool", "layer1.0.conv1"]
    assert "layer1.0.relu" in names and "layer4.1.bn2" in names and names[-1] == "fc"
    assert report.row("fc").params == 512 * 1000 + 1000


def test_auto_pad_gives_onnx_shapes():
    report = analyze(load_spec(ONNX / "autopad.onnx"))
    for name, shape in FACTS["autopad"]["shapes"].items():
        assert list(report.row(name).output_shape) == shape, name
    # onnx's reference evaluator disagrees on one (MaxPool SAME_LOWER): ceil(7/2) = 4 is the
    # operator spec's, which shape inference follows
    assert FACTS["autopad"]["reference_evaluator"]["max_same_lower"] == [2, 3, 4]


def test_hand_built_ops_and_their_values_against_onnx_reference(tmp_path):
    report = analyze(load_spec(ONNX / "ops.onnx"))
    shapes = FACTS["ops"]
    for name, tensor in (("pad", "padded"), ("resize", "resized"), ("flatten", "flat"),
                         ("fc", "fc_out"), ("gmax", "gmax")):  # fmt: skip
        assert list(report.row(name).output_shape) == shapes[tensor], name
    assert report.row("fc").params == 704 * 5 + 5  # MatMul + Add: a Dense with its bias
    assert report.row("relu6").kind == "ReLU6"
    result = run(
        load_spec(ONNX / "ops.onnx"),
        input_path=ONNX / "ops_input.npy",
        weights_path=ONNX / "ops.onnx",
        keep_activations=True,
    )
    expected = np.load(ONNX / "ops_expected.npz")
    for name, tensor in (("pad", "padded"), ("resize", "resized"), ("fc", "fc_out"),
                         ("gmax", "gmax")):  # fmt: skip
        np.testing.assert_allclose(result.activations[name], expected[tensor], rtol=1e-5, atol=1e-5)


def test_tiny_runs_with_its_initializers_as_pytorch_does():
    result = run(
        load_spec(ONNX / "tiny.onnx"),
        input_path=ONNX / "tiny_input.npy",
        weights_path=ONNX / "tiny.onnx",
    )
    (out,) = result.outputs.values()
    np.testing.assert_allclose(out, np.load(ONNX / "tiny_output.npy"), rtol=1e-4, atol=1e-6)


def test_an_unknown_op_is_listed_where_it_sits(cli):
    report = analyze(load_spec(ONNX / "unknown.onnx"))
    assert [(r.name, r.kind) for r in report.incomplete] == [("erf", "Opaque")]
    assert list(report.row("erf").output_shape) == FACTS["unknown"]["e"]
    assert report.row("gap").inputs == ("erf",)
    out = cli("summary", ONNX / "unknown.onnx")
    assert " erf (Opaque)                   (None, 4, 6, 6)         0       ?\n" in out.stdout
    assert "Incomplete: 1 layer not analysable" in out.stdout
    run_refused = cli("run", ONNX / "unknown.onnx")
    assert run_refused.exit_code == 2
    assert "--run cannot execute op 'Erf'" in run_refused.output


def test_stripped_weights_and_bad_files_are_refused(tmp_path):
    with pytest.raises(SpecError, match="holds no weight data"):
        run(load_spec(ONNX / "resnet18.onnx"), weights_path=ONNX / "resnet18.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00not protobuf")
    with pytest.raises(SpecError) as err:
        load_spec(bad)
    assert err.value.render().startswith(f"{bad}: error: is not an ONNX model")
