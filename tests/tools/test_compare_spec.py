"""`convcalc compare SPEC`: whole-architecture rewrites, against per-layer hand derivations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from convcalc.analysis import analyze, load_spec, parse_spec
from convcalc.tools.compare import Transform, compare_spec, write_spec

ROOT = Path(__file__).resolve().parents[2]
VGG16 = ROOT / "specs" / "vgg16.yaml"

# VGG16's 13 convolutions, all 3x3 'same' stride 1: (name, C_in, C_out, H = W)
VGG_CONVS = [
    ("block1_conv1", 3, 64, 224),
    ("block1_conv2", 64, 64, 224),
    ("block2_conv1", 64, 128, 112),
    ("block2_conv2", 128, 128, 112),
    ("block3_conv1", 128, 256, 56),
    ("block3_conv2", 256, 256, 56),
    ("block3_conv3", 256, 256, 56),
    ("block4_conv1", 256, 512, 28),
    ("block4_conv2", 512, 512, 28),
    ("block4_conv3", 512, 512, 28),
    ("block5_conv1", 512, 512, 14),
    ("block5_conv2", 512, 512, 14),
    ("block5_conv3", 512, 512, 14),
]
# fc1: 7*7*512 = 25,088 -> 4096; fc2: 4096 -> 4096; predictions: 4096 -> 1000
VGG_DENSE = [(25_088, 4096), (4096, 4096), (4096, 1000)]
DENSE_PARAMS = sum(i * o + o for i, o in VGG_DENSE)
DENSE_MACS = sum(i * o for i, o in VGG_DENSE)


def test_the_derivation_table_reproduces_published_vgg16() -> None:
    # sanity check of the table above against the published totals (Keras Applications,
    # torchvision): 138,357,544 params, 15,470,264,320 MACs
    params = sum(9 * ci * co + co for _, ci, co, _ in VGG_CONVS) + DENSE_PARAMS
    macs = sum(h * h * co * ci * 9 for _, ci, co, h in VGG_CONVS) + DENSE_MACS
    assert (params, macs) == (138_357_544, 15_470_264_320)


def test_vgg16_separable() -> None:
    cmp = compare_spec(load_spec(VGG16), Transform("separable", 1))
    by_name = {c.name: c for c in cmp.changes}
    params = macs = 0
    for name, ci, co, h in VGG_CONVS:
        # depthwise 3x3: 9*C_in*H*W; pointwise: C_in*C_out*H*W; params 9*C_in + C_in*C_out + C_out
        layer_params = 9 * ci + ci * co + co
        layer_macs = 9 * ci * h * h + ci * co * h * h
        c = by_name[name]
        assert c.rewritten and [p.kind for p in c.after] == ["SeparableConv2D"]
        assert (c.params_after, c.macs_after) == (layer_params, layer_macs), name
        params += layer_params
        macs += layer_macs
    params += DENSE_PARAMS
    macs += DENSE_MACS
    assert (cmp.after.totals.params, cmp.after.totals.macs) == (params, macs)
    assert (params, macs) == (125_315_011, 1_910_551_552)
    assert cmp.before.totals.params == 138_357_544
    assert len(cmp.rewritten) == 13 and not cmp.skipped
    assert cmp.after.name == "vgg16_separable"
    assert cmp.after.output_shape == (1000,)


def test_vgg16_grouped_4() -> None:
    cmp = compare_spec(load_spec(VGG16), Transform("grouped", 4))
    params, macs = DENSE_PARAMS, DENSE_MACS
    for _name, ci, co, h in VGG_CONVS:
        if ci % 4:  # block1_conv1: 3 input channels
            layer_params, layer_macs = 9 * ci * co + co, h * h * co * ci * 9
        else:  # each of 4 groups: C_in/4 -> C_out/4
            layer_params, layer_macs = 9 * (ci // 4) * co + co, h * h * co * (ci // 4) * 9
        params += layer_params
        macs += layer_macs
    assert (cmp.after.totals.params, cmp.after.totals.macs) == (params, macs)
    assert (params, macs) == (127_325_992, 4_025_319_424)
    [skipped] = cmp.skipped
    assert skipped.name == "block1_conv1"
    assert (skipped.skip.code, dict(skipped.skip.values)) == ("channels", {"channels": 3, "by": 4})


def test_vgg16_bottleneck_ratio_4() -> None:
    cmp = compare_spec(load_spec(VGG16), Transform("bottleneck", 4))
    params, macs = DENSE_PARAMS, DENSE_MACS
    for _name, ci, co, h in VGG_CONVS:
        if ci % 4:
            params += 9 * ci * co + co
            macs += h * h * co * ci * 9
            continue
        b = ci // 4  # 1x1 C_in -> B, then 3x3 B -> C_out, both on H x W
        params += (ci * b + b) + (9 * b * co + co)
        macs += h * h * ci * b + h * h * co * b * 9
    assert (cmp.after.totals.params, cmp.after.totals.macs) == (params, macs)
    assert (params, macs) == (127_713_992, 4_410_671_104)
    change = {c.name: c for c in cmp.changes}["block2_conv1"]
    assert [(p.name, p.kind, p.kernel, p.channels) for p in change.after] == [
        ("block2_conv1_reduce", "Conv2D", (1, 1), 16),
        ("block2_conv1", "Conv2D", (3, 3), 128),
    ]


def test_inception_bottleneck_spec_and_its_expectations() -> None:
    cmp = compare_spec(
        load_spec(ROOT / "specs" / "inception_bottleneck.yaml"), Transform("bottleneck", 4)
    )
    # reduce_1x1 (1x1) is kept; direct_5x5 (192 channels) gets a 1x1 to 48 channels first:
    # 28*28*48*192 + 28*28*32*25*48 = 7,225,344 + 30,105,600
    direct = {c.name: c for c in cmp.changes}["direct_5x5"]
    assert direct.macs_after == 28 * 28 * 48 * 192 + 28 * 28 * 32 * 25 * 48
    assert [c.name for c in cmp.skipped] == ["reduce_1x1"]
    assert cmp.skipped[0].skip.code == "pointwise"
    # expectations that no longer hold are dropped, the others kept
    expect = cmp.data["expect"]
    assert "params" not in expect and "macs" not in expect
    assert expect["layers"]["direct_5x5"] == {"output_shape": [28, 28, 32]}
    assert expect["layers"]["reduce_1x1"] == {
        "output_shape": [28, 28, 16],
        "params": 3088,
        "macs": 2408448,
    }


SKIPS = """
input: [16, 16, 8]
layers:
  - Conv2D: {name: a, filters: 8, kernel_size: 1}
  - Conv2D: {name: b, filters: 8, kernel_size: 3, padding: same, groups: 2}
  - DepthwiseConv2D: {name: c, kernel_size: 3, padding: same}
  - SeparableConv2D: {name: d, filters: 8, kernel_size: 3, padding: same}
  - Conv2DTranspose: {name: e, filters: 8, kernel_size: 3, padding: same}
  - Conv2D: {name: f, filters: 6, kernel_size: 3, padding: same}
  - Conv2D: {name: g, filters: 8, kernel_size: 3, padding: same}
  - Reshape: {name: r, target_shape: [16, 16, 1, 8]}
  - Conv3D: {name: h, filters: 8, kernel_size: 3, padding: same}
