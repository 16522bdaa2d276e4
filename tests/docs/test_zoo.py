"""The zoo (convcalc/zoo/*.yaml): every spec against its reference implementation, measured once
in a throwaway environment (tests/golden/zoo_keras.json from keras.applications.*(weights=None),
scripts/golden/make_zoo_keras.py; tests/golden/zoo_torch.json from torchvision.models.* and
torch.nn models built from the papers, scripts/golden/make_zoo_torch.py), and against the
published figures named in PUBLISHED.

Keras's automatic names (conv2d_94, add_3 ...) count up per process, and the golden built
several applications in one process; :func:`fresh` renumbers them as a fresh process does
(from each model's smallest number), which is what a spec mirroring one application writes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from convcalc import zoo
from convcalc.analysis import analyze, load_spec
from convcalc.render.keras import render_keras
from convcalc.report import Report
from convcalc.spec.names import snake_case
from tests.conftest import ROOT, load_golden_json

KERAS = load_golden_json("zoo_keras.json")["models"]
TORCH = load_golden_json("zoo_torch.json")["models"]
KERAS_ZOO = {  # zoo spec -> golden key
    "vgg16": "vgg16",
    "vgg19": "vgg19",
    "resnet50": "resnet50",
    "inception_v3": "inception_v3",
    "mobilenet": "mobilenet",
    "mobilenet_v2": "mobilenet_v2",
    "xception": "xception",
    "densenet121": "densenet121",
    "efficientnet_b0": "efficientnet_b0",
}
TORCH_ZOO = {
    "resnet18": "resnet18",
    "resnet50_torchvision": "resnet50_torchvision",
    "googlenet": "googlenet",
    "unet": "unet",
    "text_cnn": "text_cnn",
    "alexnet": "alexnet",
}
M, G = 10**6, 10**9
# Published figures, rounded as published: (params, rounding of params, MACs, rounding, where)
PUBLISHED = {
    "vgg16": (
        138.4 * M,
        M / 10,
        15.5 * G,
        G / 10,
        "keras.io/api/applications: 138.4M; "
        "Simonyan & Zisserman 2014 Table 2: 138M (configuration D)",
    ),
    "vgg19": (143.7 * M, M / 10, 19.6 * G, G / 10, "keras.io/api/applications: 143.7M"),
    "resnet50": (
        25.6 * M,
        M / 10,
        3.9 * G,
        G / 10,
        "keras.io/api/applications: 25.6M; "
        "He et al. 2015 Table 1: 3.8 x 10^9 FLOPs (multiply-adds, without the fc)",
    ),
    "inception_v3": (23.9 * M, M / 10, 5.7 * G, G / 10, "keras.io/api/applications: 23.9M"),
    "mobilenet": (
        4.3 * M,
        M / 10,
        569 * M,
        M,
        "keras.io/api/applications: 4.3M; Howard et al. 2017 Table 8: 569 million Mult-Adds",
    ),
    "mobilenet_v2": (
        3.5 * M,
        M / 10,
        301 * M,
        M,
        "keras.io/api/applications: 3.5M; Sandler et al. 2018 Table 4: 300M MAdds",
    ),
    "xception": (
        22.9 * M,
        M / 10,
        8.4 * G,
        G / 10,
        "keras.io/api/applications: 22.9M; "
        "Chollet 2017 Table 3: 22,855,952 parameters (the trainable ones)",
    ),
    "densenet121": (8.1 * M, M / 10, 2.8 * G, G / 10, "keras.io/api/applications: 8.1M"),
    "efficientnet_b0": (
        5.3 * M,
        M / 10,
        0.39 * G,
        G / 100,
        "keras.io/api/applications: 5.3M; Tan & Le 2019 Table 2: 5.3M params, 0.39B FLOPS",
    ),
    "resnet18": (
        11_689_512,
        1,
        1.81 * G,
        G / 100,
        "torchvision docs, ResNet18_Weights: num_params 11689512, GFLOPS 1.81",
    ),
    "vgg16_torchvision": (
        138_357_544,
        1,
        15.47 * G,
        G / 100,
        "torchvision docs, VGG16_Weights.IMAGENET1K_V1: num_params 138357544, GFLOPS 15.47",
    ),
    "mobilenet_v2_torchvision": (
        3_504_872,
        1,
        0.30 * G,
        G / 100,
        "torchvision docs, MobileNet_V2_Weights.IMAGENET1K_V1: num_params 3504872, GFLOPS 0.30",
    ),
    "resnet50_torchvision": (
        25_557_032,
        1,
        4.09 * G,
        G / 100,
        "torchvision docs, ResNet50_Weights.IMAGENET1K_V1: num_params 25557032, GFLOPS 4.09",
    ),
    "googlenet": (
        6_624_904,
        1,
        1.50 * G,
        G / 100,
        "torchvision docs, GoogLeNet_Weights: num_params 6624904, GFLOPS 1.50",
    ),
    "alexnet": (
        60_965_224,
        1,
        724 * M,
        M,
        "bvlc_alexnet (Caffe model zoo): 60,965,224 params; Sze et al. 2017 Table III: 724M MACs",
    ),
    "inception_3a": (
        163_696,
        1,
        128_049_152,
        1,
        "Szegedy et al. 2014 Table 1: 159K params "
        "without biases (163,328 / 1,024) + 368 biases; 128M ops",
    ),
    "text_cnn": (
        98_432,
        1,
        1_277_952,
        1,
        "seed 002: weight [128, 256, 3] + bias [128]; 13 x 128 x 256 x 3 MACs",
    ),
    "unet": (
        31_030_658,
        1,
        150_428_424_448,
        1,
        "Ronneberger et al. 2015 Fig. 1, measured in torch (the paper gives no total)",
    ),
}


def report_of(name: str) -> Report:
    return analyze(load_spec(name))


EXPLICIT = {"reshape_2"}  # keras mobilenet.py names its Reshape so


def fresh(layers: list[dict]) -> list[dict]:
    """The golden's layers (InputLayer dropped) with Keras's automatic names renumbered as a
    fresh process numbers them."""
    out = [dict(x) for x in layers if x["class"] != "InputLayer"]
    low: dict[str, int] = {}
    auto = [x for x in out if x["name"] not in EXPLICIT]
    for x in auto:
        m = re.fullmatch(snake_case(x["class"]) + r"(?:_(\d+))?", x["name"])
        if m:
            n = int(m.group(1) or 0)
            low[x["class"]] = min(low.get(x["class"], n), n)
    auto = [x for x in out if x["name"] not in EXPLICIT]
    for x in auto:
        m = re.fullmatch(snake_case(x["class"]) + r"(?:_(\d+))?", x["name"])
        if m:
            n = int(m.group(1) or 0) - low[x["class"]]
            x["name"] = snake_case(x["class"]) + (f"_{n}" if n else "")
    return out


# checked module for module against torchinfo in tests/tools/test_conventions.py
CONVENTIONS_ZOO = {"vgg16_torchvision", "mobilenet_v2_torchvision"}


def test_the_zoo_is_what_the_tests_cover() -> None:
    covered = set(KERAS_ZOO) | set(TORCH_ZOO) | CONVENTIONS_ZOO | {"inception_3a"}
    assert set(zoo.names()) == covered
    assert set(PUBLISHED) == set(zoo.names())


@pytest.mark.parametrize("name", sorted(KERAS_ZOO))
def test_keras_applications_layer_for_layer(name: str) -> None:
    """Names, kinds, output shapes, params and order as Keras 3 lists them."""
    g = KERAS[KERAS_ZOO[name]]
    r = report_of(name)
    ours = [(x.name, x.kind, list(x.output_shape), x.params) for x in r.rows if not x.is_input]
    theirs = [(x["name"], x["class"], x["output_shape"], x["params"]) for x in fresh(g["layers"])]
    assert ours == theirs
    t = r.totals
    assert (t.params, t.trainable_params, t.non_trainable_params) == (
        g["params"],
        g["trainable_params"],
        g["non_trainable_params"],
    )
    assert t.macs == g["macs"]  # FlopCounterMode's FLOPs / 2 on the Keras model
    assert list(r.input_rows[0].output_shape) == g["input_shape"]
    total, trainable, frozen = g["summary_totals"]  # as model.summary() prints them
    assert total.startswith(f"Total params: {t.params:,} ")
    assert trainable.startswith(f"Trainable params: {t.trainable_params:,} ")
    assert frozen.startswith(f"Non-trainable params: {t.non_trainable_params:,} ")


def keras_rows(text: str) -> list[tuple[str, str, str]]:
    """(name and type, shape, params) per row of the Keras 2 layout, cut at its columns (Keras
    2 cuts a cell to its column's width)."""
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("Layer (type)"))
    cols = [header.index("Output Shape"), header.index("Param #")]
    cols.append(header.index("Connected to") if "Connected to" in header else len(header))
    return [
        (line[: cols[0]].strip(), line[cols[0] : cols[1]].strip(), line[cols[1] : cols[2]].strip())
        for line in lines
        if line[:1] not in ("", " ", "_", "=")
        and line[: cols[0]].strip()
        and not line.startswith(("Layer (type)", "Total", "Trainable", "Non-trainable", "Model"))
    ]


