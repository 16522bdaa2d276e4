"""Every class of invalid input: the whole message, file:line:col, and exit code 2."""

from __future__ import annotations

import textwrap

import pytest


def _write(tmp_path, text: str, name: str = "bad.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


CASES = [
    (
        "groups-input",
        """
        input: [8, 8, 6]
        layers:
          - Conv2D: {filters: 8, kernel_size: 3, groups: 4}
     """,
        """
        {f}:3:50: error: layers[0] 'conv2d' (Conv2D): groups must divide the input channels; received groups=4, input channels=6
          hint: groups that divide both 6 and filters=8: 1, 2
     """,
    ),
    (
        "groups-output",
        """
        input: [8, 8, 8]
        layers:
          - Conv2d: {out_channels: 6, kernel_size: 3, groups: 4}
     """,
        """
        {f}:3:55: error: layers[0] 'conv2d' (Conv2D): groups must divide filters (output channels); received groups=4, filters=6
          hint: use filters that are a multiple of 4
     """,
    ),
    (
        "kernel-too-big",
        """
        input: [4, 4, 3]
        layers:
          - Conv2D: {name: big, filters: 8, kernel_size: 5}
     """,
        """
        {f}:3:50: error: layers[0] 'big' (Conv2D): output size on axis H would be 0: effective kernel 5 (kernel_size 5, dilation 1) > padded input 4 (input 4 + padding 0+0)
          hint: use a smaller kernel or dilation, more padding, or padding: same
     """,
    ),
    (
        "output-padding",
        """
        input: [8, 8, 3]
        layers:
          - Conv2DTranspose: {filters: 4, kernel_size: 3, strides: 2, output_padding: 2}
     """,
        """
        {f}:3:79: error: layers[0] 'conv2d_transpose' (Conv2DTranspose): output_padding must be smaller than the stride or the dilation; received output_padding=2 with strides=2, dilation_rate=1 on axis H, W
          hint: use output_padding < 2
     """,
    ),
    (
        "unknown-kind",
        """
        input: [8, 8, 3]
        layers:
          - Conv2d: {out_channels: 4, kernel_size: 3}
          - MaxPool2D: {kernel_size: 2}
     """,
        """
        {f}:4:5: error: layers[1]: unknown layer type 'MaxPool2D'
          hint: did you mean 'MaxPool2d'? `convcalc layers` lists every supported kind
     """,
    ),
    (
        "unknown-argument",
        """
        input: [8, 8, 3]
        layers:
          - Conv2D: {filters: 4, kernel_size: 3, strid: 2}
     """,
        """
        {f}:3:42: error: layers[0] 'conv2d' (Conv2D): unknown argument 'strid' for Conv2D
          hint: did you mean 'strides'? `convcalc layers Conv2D` lists its arguments
     """,
    ),
    (
        "seed001-output-channels",
        """
        input: [10, 224, 224]
        data_format: channels_first
        layers:
          - Conv2d: {in_channels: 10, output_channels: 5, kernel_size: 3, groups: 5}
     """,
        """
        {f}:4:5: error: layers[0] 'conv2d' (Conv2D): missing required argument 'filters' (PyTorch: out_channels)
          hint: filters: number of output channels
        {f}:4:31: error: layers[0] 'conv2d' (Conv2D): unknown argument 'output_channels' for Conv2D
          hint: did you mean 'out_channels'? `convcalc layers Conv2D` lists its arguments
        2 problems in {f}
     """,
    ),
    (
        "seed003-shape-keyword",
        """
        input: [6, 8, 1]
        layers:
          - Conv2D: {filters: 1, shape: [2, 2], use_bias: false}
     """,
        """
        {f}:3:5: error: layers[0] 'conv2d' (Conv2D): missing required argument 'kernel_size'
          hint: kernel_size: kernel size, an int or one per spatial axis
        {f}:3:26: error: layers[0] 'conv2d' (Conv2D): unknown argument 'shape' for Conv2D
          hint: `convcalc layers Conv2D` lists its arguments
        2 problems in {f}
     """,
    ),
    (
        "both-spellings",
        """
        input: [8, 8, 3]
        layers:
          - Conv2D: {filters: 4, kernel_size: 3, strides: 2, stride: 2}
     """,
        """
        {f}:3:54: error: layers[0] 'conv2d' (Conv2D): 'stride' and 'strides' are two spellings of the same argument
          hint: keep one of them ('strides' is the Keras name)
     """,
    ),
    (
        "wrong-types",
        """
        input: [8, 8, 3]
        layers:
          - Conv2D: {filters: 4.5, kernel_size: [3, 3, 3], use_bias: "no"}
     """,
        """
        {f}:3:23: error: layers[0] 'conv2d' (Conv2D): filters must be a positive integer; received 4.5 (a number)
        {f}:3:41: error: layers[0] 'conv2d' (Conv2D): kernel_size must be a positive integer or a list of 2 such integers; received [3, 3, 3]
        {f}:3:62: error: layers[0] 'conv2d' (Conv2D): use_bias must be true or false; received 'no' (a string)
        3 problems in {f}
     """,
    ),
    (
        "malformed-yaml",
        """
        input: [8, 8, 3
        layers:
          - Flatten
     """,
        """
        {f}:2:7: error: malformed YAML: while parsing a flow sequence did not find expected ',' or ']'
          hint: check the indentation and the ':' after each key
     """,
    ),
    (
        "duplicate-key",
        """
        input: [8, 8, 3]
        layers:
          - Conv2D: {filters: 4, kernel_size: 3, filters: 8}
     """,
        """
        {f}:3:42: error: duplicate key 'filters' (first given at line 3)
          hint: remove one of the two; YAML keeps only the last
     """,
    ),
    (
        "duplicate-name-and-bad-input",
        """
        input: [8, 8, 3]
        layers:
          - Conv2D: {name: c, filters: 4, kernel_size: 3}
          - Conv2D: {name: c, filters: 4, kernel_size: 3}
          - Add: {inputs: [c, d]}
     """,
        """
        {f}:4:20: error: layers[1] 'c' (Conv2D): duplicate layer name 'c' (also layers[0])
          hint: every layer needs a unique name
        {f}:5:23: error: layers[2] 'add' (Add): input 'd' is not a layer name
          hint: inputs names earlier layers, e.g. c, input_1
        2 problems in {f}
     """,
    ),
    (
        "no-input-and-unknown-top-key",
        """
        nmae: x
        layers:
          - Flatten
     """,
        """
        {f}:1:1: error: unknown top-level key 'nmae'
          hint: did you mean 'name'? allowed: name, description, source, input, data_format, model, blocks, layers, expect, budget
        {f}:1:1: error: the spec has no input shape
          hint: add  input: [224, 224, 3]  (one sample, without the batch)
        2 problems in {f}
     """,
    ),
    (
        "independent-problems-in-one-run",
        """
        input: [8, 8, 6]
        layers:
          - Conv2D: {name: a, filters: 8, kernel_size: 3, groups: 4}
          - Conv2D: {name: b, filters: 8, kernel_size: 9, inputs: input_1}
          - Dense: {name: c, units: -1, inputs: input_1}
     """,
        """
        {f}:3:59: error: layers[0] 'a' (Conv2D): groups must divide the input channels; received groups=4, input channels=6
          hint: groups that divide both 6 and filters=8: 1, 2
        {f}:4:48: error: layers[1] 'b' (Conv2D): output size on axis H would be 0: effective kernel 9 (kernel_size 9, dilation 1) > padded input 8 (input 8 + padding 0+0)
          hint: use a smaller kernel or dilation, more padding, or padding: same
        {f}:5:29: error: layers[2] 'c' (Dense): units must be a positive integer; received -1
        3 problems in {f}
     """,
    ),
]


@pytest.mark.parametrize("spec,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_spec_message_and_exit_code(cli, tmp_path, spec, expected):
    path = _write(tmp_path, spec)
    result = cli("summary", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == textwrap.dedent(expected).lstrip("\n").format(f=path)
    assert "Traceback" not in result.output


def test_missing_file(cli, tmp_path):
    result = cli("summary", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        f"{tmp_path / 'nope.yaml'}: error: no such file\n"
        "  hint: check the path; specs are YAML files such as "
        "specs/vgg16.yaml\n"
    )


def test_directory_instead_of_file(cli, tmp_path):
    result = cli("summary", tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{tmp_path}: error: is a directory, not a spec file\n"
        f"  hint: to use every spec in it, pass {tmp_path}/*.yaml\n"
    )


def test_keras_style_with_machine_format_is_a_usage_error(cli):
    result = cli("summary", "specs/vgg16.yaml", "--style", "keras", "--format", "json")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: --style keras is a text layout; drop --format json or "
        "--style keras\n"
    )


def test_unknown_option_value_exits_2(cli):
    result = cli("summary", "specs/vgg16.yaml", "--format", "xml")
    assert result.exit_code == 2
    assert "Invalid value for '--format' / '-f'" in result.stderr


def test_unknown_layer_kind_in_layers_command(cli):
    result = cli("layers", "Conv2")
    assert result.exit_code == 2
    assert (
        result.stderr == "error: unknown layer kind 'Conv2'; did you mean 'Conv2D'? "
        "(`convcalc layers` lists them all)\n"
    )