"""


@pytest.mark.parametrize(
    "transform,expected",
    [
        (
            Transform("separable", 1),
            {
                "a": "pointwise",
                "b": "grouped",
                "c": "depthwise",
                "d": "separable",
                "e": "transposed",
                "h": "no_separable_3d",
            },
        ),
        (
            Transform("grouped", 4),
            {
                "b": "grouped",
                "c": "depthwise",
                "d": "separable",
                "e": "transposed",
                "f": "filters",
                "g": "channels",
            },
        ),
        (
            Transform("bottleneck", 4),
            {
                "a": "pointwise",
                "b": "grouped",
                "c": "depthwise",
                "d": "separable",
                "e": "transposed",
                "g": "channels",
            },
        ),
    ],
)
def test_eligibility_reasons(transform: Transform, expected: dict[str, str]) -> None:
    # f has 8 input channels and 6 filters; g has 6 input channels (f's output)
    cmp = compare_spec(parse_spec(SKIPS, "skips.yaml"), transform)
    assert {c.name: c.skip.code for c in cmp.skipped} == expected
    assert {c.name for c in cmp.rewritten} == {"a", "b", "c", "d", "e", "f", "g", "h"} - set(
        expected
    )


AUTO_NAMES = """
input: [8, 8, 4]
layers:
  - Conv2D: {filters: 8, kernel_size: 3, padding: same}
  - Conv2D: {filters: 8, kernel_size: 1}
  - Conv2D: {filters: 8, kernel_size: 3, padding: same, inputs: conv2d}
  - Add: {inputs: [conv2d_1, conv2d_2]}
