"""Keras model configs read as specs: the applications' to_json() (Keras 3 and tf.keras 2.12
forms, tests/golden/keras/, scripts/golden/make_keras*.py) give Keras's own totals and shapes;
.keras archives; the config forms Keras writes; located refusals."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.errors import SpecError
from tests.conftest import GOLDEN, load_golden_json

KERAS = GOLDEN / "keras"
FACTS = {
    "keras3": load_golden_json("keras/keras3.json")["models"],
    "keras2": load_golden_json("keras/keras-2.12.json")["models"],
}
# keras.io/api/applications: the parameter counts the table rounds (138.4M, 143.7M, ...)
PUBLISHED = {
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "resnet50": 25_636_712,
    "inception_v3": 23_851_784,
    "xception": 22_910_480,
    "densenet121": 8_062_504,
    "mobilenet": 4_253_864,
    "mobilenet_v2": 3_538_984,
}


def config_file(tmp_path: Path, model: str, form: str) -> Path:
    path = tmp_path / f"{model}.json"
    path.write_text(gzip.open(KERAS / f"{model}.{form}.json.gz", "rt").read())
    return path


@pytest.mark.parametrize("form", ["keras3", "keras2"])
@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_applications_give_the_published_and_keras_totals(tmp_path, model, form):
    report = analyze(load_spec(config_file(tmp_path, model, form)))
    keras = FACTS[form][model]
    t = report.totals
    assert t.params == PUBLISHED[model] == keras["params"]
    assert (t.trainable_params, t.non_trainable_params) == (
        keras["trainable_params"],
        keras["non_trainable_params"],
    )
    assert report.incomplete == ()


@pytest.mark.parametrize(
    "model",
    ["resnet50", "inception_v3", "mobilenet", "shared", "two_heads", "nested", "channels_first"],
)
def test_every_output_shape_is_keras3s(tmp_path, model):
    report = analyze(load_spec(config_file(tmp_path, model, "keras3")))
    for name, shapes in FACTS["keras3"][model]["shapes"].items():
        rows = [r for r in report.rows if name in (r.name, r.shares)]
        if name == "block":  # the nested model: its layers are rows of their own
            assert report.row("inner_bn").output_shape == tuple(shapes[0])
            continue
        assert [list(r.output_shape) for r in rows][-len(shapes) :] == shapes[-len(rows) :], name


def test_shared_layer_counted_once_with_both_calls(tmp_path):
    report = analyze(load_spec(config_file(tmp_path, "shared", "keras3")))
    first, second = report.row("shared"), report.row("shared@1")
    assert (first.params, second.params, second.shares) == (36, 0, "shared")
    assert (first.inputs, second.inputs) == (("a",), ("b",))
    assert first.macs == second.macs == 8 * 4  # each call computes
    assert report.totals.params == 45


def test_nested_model_layers_join_the_outer_graph(tmp_path):
    for form in ("keras3", "keras2"):
        report = analyze(load_spec(config_file(tmp_path, "nested", form)))
        assert report.row("inner_conv").inputs == ("outer_in",)
        assert report.row("inner_bn").group == ("block", "Functional")
        assert report.row("flat").inputs == ("inner_bn",)
        assert report.totals.params == FACTS[form]["nested"]["params"] == 2483


def test_channels_first_model_and_batchnorm_axis_1(tmp_path):
    report = analyze(load_spec(config_file(tmp_path, "channels_first", "keras3")))
    assert report.data_format == "channels_first"
    assert report.row("bn").params == 4 * 6
    assert report.totals.params == FACTS["keras3"]["channels_first"]["params"] == 677


def test_lambda_layers_are_listed_as_not_analysable(tmp_path):
    for form, names in (("keras3", ["double"]), ("keras2", ["double", "tf.nn.relu"])):
        report = analyze(load_spec(config_file(tmp_path, "with_lambda", form)))
        assert [r.name for r in report.incomplete] == names
        assert report.totals.params == 122
    keras3 = analyze(load_spec(config_file(tmp_path, "with_lambda", "keras3")))
    assert "the one the file records" in keras3.row("double").incomplete


@pytest.mark.parametrize("archive", ["small.keras", "small.keras-2.15.keras"])
def test_keras_archives_are_read_from_their_config_json(archive):
    # Conv2D 4 3x3 on 12x12x3: (27+1)·4 = 112; Flatten 10·10·4 = 400; Dense 2: 802
    report = analyze(load_spec(KERAS / archive))
    assert report.totals.params == 112 + 802
    assert report.model == "sequential"


def test_batchnorm_axis_as_a_list_and_groups_1(tmp_path):
    doc = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "x",
                    "config": {"batch_input_shape": [None, 8, 8, 4], "name": "x"},
                    "inbound_nodes": [],
                },
                {
                    "class_name": "DepthwiseConv2D",
                    "name": "dw",
                    "config": {
                        "name": "dw",
                        "kernel_size": [3, 3],
                        "groups": 1,
                        "dtype": "float32",
                        "depthwise_initializer": {
                            "class_name": "GlorotUniform",
                            "config": {"seed": None},
                        },
                    },
                    "inbound_nodes": [[["x", 0, 0, {}]]],
                },
                {
                    "class_name": "BatchNormalization",
                    "name": "bn",
                    "config": {
                        "name": "bn",
                        "axis": [3],
                        "epsilon": 1e-05,
                        "fused": None,
                        "beta_regularizer": None,
                        "renorm": False,
                    },
                    "inbound_nodes": [[["dw", 0, 0, {}]]],
                },
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["bn", 0, 0]],
        },
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    report = analyze(load_spec(path))
    assert report.row("dw").params == 3 * 3 * 4 + 4
    assert report.row("bn").params == 16


def refusal(tmp_path: Path, text: str, name: str = "m.json") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    return err.value.render().replace(str(path), "F")


def test_refusals_are_located(tmp_path):
    assert refusal(tmp_path, '{"class_name": "Functional", "config": {"layers": [}') == (
        "F:1:52: error: malformed JSON: Expecting value\n"
        "  hint: the file should be the text of model.to_json()"
    )
    assert refusal(tmp_path, '{"class_name": "Dense", "config": {}}').startswith(
        "F:1:16: error: not a Keras model: class_name is 'Dense'"
    )
    bad_axis = (
        '{"class_name": "Sequential", "config": {"name": "s", "layers": ['
        '{"class_name": "InputLayer", "config": {"batch_shape": [null, 4, 4, 2], "name": "i"}},'
        '{"class_name": "BatchNormalization", "config": {"name": "bn", "axis": "x"}}]}}'
    )
    assert refusal(tmp_path, bad_axis) == (
        "F:1:221: error: layers[1] 'bn' (BatchNormalization): axis must be an integer (a Keras "
        "axis: the batch is axis 0, negatives count from the end) or a list of one such "
        "integer; received 'x' (a string)\n"
        "  hint: e.g. axis: -1 (the last axis) or axis: [3]"
    )


def test_unknown_class_and_mixed_data_format_are_located(tmp_path):
    doc = (
        '{"class_name": "Sequential", "config": {"name": "s", "layers": ['
        '{"class_name": "InputLayer", "config": {"batch_shape": [null, 3, 8, 8], "name": "i"}},'
        '{"class_name": "Conv2D", "config": {"name": "c", "filters": 2, "kernel_size": 3,'
        ' "data_format": "channels_first"}},'
        '{"class_name": "MaxPooling2D", "config": {"name": "p", "data_format": "channels_last"}},'
        '{"class_name": "Attention", "config": {"name": "att"}}]}}'
    )
    text = refusal(tmp_path, doc)
    assert (
        "error: layers[2] 'p' (MaxPooling2D): data_format is 'channels_last' but the spec's "
        in text
    )
    assert "error: layers[3]: unknown layer type 'Attention'" in text


def test_an_archive_without_config_json_and_a_non_zip(tmp_path):
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("other.txt", "x")
    with pytest.raises(SpecError, match=r"this zip archive has no config\.json"):
        load_spec(path)
    assert "is not a zip archive" in refusal(tmp_path, "{}", "n.keras")
