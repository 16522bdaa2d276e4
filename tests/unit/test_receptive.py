"""Receptive field, effective stride and effective padding (convcalc/receptive.py).

Oracles: google-research/receptive_field's published table (vgg_16: 212 / 32 / 90), the
Fangyh09/pytorch-receptive-field example (7 / 11 / 19), hand derivations written out below, and
a brute-force walk over input indices that shares no code with the recurrences.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convcalc import zoo
from convcalc.analysis import analyze, load_spec, parse_spec
from convcalc.analysis.receptive import model_field, receptive_fields, step
from convcalc.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]


def fields_of(text: str):
    spec = parse_spec(text, "t.yaml")
    report = analyze(spec)
    return receptive_fields(spec, report), report


def test_vgg16_last_pool_matches_google_research_table() -> None:
    # google-research/receptive_field README, vgg_16: RF 212, effective stride 32, effective
    # padding 90 (its convolutions are TF SAME, which pads 1 on each side for 3x3 stride 1).
    # By hand, r += (k-1)*j and P += p_left*j per layer, j doubling at each 2x2/2 pool:
    #   block1: 1 + 2 + 2 = 5 (j=1), pool +1 = 6, j=2      P = 1 + 1 = 2
    #   block2: 6 + 4 + 4 = 14, pool +2 = 16, j=4          P = 2 + 2 + 2 = 6
    #   block3: 16 + 3*8 = 40, pool +4 = 44, j=8           P = 6 + 3*4 = 18
    #   block4: 44 + 3*16 = 92, pool +8 = 100, j=16        P = 18 + 3*8 = 42
    #   block5: 100 + 3*32 = 196, pool +16 = 212, j=32     P = 42 + 3*16 = 90
    spec = load_spec(ROOT / "specs" / "vgg16.yaml")
    fields = receptive_fields(spec, analyze(spec))
    pool5 = fields["block5_pool"]
    assert (pool5.size, pool5.stride, pool5.padding) == ((212, 212), (32, 32), (90, 90))
    assert (
        fields["block1_pool"].size,
        fields["block1_pool"].stride,
        fields["block1_pool"].padding,
    ) == ((6, 6), (2, 2), (2, 2))
    assert fields["block3_conv3"].size == (40, 40) and fields["block3_conv3"].padding == (18, 18)
    # Flatten sees the whole 7x7 map: 212 + (7-1)*32 = 404 (what google-research reports for
    # fc6, a 7x7 VALID convolution); the Dense layers after it add nothing.
    assert fields["flatten"].size == (404, 404) and fields["flatten"].whole
    assert fields["predictions"].size == (404, 404)
    assert model_field(fields, ("predictions",)).size == (404, 404)
    # centre of unit 0 at pool5: (212-1)/2 - 90 = 15.5
    assert pool5.start == (Fraction(31, 2),) * 2


FANGYH09 = """
data_format: channels_first
input: [3, 256, 256]
layers:
  - Conv2d: {name: conv, out_channels: 64, kernel_size: 7, stride: 2, padding: 3, bias: false}
  - BatchNorm2d: {name: bn}
  - ReLU: {name: relu}
  - MaxPool2d: {name: maxpool, kernel_size: 3, stride: 2, padding: 1}
  - AvgPool2d: {name: avgpool, kernel_size: 3, stride: 2, padding: 1}
