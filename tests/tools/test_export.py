"""`convcalc export`: the generated modules parse, and the models PyTorch and Keras build from
them have convcalc's parameter counts and output shapes (tests/golden/export/, made by
scripts/golden/make_export.py with torch 2.14 / Keras 3.15 from this exporter's code)."""

from __future__ import annotations

import ast
import gzip
import hashlib
from pathlib import Path

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.errors import SpecError
from convcalc.shapes import to_display
from convcalc.tools.export import export_code, identifier
from tests.conftest import GOLDEN, ROOT, load_golden_json

SPECS = sorted((ROOT / "specs").glob("*.yaml"))
TORCH = load_golden_json("export/pytorch.json")
KERAS = load_golden_json("export/keras.json")


def source(name: str, tmp_path: Path) -> Path:
    if name.startswith("keras_"):
        app = name.removeprefix("keras_")
        path = tmp_path / f"{app}.json"  # the name make_export.py gives it
        path.write_text(gzip.open(GOLDEN / "keras" / f"{app}.keras3.json.gz", "rt").read())
        return path
    return ROOT / "specs" / f"{name}.yaml"


def test_every_shipped_spec_has_goldens():
    assert {p.stem for p in SPECS} <= set(TORCH) and {p.stem for p in SPECS} <= set(KERAS)


@pytest.mark.parametrize("name", sorted(TORCH))
def test_pytorch_export_builds_convcalcs_model(name, tmp_path):
    spec = load_spec(source(name, tmp_path))
    report = analyze(spec)
    code = export_code(spec, report, "pytorch")
    tree = ast.parse(code)
    assert {n.name for n in tree.body if isinstance(n, ast.FunctionDef)} >= {"build"}
    assert any(isinstance(n, ast.ClassDef) for n in tree.body)
    golden = TORCH[name]
    assert hashlib.sha256(code.encode()).hexdigest() == golden["code_sha256"], (
        "the exporter changed: run scripts/golden/make_export.py"
    )
    t = report.totals
    # PyTorch's parameters are convcalc's trainable ones; BatchNorm's statistics are buffers
    assert golden["params"] == t.trainable_params
    assert golden["params"] + golden["running_stats"] == t.params
    want = [list(to_display(report.row(o).shape, True)) for o in report.outputs]  # NCHW
    assert golden["output_shapes"] == want


@pytest.mark.parametrize("name", sorted(KERAS))
def test_keras_export_builds_convcalcs_model(name, tmp_path):
    spec = load_spec(source(name, tmp_path))
    report = analyze(spec)
    code = export_code(spec, report, "keras")
    tree = ast.parse(code)
    (build,) = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert build.name == "build"
    golden = KERAS[name]
    assert hashlib.sha256(code.encode()).hexdigest() == golden["code_sha256"]
    t = report.totals
    assert (golden["params"], golden["trainable_params"]) == (t.params, t.trainable_params)
    assert golden["output_shapes"] == [list(report.row(o).output_shape) for o in report.outputs]
    # every layer keeps the spec's name
    names = {
        kw.value.value
        for n in ast.walk(build)
        if isinstance(n, ast.Call)
        for kw in n.keywords
        if kw.arg == "name" and isinstance(kw.value, ast.Constant)
    }
    assert {ls.name for ls in spec.layers} <= names | {spec.name}


def test_identifiers_for_layer_names():
    taken: set[str] = set()
    assert identifier("3a_1x1", taken) == "l_3a_1x1"
    assert identifier("layer1.0.conv1", taken) == "layer1_0_conv1"
    assert identifier("layer1/0/conv1", taken) == "layer1_0_conv1_1"
    assert identifier("lambda", taken) == "l_lambda"


def test_a_kind_without_export_is_a_located_error(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(gzip.open(GOLDEN / "keras" / "with_lambda.keras3.json.gz", "rt").read())
    spec = load_spec(path)
    with pytest.raises(SpecError) as err:
        export_code(spec, analyze(spec), "pytorch")
    text = err.value.render()
    assert (
        "error: layers[2] 'double' (Lambda): convcalc export --to pytorch does not write Lambda"
        in text
    )


def test_cli_export_writes_atomically_and_refuses_to_overwrite(cli, tmp_path):
    out = tmp_path / "vgg.py"
    assert cli("export", "specs/vgg16.yaml", "--to", "keras", "-o", out).exit_code == 0
    ast.parse(out.read_text())
    again = cli("export", "specs/vgg16.yaml", "--to", "keras", "-o", out)
    assert again.exit_code == 2 and "already exists" in again.output
    bad = cli("export", "specs/vgg16.yaml", "--to", "jax")
    assert bad.exit_code == 2