@pytest.mark.parametrize("name", sorted(KERAS_ZOO))
def test_style_keras_prints_the_applications_layers_in_keras_order(name: str) -> None:
    """`summary --style keras` (the Keras 2 layout, which cuts long cells to their column):
    one row per Keras 3 layer, same order, name, shape and params."""
    got = keras_rows(render_keras(report_of(name)))
    want = fresh(KERAS[KERAS_ZOO[name]]["layers"])
    assert len(got) == len(want) + 1  # + the InputLayer row
    for (written, shape, params), layer in zip(got[1:], want):
        assert f"{layer['name']} ({layer['class']})".startswith(written), (written, layer)
        full = "(" + ", ".join(["None", *map(str, layer["output_shape"])]) + ")"
        assert full.startswith(shape), (shape, layer)
        assert int(params) == layer["params"]


@pytest.mark.parametrize("name", sorted(TORCH_ZOO))
def test_torch_models_totals_and_module_names(name: str) -> None:
    g = TORCH[TORCH_ZOO[name]]
    r = report_of(name)
    t = r.totals
    # PyTorch counts parameters; convcalc adds BatchNorm's running mean and variance as
    # non-trainable parameters (as Keras does); num_batches_tracked is not counted
    assert t.trainable_params == g["params"]
    assert t.non_trainable_params == g["bn_running_stats"]
    assert t.macs == g["macs"]
    assert list(r.output_shape) == g["output_shape"] or list(r.output_shape) == [
        *g["output_shape"][1:],
        g["output_shape"][0],
    ]  # U-Net is written channels last
    if name in ("alexnet", "unet", "text_cnn"):  # built in torch from the papers: by order
        ours = [(x.params, list(x.output_shape)) for x in r.rows if x.params]
        theirs = [(x["params"], x["output_shape"]) for x in g["layers"] if x["params"]]
        if name == "unet":  # written channels last
            theirs = [(p, [*s[1:], s[0]]) for p, s in theirs]
        assert ours == theirs
        return
    rows = {x.name: x for x in r.rows}
    for leaf in g["layers"]:  # every torchvision module, by its own name
        row = rows[leaf["name"]]
        assert row.trainable_params == leaf["params"], leaf
        shapes = [x["output_shape"] for x in g["layers"] if x["name"] == leaf["name"]]
        assert list(row.output_shape) in shapes, leaf  # a module called twice: either call


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_totals_equal_the_published_figures(name: str) -> None:
    params, p_step, macs, m_step, source = PUBLISHED[name]
    t = report_of(name).totals
    counted = t.trainable_params if "torchvision" in source or "Xception" in name else t.params
    if name == "xception":
        assert t.trainable_params == 22_855_952  # Chollet's Table 3, exactly
    assert round(counted / p_step) * p_step == pytest.approx(params), source
    assert round(t.macs / m_step) * m_step == pytest.approx(macs, rel=0.04), source
    assert source


