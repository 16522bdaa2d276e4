"""`convcalc conv`, `pool` and `transpose`: one layer from flags, every number explained.
Expected values are hand derivations (written in the test) or PyTorch/Keras measured once
(tests/golden/learning.json, scripts/golden/make_learning.py)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import load_golden_json

LEARNING = load_golden_json("learning.json")


def test_seed001_dilated_conv_formula_with_numbers(cli) -> None:
    # seed 001: Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1)) on
    # (20, 16, 50, 100) -> (20, 33, 26, 100). H: k_eff = 3·(3-1)+1 = 7,
    # floor((50 + 4 + 4 - 7)/2) + 1 = floor(51/2) + 1 = 26; W: (100 + 2 + 2 - 5)/1 + 1 = 100.
    r = cli(
        "conv",
        "--input",
        "20x16x50x100",
        "--filters",
        "33",
        "--kernel",
        "3x5",
        "--stride",
        "2x1",
        "--padding",
        "4x2",
        "--dilation",
        "3x1",
    )
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "(20, 16, 50, 100) -> (20, 33, 26, 100)" in out
    assert "d·(k-1) + 1 = 3·(3-1) + 1 = 7" in out
    assert "floor((50 + 4 + 4 - 7) / 2) + 1 = floor(51/2) + 1 = 25 + 1 = 26" in out
    assert "floor((100 + 2 + 2 - 5) / 1) + 1 = 99 + 1 = 100" in out
    assert (
        "nn.Conv2d(16, 33, kernel_size=(3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1))"
        in out
    )
    # params 33·16·3·5 + 33 = 7,953; MACs 26·100·33·16·15 = 20,592,000, ×20 for the batch
    assert "33·16·3·5 + 33 = 7,953" in out
    assert "26·100·33·16·3·5 = 20,592,000" in out and "411,840,000 for the batch" in out


def test_seed001_without_dilation_is_28x100(cli) -> None:
    # seed 001's second comment: padding (4, 2), no dilation -> (20, 33, 28, 100):
    # floor((50 + 8 - 3)/2) + 1 = 28
    doc = json.loads(
        cli(
            "conv",
            "-i",
            "20x16x50x100",
            "-n",
            "33",
            "-k",
            "3x5",
            "-s",
            "2x1",
            "-p",
            "4x2",
            "-f",
            "json",
        ).stdout
    )
    assert doc["output_shape"] == [20, 33, 28, 100]
    assert doc["weights"][0] == {"name": "weight", "shape": [33, 16, 3, 5]}


def test_keras_same_is_asymmetric_and_the_torch_padding_reproduces_it(cli) -> None:
    # TF/Keras 'same' on 224 with k=3, s=2: out = ceil(224/2) = 112; total padding
    # (112-1)·2 + 3 - 224 = 1, split (0, 1); Keras itself matches F.pad (0, 1) (golden)
    doc = json.loads(
        cli(
            "conv", "-i", "224x224x3", "-n", "64", "-k", "3", "-s", "2", "-p", "same", "-f", "json"
        ).stdout
    )
    assert [a["padding"] for a in doc["axes"]] == [[0, 1], [0, 1]]
    measured = LEARNING["keras_same"]["224"]
    assert measured["output"] == 112 and [0, 1] in measured["pads"]
    assert min(measured["pads"], key=sum) == [0, 1]
    assert (
        doc["pytorch"]
        == "nn.ZeroPad2d((0, 1, 0, 1)) then nn.Conv2d(3, 64, kernel_size=3, stride=2)"
    )
    # an odd size splits evenly: 7 -> (1, 1), as Keras measured
    doc7 = json.loads(
        cli("conv", "-i", "7x7", "-k", "3", "-s", "2", "-p", "same", "-f", "json").stdout
    )
    assert doc7["axes"][0]["padding"] == [1, 1] == min(LEARNING["keras_same"]["7"]["pads"], key=sum)


@pytest.mark.parametrize(
    "case", LEARNING["pool_ceil"], ids=lambda c: f"n{c['n']}k{c['k']}s{c['s']}p{c['p']}"
)
def test_pool_ceil_mode_matches_pytorch(cli, case) -> None:
    n, k, s, p = case["n"], case["k"], case["s"], case["p"]
    doc = json.loads(
        cli(
            "pool",
            "-i",
            f"{n}x{n}",
            "-k",
            str(k),
            "-s",
            str(s),
            "-p",
            str(p),
            "--ceil-mode",
            "--torch",
            "-f",
            "json",
        ).stdout
    )
    assert doc["axes"][0]["output"] == case["out"]


def test_ceil_mode_last_window_rule_is_shown_when_it_fires(cli) -> None:
    # n=5, k=2, s=2, p=1: ceil((5+2-2)/2)+1 = 4, but window 4 would start at 3·2 = 6 >= 5+1:
    # dropped -> 3 (PyTorch, golden above)
    out = cli("pool", "-i", "5x5", "-k", "2", "-s", "2", "-p", "1", "--ceil-mode").stdout
    assert "floor((5 + 1 + 1 - 2 + 1) / 2) + 1 = floor(6/2) + 1 = 3 + 1 = 4 -> 3" in out
    assert "(out-1)·s = 6 >= n + p_l = 6" in out
    quiet = cli("pool", "-i", "5x5", "-k", "2", "-s", "2", "--ceil-mode").stdout
    assert "drops it" not in quiet and "overhangs the padded input by 1" in quiet


def test_seed001_maxpool(cli) -> None:
    # seed 001: MaxPool2d(3, stride=2, padding=1) on (20, 16, 50, 32) -> (20, 16, 25, 16)
    out = cli("pool", "-i", "20x16x50x32", "-k", "3", "-s", "2", "-p", "1").stdout
    assert "(20, 16, 50, 32) -> (20, 16, 25, 16)" in out
    assert "nn.MaxPool2d(kernel_size=3, stride=2, padding=1)" in out


def test_seed002_transposed(cli) -> None:
    # seed 002: ConvTranspose2d(3, 3, 2, stride=2) on (1, 3, 3, 3) -> (1, 3, 6, 6):
    # (3-1)·2 + 1·(2-1) + 1 = 6; MACs on the input grid 3·3·3·3·2·2 = 324; weight (3, 3, 2, 2)
    out = cli("transpose", "-i", "1x3x3x3", "-n", "3", "-k", "2", "-s", "2").stdout
    assert "(1, 3, 3, 3) -> (1, 3, 6, 6)" in out
    assert "(3-1)·2 - 0 - 0 + 1·(2-1) + 0 + 1 = 6" in out
    assert "3·3·3·3·2·2 = 324" in out and "weight (3, 3, 2, 2)" in out
    # and its stride-1 sibling: (1, 1, 3, 3) -> (1, 3, 4, 4)
    doc = json.loads(cli("transpose", "-i", "1x1x3x3", "-n", "3", "-k", "2", "-f", "json").stdout)
    assert doc["output_shape"] == [1, 3, 4, 4]


def test_deformable_reports_offsets_and_sampling_apart(cli) -> None:
    doc = json.loads(
        cli(
            "conv",
            "-i",
            "8x8x4",
            "-n",
            "6",
            "-k",
            "3",
            "-p",
            "1",
            "--deformable",
            "--mask",
            "--offset-groups",
            "2",
            "-f",
            "json",
        ).stdout
    )
    # hand: 222 + 1332 + 666 params (tests/layers/test_deformable.py); sampling 8·8·9·4·5
    assert doc["params"] == 2220 and doc["sampling_ops"] == 11_520
    assert doc["receptive_field"].startswith("data dependent")


def test_bad_flags_name_the_flag(cli) -> None:
    r = cli("conv", "-i", "5x5", "-k", "7")
    assert r.exit_code == 2
    assert "--kernel 7" in r.stderr and "--padding same" in r.stderr
    r = cli("conv", "-i", "5x5x", "-k", "3")
    assert r.exit_code == 2 and r.stderr.startswith("error: --input must be")
    r = cli("conv", "-i", "5x5", "-k", "3", "--ceil-mode")
    assert r.exit_code == 2  # conv has no --ceil-mode option at all
    r = cli("pool", "-i", "5x5", "-k", "3", "-p", "2", "--torch")
    assert r.exit_code == 2 and "at most half" in r.stderr


def test_keras_same_transposed_is_n_times_s(cli) -> None:
    # Keras Conv2DTranspose 'same' without output_padding: out = n·s = 4·2 = 8; MACs on the
    # input grid 4·4·8·4·3·3 = 4,608
    doc = json.loads(
        cli(
            "transpose", "-i", "4x4x8", "-n", "4", "-k", "3", "-s", "2", "-p", "same", "-f", "json"
        ).stdout
    )
    assert doc["output_shape"] == [None, 8, 8, 4] and doc["macs"] == 4608
    assert doc["axes"][0]["substituted"] == "4·2 = 8"


def test_explain_a_spec_layer(cli) -> None:
    from tests.conftest import ROOT

    r = cli(
        "explain",
        ROOT / "docs" / "examples" / "dilated_gridding.yaml",
        "--layer",
        "dil2_a",
        "--step",
        "1",
    )
    assert r.exit_code == 0, r.output
    # 'same' with k_eff 5 pads 2 on each side: a 36x36 grid, 32x32 outputs
    assert "input 32x32 (36x36 drawn)" in r.stdout and "step 1 of 1024" in r.stdout
