"""Shared test helpers: build one-layer specs, analyze YAML text, run the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from convcalc.analysis import analyze, parse_spec
from convcalc.report import Report

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"


def analyze_text(text: str, file: str = "t.yaml") -> Report:
    return analyze(parse_spec(text, file))


def one_layer(
    kind: str, args: dict[str, Any], input_shape: list[int], data_format: str = "channels_last"
) -> Report:
    """A spec with one input and one layer, analysed."""
    doc = {"input": list(input_shape), "data_format": data_format, "layers": [{kind: dict(args)}]}
    return analyze_text(yaml.safe_dump(doc, sort_keys=False))


def last(report: Report):
    return report.rows[-1]


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text is fitted to $COLUMNS (convcalc.render.fit): the tests see the natural width unless
    they set it, whatever terminal runs them."""
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture()
def cli():
    """Run the convcalc CLI in-process; returns a function(args) -> result."""
    from convcalc.cli import app

    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return run


# the networks and single layers of the counting tools' goldens (conventions.json), as specs
CONVENTION_SPECS = {
    "vgg16": "convcalc/zoo/vgg16_torchvision.yaml",
    "resnet18": "convcalc/zoo/resnet18.yaml",
    "resnet50": "convcalc/zoo/resnet50_torchvision.yaml",
    "mobilenet_v2": "convcalc/zoo/mobilenet_v2_torchvision.yaml",
    "conv_transpose": "docs/examples/tool_conv_transpose.yaml",
    "ceil_pool": "docs/examples/tool_ceil_pool.yaml",
    "biased_conv": "docs/examples/tool_biased_conv.yaml",
}


def load_golden_json(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())
