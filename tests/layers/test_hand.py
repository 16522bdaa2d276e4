"""Layer kinds and spec features not covered by the framework goldens, derived by hand here.

Each expected value is written out with its arithmetic, from the layer's definition
(Keras / PyTorch documentation), not from convcalc.
"""

from __future__ import annotations

import pytest

from convcalc.errors import SpecError
from tests.conftest import analyze_text, one_layer

# (id, kind, args, input, data_format, output, params, trainable, macs)
HAND = [
    (
        "depthwise1d",
        "DepthwiseConv1D",
        {"kernel_size": 3, "depth_multiplier": 2},
        [10, 4],
        "channels_last",
        [8, 8],
        3 * 4 * 2 + 8,
        32,
        8 * 8 * 3,
    ),  # 8 pos · 8 ch · 3
    (
        "conv3d-transpose",
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": 2, "strides": 2},
        [3, 3, 3, 4],
        "channels_last",
        [6, 6, 6, 2],
        2 * 2 * 2 * 2 * 4 + 2,
        66,
        27 * 4 * 2 * 8,
    ),
    ("global-avg-3d", "GlobalAveragePooling3D", {}, [4, 4, 4, 7], "channels_last", [7], 0, 0, 0),
    ("global-max-3d", "GlobalMaxPooling3D", {}, [2, 3, 4, 5], "channels_last", [5], 0, 0, 0),
    (
        "global-max-2d-keepdims",
        "GlobalMaxPooling2D",
        {"keepdims": True},
        [5, 6, 3],
        "channels_last",
        [1, 1, 3],
        0,
        0,
        0,
    ),
    (
        "zeropad3d",
        "ZeroPadding3D",
        {"padding": [1, [0, 2], 0]},
        [4, 4, 4, 2],
        "channels_last",
        [6, 6, 4, 2],
        0,
        0,
        0,
    ),
    ("cropping1d", "Cropping1D", {"cropping": [1, 2]}, [10, 3], "channels_last", [7, 3], 0, 0, 0),
    (
        "cropping3d",
        "Cropping3D",
        {"cropping": 1},
        [5, 6, 7, 2],
        "channels_last",
        [3, 4, 5, 2],
        0,
        0,
        0,
    ),
    (
        "upsampling3d",
        "UpSampling3D",
        {"size": [1, 2, 3]},
        [2, 2, 2, 1],
        "channels_last",
        [2, 4, 6, 1],
        0,
        0,
        0,
    ),
    (
        "leaky-relu",
        "LeakyReLU",
        {"negative_slope": 0.1},
        [3, 3, 2],
        "channels_last",
        [3, 3, 2],
        0,
        0,
        0,
    ),
    ("elu", "ELU", {}, [5], "channels_last", [5], 0, 0, 0),
    ("softmax", "Softmax", {}, [10], "channels_last", [10], 0, 0, 0),
    ("relu6", "ReLU", {"max_value": 6}, [4, 4, 8], "channels_last", [4, 4, 8], 0, 0, 0),
    # PyTorch spellings: Linear(512 -> 10) on a vector: 512·10 + 10 params, 5,120 MACs
    (
        "torch-linear",
        "Linear",
        {"in_features": 512, "out_features": 10},
        [512],
        "channels_last",
        [10],
        5130,
        5130,
        5120,
    ),
    # BatchNorm2d(16) in channels_first: Keras counts 4·16 (2·16 non-trainable)
    (
        "torch-bn2d",
        "BatchNorm2d",
        {"num_features": 16},
        [16, 5, 5],
        "channels_first",
        [16, 5, 5],
        64,
        32,
        0,
    ),
    (
        "torch-bn-affine-false",
        "BatchNorm2d",
        {"affine": False},
        [16, 5, 5],
        "channels_first",
        [16, 5, 5],
        32,
        0,
        0,
    ),
    # seed 001: nn.Conv2d(16, 33, 3, stride=2) on (20, 16, 50, 100) -> (20, 33, 24, 49)
    (
        "seed001-conv",
        "Conv2d",
        {"in_channels": 16, "out_channels": 33, "kernel_size": 3, "stride": 2},
        [16, 50, 100],
        "channels_first",
        [33, 24, 49],
        3 * 3 * 16 * 33 + 33,
        4785,
        24 * 49 * 33 * 16 * 9,
    ),
    # seed 001: Conv2d(10, 5, 3, groups=5) on 10x224x224: weight (5, 2, 3, 3)
    (
        "seed001-grouped",
        "Conv2d",
        {"in_channels": 10, "out_channels": 5, "kernel_size": 3, "groups": 5},
        [10, 224, 224],
        "channels_first",
        [5, 222, 222],
        5 * 2 * 9 + 5,
        95,
        222 * 222 * 5 * 2 * 9,
    ),
    # seed 001: MaxPool2d(3, 2, 1) on (20, 16, 50, 32) -> (20, 16, 25, 16)
    (
        "seed001-maxpool",
        "MaxPool2d",
        {"kernel_size": 3, "stride": 2, "padding": 1},
        [16, 50, 32],
        "channels_first",
        [16, 25, 16],
        0,
        0,
        0,
    ),
    # seed 002: depthwise step of the separable example: Conv2d(3, 3, 3, padding=1, groups=3)
    # on (1, 3, 5, 5) -> (1, 3, 5, 5) (the seed's comment says (1, 6, 5, 5))
    (
        "seed002-depthwise",
        "Conv2d",
        {"in_channels": 3, "out_channels": 3, "kernel_size": 3, "padding": 1, "groups": 3},
        [3, 5, 5],
        "channels_first",
        [3, 5, 5],
        3 * 9 + 3,
        30,
        25 * 3 * 9,
    ),
    # seed 002: ConvTranspose2d(3, 3, 2, stride=2) on (1, 3, 3, 3) -> (1, 3, 6, 6)
    (
        "seed002-transposed",
        "ConvTranspose2d",
        {"in_channels": 3, "out_channels": 3, "kernel_size": 2, "stride": 2},
        [3, 3, 3],
        "channels_first",
        [3, 6, 6],
        3 * 3 * 4 + 3,
        39,
        9 * 3 * 3 * 4,
    ),
    # seed 003: Conv2D(1, kernel_size=3, padding='same', strides=2) on 8x8x1 -> 4x4x1
    (
        "seed003-same-strided",
        "Conv2D",
        {"filters": 1, "kernel_size": 3, "padding": "same", "strides": 2},
        [8, 8, 1],
        "channels_last",
        [4, 4, 1],
        10,
        10,
        16 * 9,
    ),
    # seed 003: Conv2D(1, kernel_size=(3, 5), padding='valid', strides=(3, 4)) on 8x8:
    # floor((8-3)/3)+1 = 2, floor((8-5)/4)+1 = 1
    (
        "seed003-valid",
        "Conv2D",
        {"filters": 1, "kernel_size": [3, 5], "strides": [3, 4]},
        [8, 8, 1],
        "channels_last",
        [2, 1, 1],
        16,
        16,
        2 * 15,
    ),
    # A Keras layer with trainable: false keeps its params, all non-trainable
    (
        "frozen-dense",
        "Dense",
        {"units": 4, "trainable": False},
        [3],
        "channels_last",
        [4],
        16,
        0,
        12,
    ),
    # not analysable (Keras Lambda / TFOpLambda, an unknown ONNX op): the shape recorded in
    # the imported file, else the input's; no weights; MACs unknown (0 in the totals)
    ("lambda-shape", "Lambda", {"shape": [6, 2]}, [4, 3], "channels_last", [6, 2], 0, 0, 0),
    ("lambda-same", "Lambda", {}, [4, 4, 3], "channels_last", [4, 4, 3], 0, 0, 0),
    ("tfop", "TFOpLambda", {"function": "nn.relu"}, [5, 2], "channels_last", [5, 2], 0, 0, 0),
    (
        "opaque-cf",
        "Opaque",
        {"op": "Erf", "shape": [3, 4, 5]},
        [3, 4, 5],
        "channels_first",
        [3, 4, 5],
        0,
        0,
        0,
    ),
]


