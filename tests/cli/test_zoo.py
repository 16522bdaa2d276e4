"""`convcalc zoo` and zoo names where a spec is read (summary, check, compare, diff, run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from convcalc import zoo
from tests.docs.test_zoo import KERAS, TORCH


def test_zoo_json_lists_every_spec_with_its_totals_and_source(cli) -> None:
    result = cli("zoo", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [d["name"] for d in doc] == zoo.names()
    keys = ["name", "params", "trainable_params", "non_trainable_params", "macs"]
    assert all(list(d) == [*keys, "input_shape", "source"] for d in doc)
    by = {d["name"]: d for d in doc}
    # the golden figures (Keras: model.summary(); torch: parameters + BatchNorm statistics)
    g = KERAS["resnet50"]
    assert by["resnet50"] | {"source": ""} == {
        "name": "resnet50",
        "params": g["params"],
        "trainable_params": g["trainable_params"],
        "non_trainable_params": g["non_trainable_params"],
        "macs": g["macs"],
        "input_shape": [224, 224, 3],
        "source": "",
    }
    t = TORCH["resnet18"]
    assert by["resnet18"]["params"] == t["params"] + t["bn_running_stats"] == 11_699_112
    assert by["resnet18"]["input_shape"] == [3, 224, 224]
    assert all(d["source"] for d in doc)


def test_zoo_text_lists_names_totals_and_sources(cli) -> None:
    result = cli("zoo")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Name", "Input", "Params", "Trainable", "Non-trainable", "MACs"]
    row = next(line for line in lines if line.startswith("resnet50 "))
    assert row.split() == [
        "resnet50",
        "224x224x3",
        "25,636,712",
        "25,583,592",
        "53,120",
        "3,857,973,248",
        "(3.86",
        "GMAC)",
    ]
    assert any(line.startswith("  vgg16: Keras 3 model.summary()") for line in lines)


def test_zoo_show_prints_the_yaml_as_shipped(cli) -> None:
    result = cli("zoo", "show", "resnet50")
    assert result.exit_code == 0
    assert result.stdout == (zoo.ZOO_DIR / "resnet50.yaml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("zoo", "show", "resnt50"),
            "error: no zoo spec named 'resnt50'\n  hint: did you mean 'resnet50'? the zoo has ",
        ),
        (
            ("zoo", "show"),
            "error: zoo show needs a NAME\n  hint: e.g. convcalc zoo show resnet50\n",
        ),
        (("zoo", "list"), "error: unknown zoo action 'list'\n"),
        (("zoo", "--format", "csv"), "error: the zoo list is text or json; drop --format csv\n"),
        (
            ("summary", "resnt50"),
            "resnt50: error: no such file, and no zoo spec of that name\n"
            "  hint: did you mean 'resnet50'? `convcalc zoo` lists the specs that ship with convcalc",
        ),
    ],
)
def test_zoo_errors(cli, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_a_zoo_name_works_where_a_spec_file_does(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no file named resnet18 here
    summary = cli("summary", "resnet18", "--format", "json")
    assert json.loads(summary.stdout)["totals"]["params"] == 11_699_112
    check = cli("check", "resnet18", "vgg16")
    assert check.exit_code == 0 and "2 specs: 2 passed" in check.stdout
    diff = cli("diff", "resnet50", "resnet50_torchvision", "--format", "json")
    assert diff.exit_code in (0, 1), diff.output
    compare = cli("compare", "mobilenet", "--separable")
    assert compare.exit_code == 0, compare.output
    # a file of that name wins over the zoo
    (tmp_path / "resnet18").write_text("input: [4]\nlayers:\n  - Dense: {units: 2}\n")
    assert (
        json.loads(cli("summary", "resnet18", "--format", "json").stdout)["totals"]["params"] == 10
    )


def test_check_update_leaves_the_zoo_alone(cli, monkeypatch) -> None:
    from convcalc.tools import update

    path = zoo.ZOO_DIR / "text_cnn.yaml"
    before = path.read_text()
    monkeypatch.setattr(update, "updated_text", lambda text, spec, report: text + "# x\n")
    result = cli("check", "--update", "text_cnn")
    assert path.read_text() == before
    assert "--update does not edit the specs that ship with convcalc" in result.output
    assert "convcalc zoo show text_cnn > text_cnn.yaml" in result.output
