"""Every counting convention against what the real tool printed, measured once on torchvision's
VGG16, ResNet-18, ResNet-50 and MobileNetV2 and on three single layers (tests/golden/
conventions.json, scripts/golden/make_conventions.py: torchinfo 1.8.0, fvcore 0.1.5, thop
0.1.1, ptflops 0.7.5 with its default backend, calflops 0.3.2, FlopCounterMode of torch
2.14.1): totals exactly, and layer by layer wherever the tool reports one number per module.
"""

from __future__ import annotations

from collections import Counter

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.analysis.conventions import convention, default_for
from convcalc.report import Report
from tests.conftest import CONVENTION_SPECS as SPECS
from tests.conftest import ROOT, load_golden_json

GOLDEN = load_golden_json("conventions.json")["models"]
TOTAL = {  # the tool's own total of one forward pass, as it returns it
    "torchinfo": "total_mult_adds",
    "fvcore": "total",
    "thop": "macs",
    "ptflops": "macs",
    "calflops": "flops",
    "flopcounter": "flops",
}
_REPORTS: dict[str, Report] = {}


def report(model: str) -> Report:
    if model not in _REPORTS:
        _REPORTS[model] = analyze(load_spec(ROOT / SPECS[model]))
    return _REPORTS[model]


CASES = [(m, t) for m in SPECS for t in TOTAL]


@pytest.mark.parametrize(("model", "tool"), CASES)
def test_total_is_the_tools(model: str, tool: str) -> None:
    golden = GOLDEN[model][tool]
    c = convention(tool)
    if "error" in golden:  # the tool stops: convcalc says so instead of a number
        assert c.refuses(report(model))
        assert golden["error"].startswith("StopIteration")
        return
    assert not c.refuses(report(model))
    assert c.total(report(model)) == golden[TOTAL[tool]]


@pytest.mark.parametrize("model", list(SPECS))
def test_parameters_are_pytorchs(model: str) -> None:
    """Every PyTorch tool counts parameters without the buffers (BatchNorm's running
    statistics); the Keras convention counts them as non-trainable."""
    r = report(model)
    g = GOLDEN[model]
    for tool in ("torchinfo", "fvcore", "thop", "ptflops"):
        assert convention(tool).params(r)[0] == g["params"]
    assert g["torchinfo"]["total_params"] == g["params"]
    assert g["fvcore"]["params"] == g["thop"]["params"] == g["ptflops"]["params"] == g["params"]
    stats = sum(row.buffers for row in r.rows)
    assert stats + sum(row.torch_buffers for row in r.rows) == g["buffers"]
    assert convention("keras").params(r)[0] == g["params"] + stats


def test_resnet18_in_each_convention() -> None:
    """The issue's example: PyTorch and every peer print 11,689,512, Keras's view 11,699,112."""
    r = report("resnet18")
    assert convention("torch").params(r)[0] == 11_689_512
    assert convention("keras").params(r)[0] == 11_699_112
    assert default_for(r) == "torch"
    assert default_for(analyze(load_spec(ROOT / "specs/vgg16.yaml"))) == "keras"


@pytest.mark.parametrize("model", list(SPECS))
def test_flopcounter_backward(model: str) -> None:
    """FlopCounterMode's backward of out.sum(): no input gradient for the first layer, and the
    weight gradient of a grouped convolution counted groups times (MobileNetV2: 19x)."""
    c = convention("flopcounter")
    got = sum(t.value for r in report(model).rows for t in c.backward(r))  # type: ignore[attr-defined]
    assert got == GOLDEN[model]["flopcounter"]["backward_flops"]


@pytest.mark.parametrize("model", [m for m in SPECS if "error" not in GOLDEN[m]["calflops"]])
def test_calflops_macs(model: str) -> None:
    c = convention("calflops")
    assert sum(c.macs(r) for r in report(model).rows) == GOLDEN[model]["calflops"]["macs"]  # type: ignore[attr-defined]