@pytest.mark.parametrize(
    "kind,args,shape,fmt,out,params,trainable,macs", [c[1:] for c in HAND], ids=[c[0] for c in HAND]
)
def test_hand_derived(kind, args, shape, fmt, out, params, trainable, macs):
    row = one_layer(kind, args, shape, fmt).rows[-1]
    assert list(row.output_shape) == out
    assert (row.params, row.trainable_params, row.non_trainable_params, row.macs) == (
        params,
        trainable,
        params - trainable,
        macs,
    )


MERGE_SPEC = """
input: [8, 8, 4]
layers:
  - Conv2D: {name: a, filters: 4, kernel_size: 3, padding: same}
  - Conv2D: {name: b, filters: 4, kernel_size: 1, inputs: input_1}
  - %s: {name: m, inputs: [a, b]}
"""


@pytest.mark.parametrize("kind", ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"])
def test_elementwise_merges(kind):
    report = analyze_text(MERGE_SPEC % kind)
    m = report.row("m")
    assert (m.output_shape, m.params, m.macs, m.inputs) == ((8, 8, 4), 0, 0, ("a", "b"))
    # a: (9·4 + 1)·4 = 148 params, 64·4·36 = 9,216 MACs; b: (4 + 1)·4 = 20, 64·4·4 = 1,024
    assert (report.totals.params, report.totals.macs) == (168, 10240)
    assert not report.sequential_like


def test_concatenate_channels_and_other_axes():
    report = analyze_text("""
input: [6, 6, 3]
layers:
  - Conv2D: {name: a, filters: 5, kernel_size: 1}
  - Concatenate: {name: c, inputs: [a, input_1]}
  - Concatenate: {name: h, axis: 1, inputs: [c, c]}
""")
    assert report.row("c").output_shape == (6, 6, 8)  # 5 + 3 channels
    assert report.row("h").output_shape == (12, 6, 8)  # axis 1 = H (batch is axis 0)


def test_concatenate_channels_first_defaults_to_channel_axis():
    report = analyze_text("""
input: [3, 6, 6]
data_format: channels_first
layers:
  - Conv2d: {name: a, out_channels: 5, kernel_size: 1}
  - Concatenate: {name: c, inputs: [a, input_1]}
""")
    assert report.row("c").output_shape == (8, 6, 6)


def test_reshape_with_inferred_axis_and_flatten():
    report = analyze_text("""
input: [4, 4, 8]
layers:
  - Reshape: {target_shape: [16, -1]}
  - Flatten
""")
    assert report.rows[1].output_shape == (16, 8)
    assert report.rows[2].output_shape == (128,)


def test_explicit_input_layers_and_names():
    report = analyze_text("""
layers:
  - InputLayer: {shape: [10]}
  - Dense: {units: 3}
  - Dense: {units: 2}
  - Dense: {name: dense_1, units: 1, inputs: dense}
""")
    # explicit names are kept; automatic ones skip names already taken (dense_1 -> dense_2)
    assert [r.name for r in report.rows] == ["input_1", "dense", "dense_2", "dense_1"]
    assert report.outputs == ("dense_2", "dense_1")


def test_keras_automatic_names():
    report = analyze_text("""
input: [8, 8, 3]
layers:
  - Conv2D: {filters: 2, kernel_size: 3}
  - Conv2D: {filters: 2, kernel_size: 3}
  - ReLU
  - MaxPooling2D
  - BatchNormalization
  - Conv2DTranspose: {filters: 2, kernel_size: 2}
  - GlobalAveragePooling2D
""")
    assert [r.name for r in report.rows] == [
        "input_1",
        "conv2d",
        "conv2d_1",
        "re_lu",
        "max_pooling2d",
        "batch_normalization",
        "conv2d_transpose",
        "global_average_pooling2d",
    ]


def test_merge_with_mismatched_shapes_is_an_error():
    with pytest.raises(SpecError) as info:
        analyze_text("""
input: [8, 8, 4]
layers:
  - Conv2D: {name: a, filters: 4, kernel_size: 3}
  - Add: {inputs: [a, input_1]}
""")
    assert str(info.value) == (
        "t.yaml:5:5: error: layers[1] 'add' (Add): all inputs must have the same shape; "
        "received (6, 6, 4), (8, 8, 4)\n"
        "  hint: add a 1x1 convolution or pooling on one branch so the shapes match"
    )


def test_glu_halves_the_feature_axis():
    """Keras glu(x) = a * sigmoid(b) with a, b the two halves of the last axis."""
    report = analyze_text("""
input: [4, 6]
layers:
  - Activation: {name: g, activation: glu}
  - Dense: {name: d, units: 8, activation: glu}
""")
    assert report.row("g").output_shape == (4, 3)
    d = report.row("d")
    # Dense 3 -> 8 on 4 positions: 3·8 + 8 = 32 params, 4·3·8 = 96 MACs, then glu: 8 -> 4
    assert (d.output_shape, d.params, d.macs) == ((4, 4), 32, 96)
    with pytest.raises(
        SpecError,
        match=r"activation 'glu' halves the last axis of \(5,\), which must be even; received 5",
    ):
        analyze_text("input: [5]\nlayers:\n  - Activation: {activation: glu}\n")