"""


def test_fangyh09_example() -> None:
    # Fangyh09/pytorch-receptive-field main.py/README: map sizes 128, 64, 32; jumps 2, 4, 8;
    # receptive fields 7, 11, 19; start 0.5 throughout (pixel centres at i + 0.5, so our
    # start, with centres at i, is 0). By hand: 1 + 6*1 = 7; 7 + 2*2 = 11; 11 + 2*4 = 19.
    fields, report = fields_of(FANGYH09)
    assert [report.row(n).output_shape[1:] for n in ("conv", "maxpool", "avgpool")] == [
        (128, 128),
        (64, 64),
        (32, 32),
    ]
    assert [fields[n].stride[0] for n in ("conv", "bn", "relu", "maxpool", "avgpool")] == [
        2,
        2,
        2,
        4,
        8,
    ]
    assert [fields[n].size[0] for n in ("conv", "bn", "relu", "maxpool", "avgpool")] == [
        7,
        7,
        7,
        11,
        19,
    ]
    assert {fields[n].start for n in fields} == {(0, 0)}
    # "Receptive field size for layer 2, unit_position (1, 1), is [(0, 6.0), (0, 6.0)]":
    # layer 2 is the BatchNorm after the conv. Fangyh09 gives continuous edges (pixel i spans
    # [i, i+1]): centre 0.5 + 1*2 = 2.5, edges 2.5 -/+ 7/2 = [-1, 6], clipped [0, 6], i.e.
    # pixels 0..5. By index: unit 1 starts at 1*2 - 3 = -1 and ends at -1 + 7 - 1 = 5.
    assert fields["bn"].interval((1, 1), (256, 256)) == [(0, 5), (0, 5)]
    assert fields["bn"].interval((1, 1)) == [(-1, 5), (-1, 5)]


def test_dilation_uses_the_effective_kernel() -> None:
    # k=3, d=2: k_eff = 2*(3-1)+1 = 5, so r = 5; 'same' pads (5-1)/2 = 2 on the left
    fields, _ = fields_of(
        "input: [32, 32, 1]\nlayers:\n  - Conv2D: {filters: 1, kernel_size: "
        "3, dilation_rate: 2, padding: same}\n"
    )
    f = fields["conv2d"]
    assert (f.size, f.stride, f.padding) == ((5, 5), (1, 1), (2, 2))


def test_tf_same_strided_padding_is_input_dependent_and_can_misalign() -> None:
    # TF SAME, 224 input, k=3, s=2: out 112, total pad (112-1)*2 + 3 - 224 = 1 -> (0, 1):
    # P = 0, r = 3, centre of unit 0 = 1. A 1x1/2 shortcut has r = 1, P = 0, centre 0: the
    # branches are not aligned (google-research would raise); we keep the enclosing interval
    # [0, 2] -> r = 3, P = 0 and say aligned=False. With PyTorch padding=1 (P = 1, centre 0)
    # the branches align.
    text = """input: [224, 224, 8]
layers:
  - Conv2D: {name: a, filters: 8, kernel_size: 3, strides: 2, padding: %s}
  - Conv2D: {name: b, filters: 8, kernel_size: 1, strides: 2, inputs: input_1}
  - Add: {name: add, inputs: [a, b]}
"""
    fields, _ = fields_of(text % "same")
    assert fields["a"].padding == (0, 0) and fields["a"].start == (1, 1)
    assert fields["b"].start == (0, 0)
    merged = fields["add"]
    assert (merged.size, merged.stride, merged.padding, merged.aligned) == (
        (3, 3),
        (2, 2),
        (0, 0),
        False,
    )
    fields, _ = fields_of(text % "1")
    assert fields["a"].padding == (1, 1) and fields["a"].start == (0, 0)
    merged = fields["add"]
    assert (merged.size, merged.padding, merged.aligned) == ((3, 3), (1, 1), True)


def test_inception_merge_takes_the_largest_aligned_branch() -> None:
    # inception (3a): branches 1x1 (r 1), 1x1 -> 3x3 same (r 3, P 1), 1x1 -> 5x5 same (r 5, P 2),
    # 3x3/1 same pool -> 1x1 (r 3, P 1); all centred on 0, so the concatenation has r 5, P 2.
    spec = load_spec(ROOT / "specs" / "inception_3a.yaml")
    fields = receptive_fields(spec, analyze(spec))
    out = fields["3a_output"]
    assert (out.size, out.stride, out.padding, out.aligned) == ((5, 5), (1, 1), (2, 2), True)
    assert fields["3a_pool_proj"].size == (3, 3)


def test_padding_cropping_and_global_pooling() -> None:
    # ZeroPadding 2 then a 3x3 valid conv: P = 2; Cropping 1 moves the origin back: P = 1.
    # Global pooling over the 10-wide map after the conv (j = 1): r = 3 + 9*1 = 12.
    text = """input: [8, 8, 1]
