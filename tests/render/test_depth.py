"""`summary --depth N` (convcalc/analysis/blocks.py and the table): block uses folded into one
row with their members' totals; the shown numbers always add up to the model's totals."""

from __future__ import annotations

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.analysis.blocks import max_depth, rows_at_depth
from convcalc.render.table import render_table


@pytest.mark.parametrize("name", ["resnet50", "resnet50_torchvision", "inception_v3", "unet"])
def test_shown_numbers_add_up_to_the_totals_at_every_depth(name: str) -> None:
    r = analyze(load_spec(name))
    for depth in range(1, max_depth(r) + 1):
        shown = [s for s in rows_at_depth(r, depth) if s.counted]
        assert sum(s.params for s in shown) == r.totals.params
        assert sum(s.macs for s in shown) == r.totals.macs
        assert sum(s.layers for s in shown) == len(r.rows)
    flat = rows_at_depth(r, max_depth(r))
    assert [s.name for s in flat if not s.is_block] == [x.name for x in r.rows]


def test_depth_one_is_one_row_per_entry_of_layers() -> None:
    r = analyze(load_spec("resnet50"))
    shown = rows_at_depth(r, 1)
    # the spec's 12 entries of layers: (plus the input layer)
    assert [(s.name, s.kind, s.layers) for s in shown] == [
        ("input_1", "InputLayer", 1),
        ("conv1_pad", "ZeroPadding2D", 1),
        ("conv1_conv", "Conv2D", 1),
        ("conv1", "bn_relu", 2),
        ("pool1_pad", "ZeroPadding2D", 1),
        ("pool1_pool", "MaxPooling2D", 1),
        ("conv2", "stack", 32),  # 12 + 2 x 10
        ("conv3", "stack", 42),
        ("conv4", "stack", 62),
        ("conv5", "stack", 32),
        ("avg_pool", "GlobalAveragePooling2D", 1),
        ("predictions", "Dense", 1),
    ]
    conv2 = shown[6]
    # conv2 by hand, Keras's bottleneck (biased): block1 = 1x1 64->64 (4,160) + 3x3 64->64
    # (36,928) + 1x1 64->256 twice (16,640 x 2) + 4 BN (256 x 2 + 1,024 x 2) = 76,928;
    # blocks 2, 3 = 1x1 256->64 (16,448) + 36,928 + 16,640 + BN 256 x 2 + 1,024 = 71,552
    assert conv2.params == 76_928 + 2 * 71_552
    assert conv2.output_shape == (56, 56, 256) and conv2.inputs == ("pool1_pool",)
    assert shown[7].inputs == ("conv2",)  # a folded layer is named by its block's row


def test_an_open_block_has_a_header_and_its_members_indented() -> None:
    text = render_table(analyze(load_spec("resnet50")), depth=2)
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith(" conv2 (stack, 32 layers)"))
    assert header.split()[-3:] == ["--", "--", "pool1_pool"]
    member = next(line for line in lines if "conv2_block1 (conv_block" in line)
    assert member.startswith("   conv2_block1 (conv_block, 12 layers)")
    assert member.split()[-3:] == ["76,928", "231,211,008", "pool1_pool"]


def test_the_flat_table_is_unchanged_without_depth() -> None:
    r = analyze(load_spec("resnet18"))
    assert render_table(r) == render_table(r, depth=None)
    assert render_table(r, depth=max_depth(r)).count("\n") > render_table(r).count("\n")


def test_depth_on_the_command_line(cli) -> None:
    result = cli("summary", "vgg16", "--depth", "1")
    assert result.exit_code == 0
    assert " block1 (vgg_block, 3 layers)   (None, 112, 112, 64)" in result.stdout
    for args in (["--style", "keras"], ["--format", "json"], ["--run"]):
        bad = cli("summary", "vgg16", "--depth", "1", *args)
        assert bad.exit_code == 2
        assert bad.stderr.startswith("error: --depth folds the rows of the table; drop ")
    assert cli("summary", "vgg16", "--depth", "0").exit_code == 2


def test_depth_with_a_batch_counts_the_batch() -> None:
    r = analyze(load_spec("resnet18"))
    one = {s.name: s for s in rows_at_depth(r, 1)}["layer2"]
    line = next(
        x for x in render_table(r, depth=1, batch=2).splitlines() if x.startswith(" layer2 ")
    )
    assert f"{2 * one.macs:,}" in line.split() and "[2, 128, 28, 28]" in line  # PyTorch's view