def test_resnet50_v1_and_v15_macs() -> None:
    """v1 (Keras, the paper) strides the first 1x1 convolution of a down-sampling block; v1.5
    (torchvision) its 3x3, so the 1x1 runs on the larger map. Measured in torch: torchvision's
    ResNet-50 with the strides moved back gives exactly the Keras model's MACs."""
    v1, v15 = report_of("resnet50").totals.macs, report_of("resnet50_torchvision").totals.macs
    assert v1 == TORCH["resnet50_v1_torchvision"]["macs"] == KERAS["resnet50"]["macs"]
    assert v15 == TORCH["resnet50_torchvision"]["macs"]
    assert (v1, v15) == (3_857_973_248, 4_089_184_256)
    # by hand: in conv3..conv5's first block (input c_in channels, width w, output s x s) the
    # 1x1 reduction gives 2s x 2s instead of s x s; the 3x3 gives s x s in both
    diff = sum(
        3 * s * s * c_in * w for w, s, c_in in ((128, 28, 256), (256, 14, 512), (512, 7, 1024))
    )
    assert v15 - v1 == diff == 231_211_008


def test_resnet50_spec_is_under_80_lines() -> None:
    lines = (zoo.ZOO_DIR / "resnet50.yaml").read_text().splitlines()
    assert len(lines) < 80


def test_every_expected_value_in_the_zoo_holds() -> None:
    from convcalc.tools.check import check_spec

    for name in zoo.names():
        result = check_spec(load_spec(name))
        assert not result.failures and len(result.outcomes) >= 5, name


