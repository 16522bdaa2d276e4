"""`summary`'s views (issue 13): columns, conventions printed as each tool prints them, the
PyTorch and the Keras vocabulary, --dtype, the per-operator table and the memory section, each
against a hand derivation or a golden of the real tool (tests/golden/conventions.json, made by
scripts/golden/make_conventions.py)."""

from __future__ import annotations

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.analysis.conventions import convention
from convcalc.analysis.footprint import footprint
from convcalc.render.conventions import printed_totals
from tests.conftest import CONVENTION_SPECS as SPECS
from tests.conftest import ROOT, load_golden_json

GOLDEN = load_golden_json("conventions.json")["models"]
RESIDUAL = ROOT / "docs/examples/residual_block.yaml"


def _printed(model: str, tool: str) -> list[str]:
    """What the tool itself printed (its summary lines, formatted strings, table's total)."""
    g = GOLDEN[model][tool]
    if tool == "fvcore":  # the first row of flop_count_table: | model | params | flops |
        row = g["table_head"][2]
        return [cell.strip() for cell in row.strip("|").split("|")[1:]]
    if tool == "flopcounter":  # the first row of its table: Module  FLOP  % Total
        return [g["table"][2].split()[1]]
    return list(g["printed"])


@pytest.mark.parametrize(
    ("model", "tool"),
    [
        (m, t)
        for m in SPECS
        for t in ("torchinfo", "fvcore", "thop", "ptflops", "calflops", "flopcounter")
        if "error" not in GOLDEN[m][t]
    ],
)
def test_printed_totals_are_what_the_tool_printed(model: str, tool: str) -> None:
    """Every string the tool printed for its totals is in convcalc's lines for that
    convention, character for character (torchinfo's are its summary's lines, whole)."""
    lines = printed_totals(convention(tool), analyze(load_spec(ROOT / SPECS[model])))
    for want in _printed(model, tool):
        if tool == "torchinfo":
            assert want in lines
        else:
            assert any(want in line for line in lines), (want, lines)


def test_torchinfo_estimated_total_size_of_vgg16(cli) -> None:
    """The memory section states torchinfo's Estimated Total Size as torchinfo printed it."""
    out = cli("summary", "vgg16_torchvision", "--memory").stdout
    assert "Estimated Total Size (MB): 662.49" in GOLDEN["vgg16"]["torchinfo"]["printed"]
    assert "torchinfo's estimate:" in out and "662.49 MB" in out


