"""`convcalc compare` on the command line: outputs, formats, --write, --run and every error."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from convcalc.render.compare import render_comparison
from convcalc.tools import compare as cc

ROOT = Path(__file__).resolve().parents[2]
VGG16 = str(ROOT / "specs" / "vgg16.yaml")
SEED_004 = [
    "compare",
    "--input",
    "12x12x3",
    "--kernel",
    "5",
    "--filters",
    "256",
    "--padding",
    "valid",
    "--separable",
]


def test_seed_004_table(cli) -> None:
    result = cli(*SEED_004)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "Conv2D 5x5, 256 filters, strides 1x1, padding valid, dilation 1x1: "
        "12x12x3 -> 8x8x256 (channels_last, one sample)"
    )
    std = next(line for line in lines if line.startswith(" standard"))
    sep = next(line for line in lines if line.startswith(" separable"))
    # params 19,456 / 19,200 and 1,228,800 MACs; separable 4,800 + 49,152 = 53,952 = 0.04391x
    assert std.split() == [
        "standard",
        "Conv2D",
        "5x5",
        "8x8x256",
        "19,456",
        "19,200",
        "1,228,800",
        "1",
        "1",
    ]
    assert sep.split() == [
        "separable",
        "DepthwiseConv2D",
        "5x5",
        "+",
        "Conv2D",
        "1x1",
        "8x8x256",
        "1,099",
        "843",
        "53,952",
        "4,800",
        "+",
        "49,152",
        "0.04391",
        "(22.78x",
        "fewer)",
        "1/N",
        "+",
        "1/K²",
        "=",
        "0.04391",
        "(N=256,",
        "K=5)",
    ]


def test_width_changes_only_where_lines_break(cli) -> None:
    """Issue 13: fitted to $COLUMNS (or --width), the same words at every width; --width 0 is
    the natural width whatever the terminal."""
    from typer.testing import CliRunner

    from convcalc.cli import app

    def out(columns: str, *extra: str) -> str:
        args = [*SEED_004, "--bottleneck", "2", *extra]
        result = CliRunner().invoke(app, args, env={"COLUMNS": columns})
        assert result.exit_code == 0, result.output
        return result.stdout

    natural = out("40", "--width", "0")
    assert out("300") == natural == out("60", "--width", "0")
    assert max(map(len, natural.splitlines())) > 150  # the table this fits
    for width in (40, 80):
        narrow = out(str(width))
        assert out("300", "--width", str(width)) == narrow
        assert max(map(len, narrow.splitlines())) <= width
        # every word is still there, none folded; only the split tables' captions are new
        words = {w for w in natural.split() if set(w) != {"─"}}  # the header rules shorten
        assert words <= set(narrow.split())
    assert "not exact here: see note" in natural
    assert (
        "the 1x1 runs on the 12x12 input and the 5x5 on the 8x8 output, so it costs more" in natural
    )


def test_json(cli) -> None:
    result = cli(*SEED_004, "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["mode"] == "layer" and doc["input_shape"] == [12, 12, 3]
    std, sep = doc["variants"]
    assert [v["variant"] for v in doc["variants"]] == ["standard", "separable"]
    assert [x["macs"] for x in sep["layers"]] == [4800, 49152]
    assert sep["macs_ratio"] == {"numerator": 281, "denominator": 6400, "value": 281 / 6400}
    assert sep["closed_form"] == {
        "formula": "1/N + 1/K²",
        "symbols": {"N": 256, "K": 5},
        "numerator": 281,
        "denominator": 6400,
        "value": 281 / 6400,
        "exact": True,
    }
    assert "median_ns" not in std
    doc = json.loads(
        cli(
            "compare",
            "-i",
            "28x28x192",
            "-k",
            "5",
            "-n",
            "32",
            "--padding",
            "same",
            "--groups",
            "4",
            "-f",
            "json",
        ).stdout
    )
    grp = doc["variants"][1]
    # 28*28*32*5*5*(192/4) = 30,105,600 = 120,422,400 / 4
    assert (grp["setting"], grp["macs"], grp["layers"][0]["groups"]) == (4, 30_105_600, 4)
    assert grp["closed_form"]["formula"] == "1/G" and grp["closed_form"]["exact"]


def test_csv_and_markdown(cli) -> None:
    rows = list(csv.DictReader(io.StringIO(cli(*SEED_004, "-f", "csv").stdout)))
    assert [(r["variant"], r["macs"], r["macs_per_layer"]) for r in rows] == [
        ("standard", "1228800", "1228800"),
        ("separable", "53952", "4800;49152"),
    ]
    assert rows[1]["closed_form_exact"] == "yes"
    md = cli(*SEED_004, "-f", "markdown").stdout
    assert (
        "| separable | DepthwiseConv2D 5x5 + Conv2D 1x1 | `8x8x256` | 1,099 | 843 | 53,952 "
        "| 4,800 + 49,152 | 0.04391 (22.78x fewer) | 1/N + 1/K² = 0.04391 (N=256, K=5) |"
        in md.splitlines()
    )


def test_spec_mode_outputs(cli) -> None:
    result = cli("compare", VGG16, "--groups", "4")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "kept: input channels 3 not divisible by 4" in out
    assert "Not rewritten (input channels 3 not divisible by 4): block1_conv1." in out
    assert "Rewrote 12 of 13 convolutions." in out
    # 15,470,264,320 - 4,025,319,424 = 11,444,944,896 saved
    assert (
        "Total MACs:   15,470,264,320 -> 4,025,319,424 (saved 11,444,944,896, 73.98%; 3.84x fewer)"
    ) in out
    doc = json.loads(cli("compare", VGG16, "--separable", "-f", "json").stdout)
    assert doc["totals"]["params_after"] == 125_315_011
    assert doc["totals"]["macs_saved"] == 15_470_264_320 - 1_910_551_552
    rows = list(
        csv.DictReader(io.StringIO(cli("compare", VGG16, "--bottleneck", "4", "-f", "csv").stdout))
    )
    assert rows[1]["rewritten_as"] == "Conv2D 1x1 to 16 + Conv2D 3x3"
    md = cli("compare", VGG16, "--separable", "-f", "markdown").stdout
    assert (
        "| **Total** | | **138,357,544** | **125,315,011** | **15,470,264,320** | "
        "**1,910,551,552** | |"
    ) in md


def test_write_and_force(cli, tmp_path: Path) -> None:
    out = tmp_path / "v.yaml"
    first = cli("compare", VGG16, "--bottleneck", "4", "--write", out, "-f", "json")
    assert first.exit_code == 0
    assert first.stderr == f"wrote {out}\n"
    json.loads(first.stdout)  # stdout stays pure JSON
    assert yaml.safe_load(out.read_text())["name"] == "vgg16_bottleneck4"
    out.write_text("mine\n")
    again = cli("compare", VGG16, "--separable", "--write", out)
    assert again.exit_code == 2
    assert again.stdout == ""
    assert again.stderr == f"error: {out} already exists; pass --force to overwrite it\n"
    assert out.read_text() == "mine\n"
    forced = cli("compare", VGG16, "--separable", "--write", out, "--force")
    assert forced.exit_code == 0
    summary = cli("summary", out)
    assert summary.exit_code == 0 and 'Model: "vgg16_separable"' in summary.stdout


ERRORS = [
    (
        ["--input", "12x12x3", "-k", "5", "-n", "256", "--groups", "2"],
        "error: --groups 2 must divide the input channels (3) and --filters (256); groups that "
        "divide both: 1",
    ),
    (
        ["--input", "28x28x192", "-k", "5", "-n", "32", "--groups", "5,7"],
        "error: --groups 5 must divide the input channels (192) and --filters (32); groups that "
        "divide both: 1, 2, 4, 8, 16, 32",
    ),
    (
        ["--input", "12x12x3", "-k", "5", "-n", "256", "--bottleneck", "16"],
        "error: --bottleneck 16 must be smaller than the input channels (3): the 1x1 convolution "
        "reduces them to B before the 5x5 one",
    ),
    (
        ["--input", "12x12x3", "-k", "15", "-n", "8", "--separable"],
        "error: --kernel 15x15 does not fit --input 12x12x3 with --padding valid: output size on "
        "axis H would be -2: effective kernel 15 (kernel_size 15, dilation 1) > padded input 12 "
        "(input 12 + padding 0+0)\n  hint: use a smaller --kernel or --dilation, or --padding same",
    ),
    (
        ["--input", "12x12", "-k", "5", "-n", "8", "--separable"],
        "error: --input must be HxWxC (one sample, e.g. 12x12x3; CxHxW with --channels-first) or "
        "NxCxHxW (a PyTorch batch, e.g. 20x16x50x100), positive integers; received '12x12'",
    ),
    (
        ["--input", "12x0x3", "-k", "5", "-n", "8", "--separable"],
        "error: --input must be HxWxC (one sample, e.g. 12x12x3; CxHxW with --channels-first) or "
        "NxCxHxW (a PyTorch batch, e.g. 20x16x50x100), positive integers; received '12x0x3'",
    ),
    (
        ["--input", "12x12x3", "-k", "5x", "-n", "8", "--separable"],
        "error: --kernel must be K or KhxKw, positive integers; received '5x'",
    ),
    (
        ["--input", "12x12x3", "-k", "5", "-n", "8", "--padding", "full", "--separable"],
        "error: --padding must be valid, same or an integer >= 0 (zeros on every side, as "
        "PyTorch's padding=p); received 'full'",
    ),
    (
        ["--input", "12x12x3", "-k", "5", "-n", "8", "--groups", "2,x"],
        "error: --groups must be a positive integer or a comma-separated list of them (e.g. 2,4,8); "
        "received '2,x'",
    ),
    (
        ["--input", "12x12x3", "-k", "1x5", "-n", "8", "--spatial"],
        "error: --spatial needs a kernel larger than 1 on both axes; received --kernel 1x5",
    ),
    (
        ["--input", "12x12x3", "-k", "5", "-n", "8"],
        "error: choose at least one variant to compare with the standard convolution: "
        "--separable, --groups G[,G...], --bottleneck B[,B...], --spatial",
    ),
    (
        ["-k", "5", "--separable"],
        "error: without a SPEC, compare needs --input, --filters (e.g. --input 12x12x3 --kernel 5 "
        "--filters 256 --separable)",
    ),
    (
        ["--input", "12x12x3", "-k", "5", "-n", "8", "--separable", "--write", "x.yaml"],
        "error: --write cannot be used without a SPEC",
    ),
    (
        [VGG16, "--kernel", "3", "--spatial", "--separable"],
        "error: --kernel, --spatial cannot be used with a SPEC (the spec gives the layers)",
    ),
    (
        ["--input", "12x12x3", "-k", "5", "-n", "8", "--spatial", "--depth-multiplier", "2"],
        "error: --depth-multiplier is a positive integer that goes with --separable; received 2 "
        "without it",
    ),
    (
        [VGG16, "--separable", "--depth-multiplier", "0"],
        "error: --depth-multiplier is a positive integer that goes with --separable; received 0",
    ),
    (
        [VGG16],
        "error: with a SPEC, give exactly one of --separable, --groups G, --bottleneck RATIO",
    ),
    (
        [VGG16, "--separable", "--groups", "2"],
        "error: with a SPEC, give exactly one of --separable, --groups G, --bottleneck RATIO; "
        "received --separable and --groups",
    ),
    (
        [VGG16, "--groups", "2,4"],
        "error: with a SPEC, --groups takes one integer >= 2 (the number of channel groups); "
        "received '2,4'",
    ),
    (
        [VGG16, "--bottleneck", "1"],
        "error: with a SPEC, --bottleneck takes one integer >= 2 (the reduction factor: the 1x1 "
        "convolution maps C input channels to C/RATIO); received '1'",
    ),
    (
        ["nope.yaml", "--separable"],
        "nope.yaml: error: no such file\n  hint: check the path; specs are YAML files such as "
        "specs/vgg16.yaml",
    ),
]


@pytest.mark.parametrize("args,message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_errors(cli, args: list[str], message: str) -> None:
    result = cli("compare", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_timing_column_when_times_are_set() -> None:
    cmp = cc.compare_layer(cc.layer_request("12x12x3", "5", 256, separable=True))
    timed = replace(
        cmp,
        variants=tuple(
            replace(v, median_ns=t) for v, t in zip(cmp.variants, (2_500_000, 1_250_000))
        ),
    )
    text = render_comparison(timed, "text")
    assert "Median time" in text and "2.500 ms" in text and "1.250 ms" in text
    assert json.loads(render_comparison(timed, "json"))["variants"][1]["median_ns"] == 1_250_000
    assert "Median time" not in render_comparison(cmp, "text")


def test_compare_does_not_import_numpy() -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom convcalc.cli import app\n"
        f"r = CliRunner().invoke(app, {SEED_004 + ['--spatial', '--bottleneck', '2']!r})\n"
        "assert r.exit_code == 0, r.output\n"
        f"r = CliRunner().invoke(app, ['compare', {VGG16!r}, '--bottleneck', '4'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"
