"""`convcalc explain-count SPEC --vs TOOL`: the tool's total (its golden), and where and why it
differs from convcalc's, by hand on the three single layers of tests/golden/conventions.json."""

from __future__ import annotations

import json

from tests.conftest import load_golden_json

GOLDEN = load_golden_json("conventions.json")["models"]


def test_biased_conv_vs_calflops(cli) -> None:
    """nn.Conv2d(3, 16, 3, padding=1) on 3x32x32: convcalc 442,368 MACs = 884,736 FLOPs;
    calflops adds the bias once per output element, 16·32·32 = 16,384: 901,120 FLOPs."""
    out = cli("explain-count", "docs/examples/tool_biased_conv.yaml", "--vs", "calflops").stdout
    assert GOLDEN["biased_conv"]["calflops"]["flops"] == 901_120
    assert "convcalc (torch, x 2: FLOPs): 884,736 FLOPs" in out
    assert "901,120 FLOPs (+16,384, +1.85%)" in out
    assert "bias adds 16,384" in out
    assert "901.12 KFLOPS" in out  # what calflops printed


def test_conv_transpose_vs_each_tool(cli) -> None:
    """ConvTranspose2d(8, 16, 4, stride=2): each tool's total is its golden, and the layer
    is listed with the tool's terms wherever it differs."""
    spec = "docs/examples/tool_conv_transpose.yaml"
    totals = {
        "torchinfo": "total_mult_adds",
        "thop": "macs",
        "ptflops": "macs",
        "flopcounter": "flops",
        "fvcore": "total",
    }
    for tool, key in totals.items():
        doc = json.loads(cli("explain-count", spec, "--vs", tool, "--format", "json").stdout)
        assert doc["tool"]["count"] == GOLDEN["conv_transpose"][tool][key], tool
        diff = doc["tool"]["count"] - doc["convcalc"]["count"]
        assert sum(x["tool"] - x["convcalc"] for x in doc["layers"]) == diff, tool
    # by hand: ConvTranspose2d(16, 8, 4, stride=2, padding=1) on 14x14 -> 28x28. convcalc
    # counts the input grid, 14·14 · 16·8·16 = 401,408; torchinfo the parameters on the output
    # grid: 2,048 weights · 28·28 = 1,605,632 (stride² = 4x) + 8 biases · 784 = 6,272
    doc = json.loads(cli("explain-count", spec, "--vs", "torchinfo", "--format", "json").stdout)
    assert doc["convcalc"]["count"] == 401_408
    (layer,) = doc["layers"]
    assert {t["counts"]: t["value"] for t in layer["terms"]} == {
        "weights x output positions (output grid)": 1_605_632,
        "bias x output positions": 6_272,
    }


def test_same_count_says_so(cli) -> None:
    out = cli("explain-count", "docs/examples/tool_ceil_pool.yaml", "--vs", "fvcore").stdout
    assert "The layer counts the same." in out


def test_resnet18_vs_thop(cli) -> None:
    """thop counts BatchNorm 4 per element (20 BatchNorm2d) and the adaptive average pool;
    its total is its golden; parameters agree (PyTorch's, no buffers)."""
    doc = json.loads(cli("explain-count", "resnet18", "--vs", "thop", "--format", "json").stdout)
    assert doc["tool"]["count"] == GOLDEN["resnet18"]["thop"]["macs"]
    assert doc["tool"]["params"] == doc["convcalc"]["params"] == 11_689_512
    reasons = {r["counts"]: r["layers"] for r in doc["by_reason"]}
    assert reasons["BatchNorm2d: 4 per element"] == 20
    keras = json.loads(
        cli("explain-count", "resnet18", "--vs", "thop", "--against", "keras", "-f", "json").stdout
    )
    assert keras["convcalc"]["params"] == 11_699_112  # the running statistics as params


def test_errors(cli) -> None:
    bad = cli("explain-count", "resnet18", "--vs", "tensorflow")
    assert bad.exit_code == 2
    csv = cli("explain-count", "resnet18", "--vs", "thop", "--format", "csv")
    assert csv.exit_code == 2 and "text or json" in csv.stderr


def test_the_input_limits_apply(cli, tmp_path) -> None:
    """explain-count reads specs as every command does (issue 9's limits)."""
    spec = tmp_path / "s.yaml"
    spec.write_text("input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: 3}\n")
    ok = cli("explain-count", spec, "--vs", "torchinfo")
    assert ok.exit_code == 0, ok.output
    small = cli("explain-count", spec, "--vs", "torchinfo", "--max-file-size", "10")
    assert small.exit_code == 2 and "max-file-size" in small.stderr
