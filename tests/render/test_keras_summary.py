"""`convcalc summary --style keras`: the classic Keras 2 model.summary() text.

Layout rules from standalone Keras 2.2's keras/utils/layer_utils.py (print_summary): a chain
prints 65-character lines with columns ending at int(65·[.45, .85, 1]) = [29, 55, 65]; any other
graph 98-character lines with columns ending at int(98·[.33, .55, .67, 1]) = [32, 53, 65, 98].
"""

from __future__ import annotations

import re

from convcalc.analysis import analyze, load_spec
from convcalc.render.keras import render_keras
from tests.conftest import GOLDEN, analyze_text


def _collapse(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]


def test_vgg16_reproduces_the_seed_summary(cli):
    """Seed 000 is a scrape of Keras's VGG16 summary with its runs of spaces collapsed."""
    result = cli("summary", "specs/vgg16.yaml", "--style", "keras")
    assert result.exit_code == 0
    seed = (GOLDEN / "seed000_vgg16_summary.txt").read_text()
    assert _collapse(result.stdout) == _collapse(seed)


def test_vgg16_golden_text_character_for_character(cli):
    result = cli("summary", "specs/vgg16.yaml", "--style", "keras")
    assert result.stdout == (GOLDEN / "vgg16.keras.txt").read_text()


def test_vgg16_column_positions():
    text = render_keras(analyze(load_spec("specs/vgg16.yaml")))
    lines = text.splitlines()
    table = [line for line in lines if not line.endswith("params: 0") and "params:" not in line]
    assert all(len(line) == 65 for line in table)
    assert lines[1].index("Output Shape") == 29 and lines[1].index("Param #") == 55
    row = lines[3]  # input_1 (InputLayer)
    assert row[:29].rstrip() == "input_1 (InputLayer)"
    assert row[29:55].rstrip() == "(None, 224, 224, 3)" and row[55:].rstrip() == "0"
    fc1 = next(line for line in lines if line.startswith("fc1 "))
    # Keras fills a field to its column and then overwrites the last character with a space:
    # 102764544 takes 9 of Param #'s 10 characters.
    assert fc1[55:] == "102764544 "
    assert lines[-4:] == [
        "Total params: 138,357,544",
        "Trainable params: 138,357,544",
        "Non-trainable params: 0",
        "_" * 65,
    ]


def test_long_fields_are_cut_to_their_column():
    report = analyze_text("""
input: [8, 8, 3]
layers:
  - BatchNormalization: {name: a_really_long_batch_norm_layer_name}
""")
    line = render_keras(report).splitlines()[5]
    # "a_really_long_batch_norm_layer_name (BatchNormalization)" is cut at 29 characters,
    # the 29th becoming the separating space.
    assert line[:29] == "a_really_long_batch_norm_lay "
    assert line[29:55].rstrip() == "(None, 8, 8, 3)"
    assert line[55:].rstrip() == "12"  # 4·3: gamma, beta, moving mean, variance


def test_sequential_model_has_no_input_row():
    report = analyze_text("""
model: sequential
input: [28, 28, 1]
layers:
  - Conv2D: {filters: 32, kernel_size: 3}
  - Flatten
  - Dense: {units: 10}
""")
    lines = render_keras(report).splitlines()
    names = [line.split(" ")[0] for line in lines[3:-4:2]]
    assert names == ["conv2d", "flatten", "dense"]
    # conv: (9·1 + 1)·32 = 320; dense: 26·26·32·10 + 10 = 216,330
    assert lines[3][55:].rstrip() == "320" and lines[7][55:].rstrip() == "216330"
    assert lines[-4] == "Total params: 216,650"


def test_functional_graph_has_connected_to_column(cli):
    result = cli("summary", "specs/inception_bottleneck.yaml", "--style", "keras")
    lines = result.stdout.splitlines()
    assert all(len(line) == 98 for line in lines[:-4])
    header = lines[1]
    assert [header.index(h) for h in ("Output Shape", "Param #", "Connected to")] == [32, 53, 65]
    rows = {line[:32].strip(): line for line in lines if "(Conv2D)" in line}
    assert rows["direct_5x5 (Conv2D)"][32:53].strip() == "(None, 28, 28, 32)"
    assert rows["direct_5x5 (Conv2D)"][53:65].strip() == "153632"
    assert rows["direct_5x5 (Conv2D)"][65:].strip() == "input_1[0][0]"
    assert rows["bottleneck_5x5 (Conv2D)"][65:].strip() == "reduce_1x1[0][0]"
    assert lines[-4] == "Total params: 169,552"


def test_functional_graph_rows_in_keras_order_with_one_connection_per_line(cli):
    """Keras 2 orders model.layers by decreasing depth (longest path to the output), ties by a
    depth-first walk from the output. For inception (3a): input (depth 3); the two reduces and
    the pool (depth 2, visited in the concatenation's input order); the four branch outputs
    (depth 1); the concatenation (depth 0)."""
    result = cli("summary", "specs/inception_3a.yaml", "--style", "keras")
    lines = result.stdout.splitlines()
    names = [line[:32].split(" ")[0] for line in lines[3:] if re.match(r"^\S+ \(", line)]
    assert names == [
        "input_1",
        "3a_3x3_reduce",
        "3a_5x5_reduce",
        "3a_pool",
        "3a_1x1",
        "3a_3x3",
        "3a_5x5",
        "3a_pool_proj",
        "3a_output",
    ]
    concat = next(i for i, line in enumerate(lines) if line.startswith("3a_output"))
    assert [line[65:].strip() for line in lines[concat : concat + 4]] == [
        "3a_1x1[0][0]",
        "3a_3x3[0][0]",
        "3a_5x5[0][0]",
        "3a_pool_proj[0][0]",
    ]
    assert lines[concat][32:53].strip() == "(None, 28, 28, 256)"
    assert lines[-4:-1] == [
        "Total params: 163,696",
        "Trainable params: 163,696",
        "Non-trainable params: 0",
    ]


def test_non_trainable_params_from_batch_norm():
    """Stack Overflow 42521005's Keras summary: Dense(4096->512) 2,097,664; BatchNormalization
    2,048; Dense(512->80) 41,040; total 2,140,752, trainable 2,139,728, non-trainable 1,024."""
    report = analyze_text("""
model: sequential
input: [4096]
layers:
  - Dense: {units: 512}
  - BatchNormalization
  - Dense: {units: 80}
""")
    text = render_keras(report)
    assert text.splitlines()[-4:-1] == [
        "Total params: 2,140,752",
        "Trainable params: 2,139,728",
        "Non-trainable params: 1,024",
    ]
