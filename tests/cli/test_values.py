"""`convcalc run` with inline values (--input-values, --weight) and the values printed as
matrices; weight shapes in the spec's framework order; `summary --batch N`. Expected values:
PyTorch's F.conv2d (tests/golden/learning.json) and hand derivations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from convcalc.errors import UsageError
from convcalc.runtime import inline
from tests.conftest import ROOT, load_golden_json

LEARNING = load_golden_json("learning.json")
CORR = ROOT / "docs" / "examples" / "corr2d.yaml"
SEED003 = ["--input-values", "arange(9)", "--weight", "corr/kernel=[[0, 1], [2, 3]]"]


def _flat(text: str) -> str:
    """Whitespace collapsed, and none after "[" (NumPy-style alignment)."""
    return re.sub(r"\[ +", "[", " ".join(text.split()))


def test_seed003_cross_correlation_on_screen(cli) -> None:
    r = cli("run", CORR, *SEED003)
    assert r.exit_code == 0, r.output
    assert LEARNING["corr2d"]["y"] == [[19, 25], [37, 43]]
    assert "corr (Conv2D) output (2, 2, 1): [[19, 25], [37, 43]]" in _flat(r.stdout)
    assert "input_1 (InputLayer) input (3, 3, 1): [[0, 1, 2], [3, 4, 5], [6, 7, 8]]" in _flat(
        r.stdout
    )


def test_true_convolution_flips_the_kernel(cli) -> None:
    out = _flat(cli("run", CORR, *SEED003, "--true-convolution").stdout)
    assert "kernel (2, 2, 1, 1): [[3, 2], [1, 0]]" in out
    assert f"output (2, 2, 1): {LEARNING['corr2d']['true_convolution']}".replace(".0", "") in out


def test_values_in_json_and_suppressed(cli) -> None:
    doc = json.loads(cli("run", CORR, *SEED003, "--format", "json").stdout)
    assert doc["values"]["corr"]["output"] == [[[19.0], [25.0]], [[37.0], [43.0]]]
    assert "Values" not in cli("run", CORR, *SEED003, "--no-values").stdout
    big = cli("run", ROOT / "specs" / "inception_bottleneck.yaml")
    assert "Values" not in big.stdout  # large tensors: no matrices unless --values


def test_torch_layout_values_and_weights(cli, tmp_path: Path) -> None:
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "data_format: channels_first\ninput: [2, 3, 3]\nlayers:\n"
        "  - Conv2d: {name: c, out_channels: 1, kernel_size: 2, bias: false}\n"
    )
    # PyTorch layout (out, in, kh, kw) = (1, 2, 2, 2): channel 0 gets [[0,1],[2,3]], channel 1
    # all ones; input channel 0 = arange(9), channel 1 = 1: y = [[19,25],[37,43]] + 4
    r = cli(
        "run",
        spec,
        "--input-values",
        "[[[0,1,2],[3,4,5],[6,7,8]], [[1,1,1],[1,1,1],[1,1,1]]]",
        "--weights-layout",
        "torch",
        "--weight",
        "c/weight=[[[[0,1],[2,3]], [[1,1],[1,1]]]]",
    )
    assert r.exit_code == 0, r.output
    out = _flat(r.stdout)
    assert (
        "c (Conv2D) weight (1, 2, 2, 2):" in out
        and "weight[0, 1] (in 1 -> out 0): [[1, 1], [1, 1]]" in out
    )
    assert "c (Conv2D) output (1, 2, 2): [[23, 29], [41, 47]]" in out


def test_inline_errors(cli) -> None:
    r = cli("run", CORR, "--input-values", "[[1, 2], [3]]")
    assert r.exit_code == 2 and "differ in length" in r.stderr
    r = cli("run", CORR, "--input-values", "arange(8)")
    assert r.exit_code == 2 and "has shape (3, 3, 1) (9 values)" in r.stderr
    r = cli("run", CORR, "--weight", "nope/kernel=[1]")
    assert r.exit_code == 2 and "no layer 'nope'" in r.stderr
    r = cli("run", CORR, "--weight", "corr/weight=[1]")
    assert r.exit_code == 2 and "its weights: kernel" in r.stderr


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("[[0, 1], [2, 3]]", (2, 2)),
        ("[0 1; 2 3]", (2, 2)),
        ("0, 1; 2, 3", (2, 2)),
        ("arange(9)", (9,)),
        ("ones(2x3)", (2, 3)),
    ],
)
def test_literal_forms(text, shape) -> None:
    assert inline.parse(text, "--x").shape == shape


def test_literals_evaluate_no_code() -> None:
    with pytest.raises(UsageError):
        inline.parse("__import__('os').system('true')", "--x")
    with pytest.raises(UsageError):
        inline.parse("[" * 5000 + "]" * 5000, "--x")


def test_json_weights_follow_the_framework_order(cli, tmp_path: Path) -> None:
    # seed 001: nn.Conv1d(256, 128, 3): weight torch.Size([128, 256, 3]) (golden), bias [128];
    # nn.Conv2d(10, 5, 3, groups=5): weight (5, 2, 3, 3)
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "data_format: channels_first\ninput: [256, 15]\nlayers:\n"
        "  - Conv1d: {name: conv1, in_channels: 256, out_channels: 128, kernel_size: 3}\n"
    )
    layer = json.loads(cli("summary", spec, "-f", "json").stdout)["layers"][1]
    seed = LEARNING["seed001"]
    assert {w["name"]: w["shape"] for w in layer["weights"]} == seed["conv1d"]
    assert [128, *layer["output_shape"][1:]] == seed["conv1d_out"][1:]
    spec.write_text(
        "data_format: channels_first\ninput: [10, 224, 224]\nlayers:\n"
        "  - Conv2d: {in_channels: 10, out_channels: 5, kernel_size: 3, groups: 5}\n"
    )
    layer = json.loads(cli("summary", spec, "-f", "json").stdout)["layers"][1]
    assert {w["name"]: w["shape"] for w in layer["weights"]} == seed["grouped"]
    assert layer["weights_layout"] == "torch"
    keras = json.loads(cli("summary", ROOT / "specs" / "vgg16.yaml", "-f", "json").stdout)[
        "layers"
    ][1]
    assert keras["weights"][0] == {"name": "kernel", "shape": [3, 3, 3, 64], "trainable": True}


def test_layers_kind_shows_symbolic_weights(cli) -> None:
    torch = cli("layers", "Conv2d").stdout
    assert "weight (out_channels, in_channels/groups, kh, kw)" in torch
    assert "Weights (PyTorch names and layout)" in torch
    keras = cli("layers", "Conv2D").stdout
    assert "kernel (kh, kw, C_in/groups, filters)" in keras
    assert "weight (out_features, in_features)" in cli("layers", "Linear").stdout


def test_summary_batch(cli, tmp_path: Path) -> None:
    # seed 001: nn.Conv2d(16, 33, 3, stride=2) on (20, 16, 50, 100) -> (20, 33, 24, 49);
    # MACs 24·49·33·16·9 = 5,588,352 per sample, 111,767,040 for 20
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "data_format: channels_first\ninput: [16, 50, 100]\nlayers:\n"
        "  - Conv2d: {name: m, in_channels: 16, out_channels: 33, kernel_size: 3, stride: 2}\n"
    )
    out = cli("summary", spec, "--batch", "20").stdout  # PyTorch's spelling: its view
    assert "[20, 33, 24, 49]" in out and "111,767,040" in out and "a batch of 20" in out
    assert "m (Conv2d)" in out
    keras = cli("summary", spec, "--batch", "20", "--convention", "keras").stdout
    assert "(20, 33, 24, 49)" in keras and "m (Conv2D)" in keras and "111,767,040" in keras
    doc = json.loads(cli("summary", spec, "--batch", "20", "-f", "json").stdout)
    assert doc["layers"][1]["batch_shape"] == [20, 33, 24, 49]
    assert doc["batch_totals"]["macs"] == 111_767_040 == 20 * doc["totals"]["macs"]
    r = cli("summary", spec, "--batch", "2", "--style", "keras")
    assert r.exit_code == 2