def _by_name(model: str) -> dict[str, object]:
    return {r.name: r for r in report(model).rows}


@pytest.mark.parametrize("model", list(SPECS))
def test_torchinfo_per_layer(model: str) -> None:
    """Each leaf module's mult-adds (a module called several times, ResNet's relu, is listed
    once a call: compared where the name is unique)."""
    layers = GOLDEN[model]["torchinfo"]["layers"]
    seen = Counter(layer["name"] for layer in layers)
    rows = _by_name(model)
    c = convention("torchinfo")
    checked = 0
    for layer in layers:
        if seen[layer["name"]] == 1:
            assert c.count(rows[layer["name"]]) == layer["macs"], layer["name"]  # type: ignore[arg-type]
            checked += 1
    assert checked >= min(len(layers), 1)


@pytest.mark.parametrize(
    ("model", "tool"), [(m, t) for m in SPECS for t in ("fvcore", "thop", "flopcounter")]
)
def test_per_module(model: str, tool: str) -> None:
    """fvcore's by_module(), thop's per-layer total_ops and FlopCounterMode's per-module
    counts, leaf by leaf (a leaf convcalc has no row for counts nothing)."""
    golden = GOLDEN[model][tool]["by_module"]
    rows = _by_name(model)
    c = convention(tool)
    calls = Counter(r.name.rsplit("_", 1)[0] for r in report(model).rows)
    for name, value in golden.items():
        if name in rows and calls.get(name, 1) == 1:
            assert c.count(rows[name]) == value, name  # type: ignore[arg-type]


@pytest.mark.parametrize("model", list(SPECS))
def test_ptflops_per_module(model: str) -> None:
    """ptflops: each module's own hook count, and the patched functionals apart (the same
    ReLU and pooling elements once more)."""
    golden = GOLDEN[model]["ptflops"]
    c = convention("ptflops")
    hooks = functional = 0
    for r in report(model).rows:
        for t in c.terms(r):
            if t.what.startswith("patched"):
                functional += t.value
            else:
                hooks += t.value
    assert functional == golden["functional"]
    assert hooks == sum(golden["by_module"].values())


@pytest.mark.parametrize("model", list(SPECS))
def test_torchinfo_sizes(model: str) -> None:
    """torchinfo's byte counts behind Input size / Forward/backward pass size / Params size."""
    g = GOLDEN[model]["torchinfo"]
    sizes = convention("torchinfo").sizes(report(model), 1, 4)  # type: ignore[attr-defined]
    assert sizes == {
        "input": g["total_input"],
        "forward_backward": g["total_output_bytes"],
        "params": g["total_param_bytes"],
    }


@pytest.mark.parametrize("model", ["vgg16", "mobilenet_v2"])
def test_new_zoo_specs_layer_for_layer(model: str) -> None:
    """vgg16_torchvision and mobilenet_v2_torchvision: every torchvision leaf module's class,
    output shape and parameters."""
    rows = _by_name(model)
    for layer in GOLDEN[model]["torchinfo"]["layers"]:
        r = rows[layer["name"]]
        assert r.torch.cls == layer["class"], layer["name"]  # type: ignore[attr-defined]
        assert [1, *r.output_shape] == layer["output_size"], layer["name"]  # type: ignore[attr-defined]
        assert r.torch_params == layer["params"], layer["name"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["keras", "torch"])
def test_convcalcs_own_total_is_the_sum_of_its_layers_counts(name: str) -> None:
    # Convention.total takes the report's MACs for convcalc's own conventions; the readable
    # sum of every layer's count is the same number
    c = convention(name)
    for spec in ["resnet50", "densenet121", "mobilenet_v2_torchvision", "text_cnn"]:
        report = analyze(load_spec(spec))
        for batch in (1, 3):
            assert c.total(report, batch) == sum(c.count(r, batch) for r in report.rows)