layers:
  - ZeroPadding2D: {name: pad, padding: 2}
  - Conv2D: {name: conv, filters: 1, kernel_size: 3}
  - Cropping2D: {name: crop, cropping: [[1, 0], [1, 0]]}
  - GlobalAveragePooling2D: {name: gap}
"""
    fields, report = fields_of(text)
    assert fields["pad"].padding == (2, 2) and fields["pad"].size == (1, 1)
    assert fields["conv"].padding == (2, 2) and fields["conv"].size == (3, 3)
    assert fields["crop"].padding == (1, 1)
    assert report.row("crop").output_shape == (9, 9, 1)
    assert fields["gap"].size == (3 + 8, 3 + 8) and fields["gap"].whole


def test_transposed_convolution() -> None:
    # stride 1, 'valid' (Keras): the full convolution, i.e. a convolution padded k-1 = 2:
    # r = 3, P = 2. Stride 2 up-samples: not computable from there on.
    fields, _ = fields_of(
        "input: [8, 8, 1]\nlayers:\n  - Conv2DTranspose: {name: t, filters: 1,"
        " kernel_size: 3}\n  - Conv2D: {name: c, filters: 1, kernel_size: 3}\n"
    )
    assert (fields["t"].size, fields["t"].padding) == ((3, 3), (2, 2))
    assert (fields["c"].size, fields["c"].padding) == ((5, 5), (2, 2))
    # PyTorch ConvTranspose2d(k=3, padding=1, stride 1) is a 'same' convolution: P = 3-1-1 = 1
    fields, _ = fields_of(
        "input: [8, 8, 1]\nlayers:\n  - ConvTranspose2d: {name: t, "
        "out_channels: 1, kernel_size: 3, padding: 1}\n"
    )
    assert (fields["t"].size, fields["t"].padding) == ((3, 3), (1, 1))
    fields, _ = fields_of(
        "input: [8, 8, 1]\nlayers:\n  - Conv2DTranspose: {name: t, filters: 1,"
        " kernel_size: 3, strides: 2}\n  - Conv2D: {name: c, filters: 1, "
        "kernel_size: 3}\n"
    )
    reason = (
        "'t' (Conv2DTranspose) up-samples (strides [2, 2]): the field of an output "
        "depends on its position"
    )
    assert fields["t"].reason == reason and fields["c"].reason == reason
    assert not fields["c"].known and fields["c"].size == ()


def test_upsampling_is_not_computable() -> None:
    fields, _ = fields_of("input: [8, 8, 1]\nlayers:\n  - UpSampling2D: {name: up}\n")
    assert fields["up"].reason == (
        "'up' (UpSampling2D) up-samples (size [2, 2]): the field of "
        "an output depends on its position"
    )


def test_merge_with_different_strides_is_not_computable() -> None:
    # a 2x2/2 pool of a 16-map and a 1x1 conv of an 8-map input: same shapes, strides 2 and 1
    text = """input: [16, 16, 4]
layers:
  - MaxPooling2D: {name: p}
  - InputLayer: {name: other, shape: [8, 8, 4]}
  - Add: {name: add, inputs: [p, other]}