"""


@pytest.mark.parametrize("kind", ["separable", "bottleneck"])
def test_automatic_names_and_references_survive(kind: str) -> None:
    spec = parse_spec(AUTO_NAMES, "auto.yaml")
    cmp = compare_spec(spec, Transform(kind, 1 if kind == "separable" else 2))
    before = [r.name for r in cmp.before.rows]
    after = [r.name for r in cmp.after.rows]
    assert before == ["input_1", "conv2d", "conv2d_1", "conv2d_2", "add"]
    extra = ["conv2d_reduce", "conv2d_2_reduce"] if kind == "bottleneck" else []
    assert sorted(after) == sorted(before + extra)
    assert cmp.after.row("add").inputs == ("conv2d_1", "conv2d_2")
    assert cmp.after.row("conv2d_2").inputs == (("conv2d_2_reduce",) if extra else ("conv2d",))


def test_write_then_load_and_summarise(tmp_path: Path, cli) -> None:
    out = tmp_path / "vgg16_separable.yaml"
    cmp = compare_spec(load_spec(VGG16), Transform("separable", 1))
    write_spec(cmp, out)
    text = out.read_text()
    assert text.startswith("# vgg16_separable: vgg16 with every eligible convolution")
    data = yaml.safe_load(text)
    assert data["layers"][0] == {
        "SeparableConv2D": {
            "name": "block1_conv1",
            "filters": 64,
            "kernel_size": 3,
            "padding": "same",
            "activation": "relu",
        }
    }
    report = analyze(load_spec(out))
    assert (report.totals.params, report.totals.macs) == (125_315_011, 1_910_551_552)
    result = cli("summary", out)
    assert result.exit_code == 0, result.output
    assert 'Model: "vgg16_separable"' in result.stdout
    assert re.search(r"Total params: +125,315,011 ", result.stdout)


def test_conv1d_separable_and_depth_multiplier() -> None:
    spec = parse_spec(
        "input: [100, 16]\nlayers:\n  - Conv1D: {name: c, filters: 32, kernel_size: 5}\n", "c1.yaml"
    )
    cmp = compare_spec(spec, Transform("separable", 2))
    [change] = cmp.changes
    # valid: 100 - 5 + 1 = 96 positions; depthwise 16*2 channels * 5 taps, pointwise 32 -> 32
    assert [p.kind for p in change.after] == ["SeparableConv1D"]
    assert change.macs_after == 96 * 32 * 5 + 96 * 32 * 32 == 113_664
    assert change.params_after == 5 * 16 * 2 + 16 * 2 * 32 + 32 == 1_216
    assert cmp.data["layers"][0] == {
        "SeparableConv1D": {"name": "c", "filters": 32, "kernel_size": 5, "depth_multiplier": 2}
    }


def test_channels_first_bottleneck_with_pytorch_spellings() -> None:
    spec = parse_spec(
        "data_format: channels_first\ninput: [16, 8, 8]\nlayers:\n"
        "  - Conv2d: {name: c, in_channels: 16, out_channels: 8, kernel_size: 3, "
        "padding: 1, bias: false}\n",
        "cf.yaml",
    )
    cmp = compare_spec(spec, Transform("bottleneck", 4))
    [change] = cmp.changes
    # B = 16/4 = 4: 1x1 on 8x8: 8*8*4*16 = 4,096; 3x3 4 -> 8 on 8x8: 8*8*8*4*9 = 18,432
    assert [p.macs for p in change.after] == [4_096, 18_432]
    assert change.params_after == 16 * 4 + 9 * 4 * 8  # no biases
    assert cmp.after.row("c").output_shape == (8, 8, 8)
    assert cmp.data["layers"] == [
        {"Conv2D": {"name": "c_reduce", "filters": 4, "kernel_size": 1, "use_bias": False}},
        {
            "Conv2d": {
                "name": "c",
                "in_channels": 4,
                "out_channels": 8,
                "kernel_size": 3,
                "padding": 1,
                "bias": False,
            }
        },
    ]
