"""Every Keras summary layout against the text of real model.summary() calls: the Keras
applications (weights=None) and hand-built models (shared layer, two heads, Lambda,
Sequential), imported from their to_json() and printed character for character.

Goldens (tests/golden/keras/, scripts/golden/make_keras3.py and make_keras2.py):
keras-3 from Keras 3.15.1; keras-2.12 from tf.keras 2.12.1 (2.7-2.11 share its print_summary;
make_keras2.py checks that keras 2.7.0's own print_summary prints the same); keras-2.15 from
tf.keras 2.15.1 (2.13 and 2.14 share it); keras-2.6 from keras 2.6.0's print_summary run on
the tf.keras 2.12 model (TensorFlow 2.6 does not install on Python 3.11).
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.cli.commands import Style, render_keras_style
from convcalc.report import Report
from tests.conftest import GOLDEN

KERAS = GOLDEN / "keras"
APPS = [
    "vgg16",
    "vgg19",
    "resnet50",
    "inception_v3",
    "xception",
    "densenet121",
    "mobilenet",
    "mobilenet_v2",
]
HAND = ["shared", "two_heads", "nested", "with_lambda", "mnist"]
# golden file suffix -> (the config it was printed from, the styles that print it)
VERSIONS = {
    "keras3": ("keras3", ["keras-3"]),
    "keras-2.15": ("keras2", ["keras-2.13", "keras-2.14", "keras-2.15"]),
    "keras-2.12": ("keras2", [f"keras-2.{m}" for m in range(7, 13)]),
    "keras-2.6": ("keras2", ["keras-2.6"]),
}


def text(path: Path) -> str:
    return gzip.open(path, "rt").read() if path.suffix == ".gz" else path.read_text()


@functools.cache
def report(model: str, config: str, tmp: Path) -> Report:
    path = tmp / f"{model}.{config}.json"
    path.write_text(text(KERAS / f"{model}.{config}.json.gz"))
    return analyze(load_spec(path))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keras")


CASES = [
    (model, golden, style)
    for model in APPS + HAND
    for golden, (_, styles) in VERSIONS.items()
    for style in styles[-1:]
]


@pytest.mark.parametrize(("model", "golden", "style"), CASES)
def test_summary_text_is_keras_character_for_character(
    model: str, golden: str, style: str, folder: Path
) -> None:
    found = sorted(KERAS.glob(f"{model}.{golden}.txt*"))
    assert found, f"no golden {model}.{golden}"
    config = VERSIONS[golden][0]
    out = render_keras_style(report(model, config, folder), Style(style))
    assert out.splitlines() == text(found[0]).splitlines()
    assert out == text(found[0])


@pytest.mark.parametrize("golden", list(VERSIONS))
def test_every_version_name_prints_its_family_layout(golden: str, folder: Path) -> None:
    config, styles = VERSIONS[golden]
    want = text(next(KERAS.glob(f"shared.{golden}.txt*")))
    for style in styles:
        assert render_keras_style(report("shared", config, folder), Style(style)) == want


def test_a_keras3_config_prints_the_keras2_layouts_too(folder: Path) -> None:
    """The layout is the version's, whichever Keras wrote the config: VGG16 from Keras 3 has
    Keras 3's input name (input_layer), and otherwise the rows of tf.keras 2.12."""
    out = render_keras_style(report("vgg16", "keras3", folder), Style("keras-2.12"))
    want = text(KERAS / "vgg16.keras-2.12.txt.gz").replace("input_1 ", "input_layer ")
    assert (
        out.splitlines()[4] == " input_layer (InputLayer)    [(None, 224, 224, 3)]     0         "
    )
    assert out.splitlines()[5:] == want.splitlines()[5:]


def test_the_classic_layout_is_unchanged_for_the_seed_vgg16(cli) -> None:
    result = cli("summary", "specs/vgg16.yaml", "--style", "keras")
    assert result.stdout == (GOLDEN / "vgg16.keras.txt").read_text()