"""
    fields, _ = fields_of(text)
    assert fields["add"].reason == (
        "'add' (Add) merges branches with different effective strides: [2, 2], [1, 1]"
    )


# --- brute force: which input indices does one output depend on? --------------------------------
layer_1d = st.tuples(
    st.sampled_from(["conv", "pool"]),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(0, 2),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(layer_1d, min_size=1, max_size=4), st.integers(0, 3))
def test_sequential_1d_matches_brute_force(stack, unit) -> None:
    lines = ["input: [96, 2]", "layers:"]
    geometry = []
    for i, (op, k, s, d, p) in enumerate(stack):
        if op == "pool":
            p = min(p, k // 2)  # PyTorch's rule for pooling pads
            d = 1
            lines.append(
                f"  - MaxPooling1D: {{name: l{i}, pool_size: {k}, strides: {s}, padding: {p}}}"
            )
        else:
            lines.append(
                f"  - Conv1D: {{name: l{i}, filters: 2, kernel_size: {k}, strides: {s},"
                f" dilation_rate: {d}, padding: {p}}}"
            )
        geometry.append((k, s, d, p))
    try:
        fields, report = fields_of("\n".join(lines) + "\n")
    except SpecError:
        assume(False)
        return
    last = fields[f"l{len(stack) - 1}"]
    assume(unit < report.rows[-1].output_shape[0])
    # walk back from one output unit: position o of a layer reads o*s - p + t*d, t < k
    positions = {unit}
    for k, s, d, p in reversed(geometry):
        positions = {o * s - p + t * d for o in positions for t in range(k)}
    assert last.interval((unit,)) == [(min(positions), max(positions))]
    assert last.size == (max(positions) - min(positions) + 1,)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2),
    st.lists(st.integers(1, 5), min_size=2, max_size=3),
    st.lists(st.integers(1, 5), min_size=2, max_size=3),
    st.integers(0, 2),
)
def test_two_branch_merge_matches_brute_force(down, left, right, unit) -> None:
    # two conv branches from one 64-long input, each striding 2 in its first `down` layers,
    # TF 'same' padding (output ceil(n/s), left pad floor(total/2)) so the lengths agree; the
    # Add's field must span exactly the union of what both branches read.
    lines = ["input: [64, 1]", "layers:"]
    walks = []
    for tag, kernels in (("a", left), ("b", right)):
        n, walk = 64, []
        for i, k in enumerate(kernels):
            s = 2 if i < down else 1
            src = ", inputs: input_1" if i == 0 else ""
            lines.append(
                f"  - Conv1D: {{name: {tag}{i}, filters: 1, kernel_size: {k}, "
                f"strides: {s}, padding: same{src}}}"
            )
            out = -(-n // s)
            total = max((out - 1) * s + k - n, 0)  # FIELD-NOTES 5.4, TF kernel_shape_util
            walk.append((k, s, total // 2))
            n = out
        walks.append(walk)
    lines.append(f"  - Add: {{name: add, inputs: [a{len(left) - 1}, b{len(right) - 1}]}}")
    fields, _report = fields_of("\n".join(lines) + "\n")
    ends, union = [], set()
    for walk in walks:
        positions = {unit}
        for k, s, p in reversed(walk):
            positions = {o * s - p + t for o in positions for t in range(k)}
        ends.append((min(positions), max(positions)))
        union |= positions
    merged = fields["add"]
    assert merged.interval((unit,)) == [(min(union), max(union))]
    assert [
        fields[f"a{len(left) - 1}"].interval((unit,))[0],
        fields[f"b{len(right) - 1}"].interval((unit,))[0],
    ] == ends
    assert merged.aligned == (len({a + b for a, b in ends}) == 1)


def test_the_engines_walk_equals_the_readable_step_everywhere() -> None:
    # the engine's walk (FieldWalk.next_field: a window on one input computed inline, each
    # layer's step shared by layers alike) against receptive.step for every layer, from scratch
    paths = [
        *sorted((ROOT / "specs").glob("*.yaml")),
        *sorted((ROOT / "docs/examples").glob("*.yaml")),
    ]
    for path in [*map(str, paths), *zoo.names()]:
        spec = load_spec(path)
        report = analyze(spec)
        walked: dict = {}
        for ls in spec.layers:
            row = report.row(ls.name)
            if ls.is_input:
                walked[ls.name] = row.field
                continue
            ins = [walked[n] for n in ls.inputs]
            walked[ls.name] = step(ls.layer, ls.name, ins, list(row.in_shapes))
        assert walked == report.fields, path
