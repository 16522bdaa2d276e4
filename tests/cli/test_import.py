"""`convcalc import`: each Keras application's to_json() becomes a YAML spec that gives the
published totals and, printed with a version's --style, that version's real model.summary()
text line for line (goldens: scripts/golden/make_keras3.py, make_keras2.py)."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import pytest
import yaml

from tests.conftest import GOLDEN
from tests.importers.test_keras_import import PUBLISHED

KERAS = GOLDEN / "keras"
STYLES = {"keras3": ["keras-3"], "keras2": ["keras-2.6", "keras-2.12", "keras-2.15"]}
GOLDEN_OF = {
    "keras-3": "keras3",
    "keras-2.6": "keras-2.6",
    "keras-2.12": "keras-2.12",
    "keras-2.15": "keras-2.15",
}


def golden_text(model: str, style: str) -> str:
    path = next(KERAS.glob(f"{model}.{GOLDEN_OF[style]}.txt*"))
    return gzip.open(path, "rt").read() if path.suffix == ".gz" else path.read_text()


@functools.cache
def imported(model: str, form: str, folder: Path) -> Path:
    from typer.testing import CliRunner

    from convcalc.cli import app

    src = folder / f"{model}.{form}.json"
    src.write_text(gzip.open(KERAS / f"{model}.{form}.json.gz", "rt").read())
    out = folder / f"{model}.{form}.yaml"
    result = CliRunner().invoke(app, ["import", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imported")


@pytest.mark.parametrize("form", ["keras3", "keras2"])
@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_imported_application_round_trips(cli, folder, model, form):
    spec = imported(model, form, folder)
    data = yaml.safe_load(spec.read_text())
    assert data["expect"]["params"] == PUBLISHED[model]
    assert cli("check", spec).exit_code == 0
    for style in STYLES[form]:
        result = cli("summary", spec, "--style", style)
        assert result.exit_code == 0
        assert result.stdout.splitlines() == golden_text(model, style).splitlines(), style


def test_the_yaml_is_readable(cli, folder):
    text = imported("vgg16", "keras3", folder).read_text()
    lines = text.splitlines()
    assert lines[:4] == [
        "# Imported by `convcalc import vgg16.keras3.json`: the layers, names and arguments",
        "# of that file; the expect: block holds the totals it gives.",
        "name: vgg16",
        "layers:",
    ]
    assert lines[4] == "  - InputLayer: {name: input_layer, shape: [224, 224, 3]}"
    assert lines[5] == (
        "  - Conv2D: {name: block1_conv1, filters: 64, kernel_size: [3, 3], padding: same, "
        "activation: relu}"
    )
    assert "  - MaxPooling2D: {name: block1_pool, strides: [2, 2]}" in lines  # pool_size 2: default


def test_shared_layers_and_lambda_round_trip(cli, folder):
    shared = imported("shared", "keras3", folder).read_text()
    assert "  - Dense: {name: shared@1, shares: shared, inputs: [b]}" in shared
    lam = imported("with_lambda", "keras2", folder)
    assert "macs" not in yaml.safe_load(lam.read_text())["expect"]
    out = cli("summary", lam, "--style", "keras-2.12")
    assert out.stdout == golden_text("with_lambda", "keras-2.12")


def test_refusals(cli, tmp_path):
    missing = cli("import", tmp_path / "nope.json")
    assert missing.exit_code == 2
    assert missing.output.strip() == (
        f"{tmp_path / 'nope.json'}: error: no such file\n"
        "  hint: check the path of the Keras model (model.to_json())"
    )
    yaml_spec = cli("import", "specs/vgg16.yaml")
    assert yaml_spec.exit_code == 2
    assert yaml_spec.output.startswith("error: specs/vgg16.yaml: convcalc imports a Keras")
    target = tmp_path / "out.yaml"
    target.write_text("keep me")
    refused = cli("import", KERAS / "small.keras", "-o", target)
    assert refused.exit_code == 2 and target.read_text() == "keep me"
    assert "already exists; pass --force" in refused.output
    assert cli("import", KERAS / "small.keras", "-o", target, "--force").exit_code == 0
    assert "Conv2D: {name: c, filters: 4, kernel_size: [3, 3]}" in target.read_text()


def test_every_command_takes_a_keras_file(cli, folder, tmp_path):
    """summary, check, compare and diff read model.json as they read a YAML spec."""
    src = tmp_path / "vgg16.json"
    src.write_text(gzip.open(KERAS / "vgg16.keras3.json.gz", "rt").read())
    spec = imported("vgg16", "keras3", folder)
    summary = cli("summary", src, "--format", "json")
    assert summary.exit_code == 0 and '"params": 138357544' in summary.stdout
    assert cli("check", src).exit_code == 0
    compared = cli("compare", src, "--separable")
    assert compared.exit_code == 0 and "Rewrote 13 of 13 convolutions." in compared.stdout
    same = cli("diff", src, spec, "--exit-code")
    assert same.exit_code == 0 and "No differences in output shapes, params or MACs." in same.stdout


def test_check_update_refuses_a_framework_file(cli, tmp_path):
    src = tmp_path / "m.json"
    src.write_text((GOLDEN.parent.parent / "docs/examples/mnist.json").read_text())
    before = src.read_text()
    result = cli("check", src, "--update")
    assert result.exit_code == 2 and src.read_text() == before
    assert result.output.startswith(
        f"error: --update edits YAML specs; {src} is a framework's file"
    )