def test_the_shipped_specs_folder_agrees_with_the_zoo() -> None:
    """specs/ stays (README and tests use it): its VGG16, MobileNet v1 and inception (3a) are
    the zoo's networks written flat, layer for layer the same."""
    for flat, name in (
        ("vgg16", "vgg16"),
        ("mobilenet_v1", "mobilenet"),
        ("inception_3a", "inception_3a"),
    ):
        a = analyze(load_spec(ROOT / "specs" / f"{flat}.yaml"))
        b = report_of(name)
        assert [(x.name, x.kind, x.inputs, x.shape, x.params, x.macs) for x in a.rows] == [
            (x.name, x.kind, x.inputs, x.shape, x.params, x.macs) for x in b.rows
        ]


def _flat_resnet18() -> list[dict]:
    """ResNet-18 written out by hand, following torchvision's resnet.py (no blocks)."""
    conv = lambda name, out, k, s, p, src=None: {  # noqa: E731
        "Conv2d": {
            "name": name,
            "out_channels": out,
            "kernel_size": k,
            "stride": s,
            "padding": p,
            "bias": False,
            **({"inputs": src} if src else {}),
        }
    }
    layers = [
        conv("conv1", 64, 7, 2, 3),
        {"BatchNorm2d": {"name": "bn1"}},
        {"ReLU": {"name": "relu"}},
        {"MaxPool2d": {"name": "maxpool", "kernel_size": 3, "stride": 2, "padding": 1}},
    ]
    prev = "maxpool"
    for stage, planes in ((1, 64), (2, 128), (3, 256), (4, 512)):
        for b in range(2):
            n = f"layer{stage}.{b}"
            down = stage > 1 and b == 0
            layers += [
                conv(f"{n}.conv1", planes, 3, 2 if down else 1, 1),
                {"BatchNorm2d": {"name": f"{n}.bn1"}},
                {"ReLU": {"name": f"{n}.relu"}},
                conv(f"{n}.conv2", planes, 3, 1, 1),
                {"BatchNorm2d": {"name": f"{n}.bn2"}},
            ]
            shortcut = prev
            if down:
                layers += [
                    conv(f"{n}.downsample.0", planes, 1, 2, 0, prev),
                    {"BatchNorm2d": {"name": f"{n}.downsample.1"}},
                ]
                shortcut = f"{n}.downsample.1"
            layers += [
                {"Add": {"name": f"{n}.add", "inputs": [f"{n}.bn2", shortcut]}},
                {"ReLU": {"name": f"{n}.relu_1"}},
            ]
            prev = f"{n}.relu_1"
    layers += [
        {"AdaptiveAvgPool2d": {"name": "avgpool", "output_size": 1}},
        {"Flatten": {"name": "flatten"}},
        {"Linear": {"name": "fc", "out_features": 1000}},
    ]
    return layers


def test_resnet18_expands_to_the_hand_written_flat_graph(tmp_path: Path) -> None:
    flat = tmp_path / "resnet18_flat.yaml"
    doc = {"data_format": "channels_first", "input": [3, 224, 224], "layers": _flat_resnet18()}
    flat.write_text(yaml.safe_dump(doc, sort_keys=False))
    a, b = analyze(load_spec(flat)), report_of("resnet18")
    assert len(a.rows) == len(b.rows) == 70  # 1 + 4 stem + 8 blocks x 7 + 3 x 2 downsample + 3
    assert [(x.name, x.kind, x.inputs, x.shape, x.params, x.macs, x.weights) for x in a.rows] == [
        (x.name, x.kind, x.inputs, x.shape, x.params, x.macs, x.weights) for x in b.rows
    ]
    spec_a, spec_b = load_spec(flat), load_spec("resnet18")
    ignored = {"loc": None, "arg_locs": None, "given": None}

    def configuration(layer: Any) -> dict[str, Any]:
        """Every attribute, defaults included (an instance holds only the written values)."""
        return vars(layer) | {key: getattr(layer, key) for key in layer.args} | ignored

    for la, lb in zip(spec_a.layers[1:], spec_b.layers[1:]):
        assert configuration(la.layer) == configuration(lb.layer)


def test_zoo_specs_are_valid_against_the_json_schema() -> None:
    from convcalc.tools.schema import spec_schema
    from tests.unit.test_schema import valid

    schema = spec_schema()
    for name in zoo.names():
        assert valid(yaml.safe_load((zoo.ZOO_DIR / f"{name}.yaml").read_text()), schema), name
