"""The summary command's formats, the layers command, --help, and start-up hygiene."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from convcalc.layers import REGISTRY
from tests.conftest import ROOT

SPECS = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.yaml"))


def test_table_has_keras_columns_macs_and_totals(cli):
    result = cli("summary", "specs/vgg16.yaml", "--no-color")
    assert result.exit_code == 0
    out = result.stdout
    assert 'Model: "vgg16"' in out
    header = next(line for line in out.splitlines() if "Layer (type)" in line)
    assert header.split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "MACs"]
    fc1 = next(line for line in out.splitlines() if line.lstrip().startswith("fc1 (Dense)"))
    # fc1: 25088·4096 + 4096 = 102,764,544 params and 25088·4096 = 102,760,448 MACs
    assert fc1.split()[-2:] == ["102,764,544", "102,760,448"]
    assert "Total params:            138,357,544 (527.79 MB at float32)" in out
    assert "Total MACs:           15,470,264,320 (15.47 GMAC, 30.94 GFLOP)" in out
    assert "\x1b[" not in out


def test_table_fits_the_terminal_width_without_losing_a_word():
    """Issue 13: a process whose $COLUMNS is 80 gets lines of at most 80 characters (the
    Quickstart command had 26 wider lines), the same words, and --width 0 the natural table."""

    def run(columns: str, *extra: str) -> str:
        env = dict(os.environ, COLUMNS=columns, LINES="20")
        return subprocess.run(
            [sys.executable, "-m", "convcalc", "summary", "specs/vgg16.yaml", *extra],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    narrow, natural = run("80"), run("80", "--width", "0")
    assert natural == run("250")
    assert max(len(line) for line in natural.splitlines()) > 80
    assert max(len(line) for line in narrow.splitlines()) <= 80
    words = {w for w in natural.split() if set(w) != {"─"}}
    assert words == {w for w in narrow.split() if set(w) != {"─"}}
    assert "block1_conv2 (Conv2D)" in narrow and "1,849,688,064" in narrow


def test_connected_to_column_for_graphs(cli):
    out = cli("summary", "specs/inception_3a.yaml", "--no-color").stdout
    assert "Connected to" in out
    assert "3a_pool_proj" in out.splitlines()[-8] or "3a_pool_proj" in out


def test_json_report(cli):
    result = cli("summary", "specs/inception_bottleneck.yaml", "--format", "json")
    doc = json.loads(result.stdout)
    assert {"name", "input_shape", "layers", "totals"} <= set(doc)
    assert doc["name"] == "inception_bottleneck" and doc["input_shape"] == [28, 28, 192]
    layer = {x["name"]: x for x in doc["layers"]}["reduce_1x1"]
    assert {
        k: layer[k]
        for k in (
            "name",
            "type",
            "inputs",
            "output_shape",
            "params",
            "trainable_params",
            "non_trainable_params",
            "macs",
        )
    } == {
        "name": "reduce_1x1",
        "type": "Conv2D",
        "inputs": ["input_1"],
        "output_shape": [28, 28, 16],
        "params": 3088,
        "trainable_params": 3088,
        "non_trainable_params": 0,
        "macs": 2408448,
    }  # (192+1)·16; 28·28·16·192
    assert doc["totals"] == {
        "params": 169552,
        "trainable_params": 169552,
        "non_trainable_params": 0,
        "macs": 132866048,
        "flops": 265732096,
        "param_bytes_float32": 678208,
    }


def test_json_shapes_follow_the_data_format(cli, tmp_path):
    spec = tmp_path / "cf.yaml"
    spec.write_text(
        "input: [16, 50, 100]\ndata_format: channels_first\nlayers:\n"
        "  - Conv2d: {in_channels: 16, out_channels: 33, kernel_size: 3, stride: 2}\n"
    )
    doc = json.loads(cli("summary", spec, "-f", "json").stdout)
    assert doc["input_shape"] == [16, 50, 100]
    assert doc["layers"][1]["output_shape"] == [33, 24, 49]  # seed 001, PyTorch docs


def test_markdown_report(cli):
    out = cli("summary", "specs/vgg16.yaml", "--format", "markdown").stdout
    lines = out.splitlines()
    assert lines[0] == (
        "**vgg16**: 138,357,544 params (138,357,544 trainable, 0 non-trainable), "
        "15,470,264,320 MACs"
    )
    assert lines[2] == "| Layer (type) | Output Shape | Param # | MACs |"
    assert "| block1_conv1 (Conv2D) | `(None, 224, 224, 64)` | 1,792 | 86,704,128 |" in lines
    assert lines[-1] == "| **Total** | | **138,357,544** | **15,470,264,320** |"


def test_csv_report(cli):
    out = cli("summary", "specs/inception_3a.yaml", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 9
    concat = rows[-1]
    assert concat["inputs"] == "3a_1x1;3a_3x3;3a_5x5;3a_pool_proj"
    assert concat["output_shape"] == "28x28x256"
    # 3x3 branch: (9·96 + 1)·128 = 110,720 params; 28·28·128·96·9 = 86,704,128 MACs
    row = next(r for r in rows if r["name"] == "3a_3x3")
    assert (int(row["params"]), int(row["macs"])) == (110720, 86704128)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "csv"])
@pytest.mark.parametrize("spec", SPECS)
def test_per_layer_values_add_up_to_the_printed_totals(cli, spec, fmt):
    """The invariant torchinfo checks on its golden files: rows sum to the totals."""
    doc = json.loads(cli("summary", spec, "-f", "json").stdout)
    totals = doc["totals"]
    out = (
        cli("summary", spec, "-f", fmt, "--no-color").stdout
        if fmt == "text"
        else cli("summary", spec, "-f", fmt).stdout
    )
    if fmt == "json":
        params = sum(x["params"] for x in doc["layers"])
        macs = sum(x["macs"] for x in doc["layers"])
        trainable = sum(x["trainable_params"] for x in doc["layers"])
        assert trainable == totals["trainable_params"]
        for layer in doc["layers"]:
            weights = sum(_prod(w["shape"]) for w in layer["weights"])
            assert weights == layer["params"]
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        params, macs = sum(int(r["params"]) for r in rows), sum(int(r["macs"]) for r in rows)
    elif fmt == "markdown":
        rows = [line.split("|") for line in out.splitlines()[4:-1]]
        params = sum(int(r[3].replace(",", "")) for r in rows)
        macs = sum(int(r[4].replace(",", "")) for r in rows)
        assert out.splitlines()[-1].count(f"{totals['params']:,}") == 1
    else:
        keras = cli("summary", spec, "--style", "keras").stdout.splitlines()
        width = len(keras[0])
        p_start, p_end = (55, 65) if width == 65 else (53, 65)
        params = sum(
            int(line[p_start:p_end]) for line in keras if line[p_start:p_end].strip().isdigit()
        )
        macs = totals["macs"]
        assert f"Total params: {params:,}" in keras
        assert f"{totals['macs']:,}" in out
    assert (params, macs) == (totals["params"], totals["macs"])


def _prod(shape: list[int]) -> int:
    n = 1
    for x in shape:
        n *= x
    return n


def test_layers_command_lists_every_kind(cli):
    out = cli("layers").stdout
    for kind in REGISTRY:
        assert f"\n{kind} " in out


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_layers_command_shows_each_kind(cli, kind):
    result = cli("layers", kind)
    assert result.exit_code == 0
    assert result.stdout.startswith(kind)
    assert "Arguments" in result.stdout


def test_layers_full_shows_every_kind_with_formulas(cli):
    out = cli("layers", "--full").stdout
    for kind in REGISTRY:
        assert f"\n{kind}" in "\n" + out
    assert out.count("Arguments (PyTorch spelling in brackets):") == len(REGISTRY)
    assert "MACs: prod(out_spatial)·filters·(C_in/groups)·prod(k)." in out


def test_layers_command_accepts_pytorch_names(cli):
    assert cli("layers", "MaxPool2d").stdout.startswith("MaxPooling2D  (PyTorch: MaxPool2d)")


@pytest.mark.parametrize("command", [[], ["summary"], ["layers"]])
def test_help_is_useful(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: convcalc" in result.stdout
    if command:
        assert "Examples:" in result.stdout


def test_version_and_python_m():
    out = subprocess.run(
        [sys.executable, "-m", "convcalc", "--version"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("convcalc ")


def test_summary_does_not_import_numpy():
    code = (
        "import sys\nfrom convcalc.cli import app\n"
        "try:\n    app(['summary', 'specs/vgg16.yaml', '--style', 'keras'])\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write('NUMPY' if 'numpy' in sys.modules else 'CLEAN')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.stderr.endswith("CLEAN"), proc.stderr
    assert "Total params: 138,357,544" in proc.stdout


def test_entry_point_builds_the_requested_command_or_all():
    def run(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "convcalc", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    assert "Usage: convcalc summary [OPTIONS]" in run("summary", "--help")
    top = run("--help")
    for command in ("summary", "layers", "compare", "check", "diff", "schema"):
        assert f"  {command} " in top


def test_the_table_of_command_modules_is_what_the_modules_register():
    """convcalc.cli.COMMANDS (which module to import for a command) names every command, in
    the order the modules register them, and the module that does."""
    from convcalc.cli import COMMANDS, _command_name, app

    registered = {
        _command_name(c): c.callback.__module__.rsplit(".", 1)[-1] for c in app.registered_commands
    }
    assert list(registered.items()) == list(COMMANDS.items())


def test_a_command_imports_only_its_own_module():
    code = (
        "import sys\nsys.argv = ['convcalc', 'summary', 'specs/vgg16.yaml']\n"
        "from convcalc.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(' '.join(sorted(m for m in sys.modules if m.startswith('convcalc.cli.'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert "Total params:" in proc.stdout
    loaded = set(proc.stderr.split())
    assert "convcalc.cli.commands" in loaded
    assert not loaded & {"convcalc.cli.ci", "convcalc.cli.learn", "convcalc.cli.explain"}