def test_memory_of_a_residual_block_by_hand() -> None:
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + x) on 64x56x56, float32, batch 1. Every tensor is
    64·56·56 = 200,704 elements = 802,816 bytes.

    * parameters: two 3x3 convolutions 64·64·9 = 36,864 each, two BatchNorms gamma+beta 128
      each and running mean+var 128 each: (73,728 + 256 + 256) · 4 = 296,960 bytes;
    * activations: 7 layers' outputs, 7 · 802,816 = 5,619,712;
    * peak inference: the input stays alive until the add (its last consumer); besides it, at
      most two activations are alive at once (conv1's output while bn1 writes, ...):
      802,816 + 296,960 + 2 · 802,816 = 2,705,408;
    * kept for backward (what autograd saves): conv1 keeps x (the input, counted already), bn1
      conv1's output, relu its output (which conv2 keeps too: once), bn2 conv2's output, the
      add nothing, relu_1 its output: 4 · 802,816, plus BatchNorm's batch mean and inverse std,
      2 · 2 · 64 · 4 = 1,024: 3,212,288;
    * training with SGD: input + parameters + gradients (73,984 · 4 = 295,936) + kept
      = 4,608,000; Adam adds two state buffers per trainable parameter: + 2 · 295,936.
    """
    f = footprint(analyze(load_spec(RESIDUAL)), 1, 4)
    assert (f.inputs, f.params, f.trainable) == (802_816, 296_960, 295_936)
    assert f.activations == 5_619_712
    assert f.peak_live == 2 * 802_816 and f.inference == 2_705_408
    assert f.kept == 4 * 802_816 + 1_024 == 3_212_288
    assert f.training(0) == 4_608_000
    assert f.training(2) == 4_608_000 + 2 * 295_936
    # and as PyTorch measured it (no_grad peak of the activations; the saved tensors)
    g = GOLDEN["residual_block"]
    assert f.peak_live == g["inference_peak_activations"]
    assert f.kept == g["saved_for_backward"]


def test_memory_scales_with_batch_and_dtype() -> None:
    r = analyze(load_spec(RESIDUAL))
    one, many = footprint(r, 1, 4), footprint(r, 8, 2)
    assert many.inputs == 8 * one.inputs // 2 and many.params == one.params // 2
    # BatchNorm's statistics are float32 per batch, not per sample: 1,024 bytes however many
    assert many.kept == 8 * 4 * 802_816 // 2 + 1_024


def test_memory_section_text(cli) -> None:
    out = cli("summary", str(RESIDUAL), "--memory", "--dtype", "float16").stdout
    assert "Memory (float16, batch 1):" in out
    assert "(401,408 B) the input tensors" in out  # 200,704 elements at 2 bytes
    assert "(1,352,704 B)" in out  # peak inference: 401,408 + 148,480 + 2 · 401,408


def test_dtype_sizes(cli) -> None:
    """The sizes follow --dtype: VGG16's 138,357,544 parameters are 527.79 MB at float32,
    half at float16 and bfloat16, a quarter at int8 (1024² bytes a MB, as Keras)."""
    for dtype, text in (
        ("float32", "527.79 MB"),
        ("float16", "263.90 MB"),
        ("bfloat16", "263.90 MB"),
        ("int8", "131.95 MB"),
    ):
        out = cli("summary", "vgg16", "--dtype", dtype).stdout
        assert f"138,357,544 ({text} at {dtype})" in out


def test_pytorch_vocabulary_and_the_keras_view(cli) -> None:
    """A spec written with PyTorch's names is shown PyTorch's way: its class names, shapes
    as torch.Size lists them, parameters without BatchNorm's buffers (torchvision's
    ResNet-18: 11,689,512, as PyTorch and every peer print); --convention keras gives Keras's
    names, shapes and parameters (11,699,112 = + the 9,600 running statistics)."""
    torch = cli("summary", "resnet18").stdout
    assert "conv1 (Conv2d)" in torch and "bn1 (BatchNorm2d)" in torch
    assert "[1, 64, 112, 112]" in torch
    assert "Total params:" in torch and "11,689,512" in torch
    assert "Buffers:" in torch and "9,620" in torch  # 9,600 statistics + 20 num_batches_tracked
    keras = cli("summary", "resnet18", "--convention", "keras").stdout
    assert "conv1 (Conv2D)" in keras and "bn1 (BatchNormalization)" in keras
    assert "(None, 64, 112, 112)" in keras and "11,699,112" in keras
    # and the other way round: a Keras spec in PyTorch's view
    vgg = cli("summary", "vgg16", "--convention", "torch").stdout
    assert "block1_conv1 (Conv2d)" in vgg and "[1, 64, 224, 224]" in vgg


def test_columns(cli) -> None:
    """nn.Conv2d(3, 16, 3, padding=1) on 3x32x32: kernel (16, 3, 3, 3) in PyTorch's order,
    448 = 16·27 + 16 params, 32·32·16·27 = 442,368 MACs, 884,736 FLOPs; its backward: the
    weight gradient only (no earlier layer trains), 442,368; its output 16·32·32·4 bytes =
    64 KB; receptive field 3x3, jump 1, start 0 (pad 1, k 3)."""
    out = cli(
        "summary",
        "docs/examples/tool_biased_conv.yaml",
        "--columns",
        "input,kernel,params,trainable,params_percent,macs,flops,backward,activation,rf,"
        "rf_jump,rf_start",
        "--chart",
    ).stdout
    row = next(line for line in out.splitlines() if line.startswith(" 0 (Conv2d)"))
    cells = row.split("   ")
    assert "[1, 3, 32, 32]" in row and "(16, 3, 3, 3)" in row
    for want in ("448", "True", "100.00%", "442,368", "884,736", "64.00 KB", "3x3", "1x1"):
        assert any(c.strip() == want for c in cells), (want, row)
    assert "0, 0" in row and "█" * 20 in row
    keras = cli("summary", "vgg16", "--columns", "kernel").stdout
    assert "block1_conv1 (Conv2D)        (3, 3, 3, 64)" in keras  # Keras's order


def test_bad_columns_and_misplaced_options(cli) -> None:
    bad = cli("summary", "vgg16", "--columns", "output_sise")
    assert bad.exit_code == 2
    assert "no column named 'output_sise'" in bad.stderr and "did you mean" in bad.stderr
    for args in (["--format", "csv"], ["--style", "keras"], ["--run"]):
        r = cli("summary", "vgg16", "--memory", *args)
        assert r.exit_code == 2 and "--memory shapes the table; drop" in r.stderr
    r = cli("summary", "vgg16", "--dtype", "int8", "--format", "json")
    assert r.exit_code == 2 and "add --memory" in r.stderr
    r = cli("summary", "vgg16", "--chart", "--format", "json")
    assert r.exit_code == 2 and "--chart shapes the table; drop --format json" in r.stderr


def test_json_has_the_memory_and_the_convention(cli) -> None:
    """--format json --memory: the residual block's figures (derived above), in bytes;
    --convention: the tool's total and printed lines (thop's golden on ResNet-18)."""
    import json

    doc = json.loads(cli("summary", str(RESIDUAL), "-f", "json", "--memory").stdout)
    m = doc["memory"]
    assert (m["input"], m["parameters"], m["peak_inference"]) == (802_816, 296_960, 2_705_408)
    assert m["kept_for_backward"] == 3_212_288 and m["training"]["SGD"] == 4_608_000
    doc = json.loads(cli("summary", "resnet18", "-f", "json", "--convention", "thop").stdout)
    assert doc["convention"]["total"] == GOLDEN["resnet18"]["thop"]["macs"]
    assert any("1.824G" in line for line in doc["convention"]["printed"])
    assert GOLDEN["resnet18"]["thop"]["printed"][0] == "1.824G"


def test_operators_table(cli) -> None:
    """ResNet-18 by operator: 20 convolutions 1,813,561,344 MACs and the fc 512 x 1000 =
    512,000; backward: a weight and an input gradient for each (2x forward), except that the
    first convolution (118,013,952 MACs) needs no input gradient:
    2 · 1,813,561,344 - 118,013,952 = 3,509,108,736."""
    out = cli("summary", "resnet18", "--operators").stdout
    conv = next(line for line in out.splitlines() if line.startswith(" conv "))
    assert conv.split() == ["conv", "20", "11,166,912", "1,813,561,344", "99.97%", "3,509,108,736"]
    linear = next(line for line in out.splitlines() if line.startswith(" linear "))
    assert linear.split() == ["linear", "1", "513,000", "512,000", "0.03%", "1,024,000"]


def test_convention_stated_under_the_table(cli) -> None:
    out = cli("summary", "vgg16_torchvision", "--convention", "ptflops").stdout
    assert "As ptflops 0.7.5 prints it:" in out
    assert "15.52 GMac, 138.36 M" in out  # ptflops's own strings (golden)
    assert "Convention ptflops:" in out


def test_depth_over_dotted_names(cli) -> None:
    """torchvision's module names fold like torchinfo's depth: layer1.0.conv1 is in
    layer1.0, in layer1; ResNet-18's layer1 (two basic blocks: four 64->64 3x3 convolutions
    on 56x56, 4 · 36,864 = 147,456 weights, 4 · 56·56·64·64·9 = 462,422,016 MACs)."""
    out = cli("summary", "resnet18", "--depth", "1", "--group-by", "names").stdout
    row = next(line for line in out.splitlines() if line.startswith(" layer1 "))
    assert "462,422,016" in row and "147,968" in row  # + 4 BatchNorms: 4 · 128 gamma, beta
