"""The layer contract, checked for every registered kind, so that "adding a layer kind is one
class" stays true: documented; a framework golden or hand case exists; a receptive-field step
is declared and answers; forward on a seeded input gives the analytic shape; every weight
converts to PyTorch's layout and back; the schema and the README list it; its compare role is
consistent. The ops' name tables agree with the layers' (activation names, padding modes).
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import LayerError
from convcalc.layers import ALIASES, REGISTRY
from convcalc.layers.base import Layer, RFStep
from convcalc.runtime import weights
from tests.conftest import ROOT, load_golden_json
from tests.layers.test_hand import HAND

# kinds that take several inputs, or that the goldens cannot give one layer at a time
MULTI = {
    "Add": ({}, [[4, 4, 3], [4, 4, 3]]),
    "Subtract": ({}, [[4, 4, 3], [4, 4, 3]]),
    "Multiply": ({}, [[4, 4, 3], [4, 4, 3], [4, 4, 3]]),
    "Average": ({}, [[5, 2], [5, 2]]),
    "Maximum": ({}, [[3, 3, 2], [3, 3, 2]]),
    "Minimum": ({}, [[3, 3, 2], [3, 3, 2]]),
    "Concatenate": ({}, [[4, 4, 3], [4, 4, 5]]),
    "Reshape": ({"target_shape": [-1, 6]}, [[4, 3, 2]]),
    "Flatten": ({}, [[4, 3, 2]]),
    "InputLayer": ({"shape": [4, 4, 3]}, []),
}
Case = tuple[str, dict, list[list[int]], str]


def _cases() -> dict[str, list[Case]]:
    """Per kind: (written kind, args, input shapes, data_format) from every golden and hand
    case."""
    found: dict[str, list[Case]] = {}
    for name in ("layer_cases.json", "new_kinds.json", "deformable.json", "zoo_kinds.json"):
        for c in load_golden_json(name)["cases"]:
            if "error" in c or 0 in c["output"]:  # (PyTorch's empty outputs: refused)
                continue
            ((kind, args),) = c["layer"].items()
            found.setdefault(ALIASES.get(kind, kind), []).append(
                (kind, args, [c["input"]], c["data_format"])
            )
    for _, kind, args, shape, fmt, *_ in HAND:
        found.setdefault(ALIASES.get(kind, kind), []).append((kind, args, [shape], fmt))
    for kind, (args, shapes) in MULTI.items():
        found.setdefault(kind, []).append((kind, args, shapes, "channels_last"))
    return found


CASES = _cases()


def build(kind: str, args: dict, shapes: list[list[int]], fmt: str):
    """The spec of one layer fed by len(shapes) inputs -> (spec, report)."""
    names = [f"in{i}" for i in range(len(shapes))]
    layers = [{"InputLayer": {"name": n, "shape": list(s)}} for n, s in zip(names, shapes)]
    layers.append({kind: {**args, "inputs": names} if names else dict(args)})
    doc = {"data_format": fmt, "layers": layers}
    spec = parse_spec(yaml.safe_dump(doc, sort_keys=False), "contract.yaml")
    return spec, analyze(spec)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_documented(kind: str) -> None:
    doc = REGISTRY[kind].documentation()
    for word in ("Shape", "Params", "MACs"):
        assert word in doc, f"{kind}'s documentation lacks its {word} formula"
    assert REGISTRY[kind].__doc__, f"{kind} has no docstring of its own"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_has_a_framework_or_hand_case(kind: str) -> None:
    assert CASES.get(kind), f"{kind} has no golden or hand case"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_declares_its_receptive_field_step(kind: str) -> None:
    cls = REGISTRY[kind]
    owners = [c for c in cls.__mro__ if "rf_step" in c.__dict__]
    assert owners[0] is not Layer, f"{kind} inherits Layer.rf_step: say what it does to a field"
    spec, report = build(*CASES[kind][0])
    ls = spec.layers[-1]
    if ls.is_input:
        return
    step = ls.layer.rf_step([s for s in report.rows[-1].in_shapes])
    assert isinstance(step, RFStep.__args__), step  # type: ignore[attr-defined]
    assert report.rows[-1].field is not None


@pytest.mark.parametrize("kind", sorted(k for k in REGISTRY if not REGISTRY[k].is_input))
def test_forward_gives_the_analytic_shape(kind: str) -> None:
    ran = 0
    for case in CASES[kind][:8]:
        spec, report = build(*case)
        row, ls = report.rows[-1], spec.layers[-1]
        rng = np.random.default_rng(0)
        xs = [rng.standard_normal((2,) + r.shape, dtype=np.float32) for r in report.rows[:-1]]
        params = weights.build([(ls, list(row.weights))], 0, None, "keras", False)[ls.name]
        if row.incomplete:  # a kind convcalc cannot analyse says so, and refuses to run
            with pytest.raises(LayerError, match="cannot execute"):
                ls.layer.forward(xs, params)
            ran += 1
            continue
        try:
            y = ls.layer.forward(xs, params)
        except LayerError:
            continue  # a configuration --run refuses with a message (e.g. bicubic)
        assert y.shape == (2,) + row.shape and y.dtype == np.float32, case
        ran += 1
    assert ran, f"no case of {kind} runs"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_weights_round_trip_through_the_torch_layout(kind: str) -> None:
    rng = np.random.default_rng(1)
    for case in CASES[kind][:8]:
        _, report = build(*case)
        ws = report.rows[-1].weights
        assert len({w.torch_name for w in ws}) == len(ws)
        for w in ws:
            assert w.torch_name, f"{kind}.{w.name} has no PyTorch name"
            a = rng.standard_normal(w.shape).astype(np.float32)
            t = w.to_torch(a)
            assert tuple(t.shape) == w.torch_shape and t.size == w.size
            assert np.array_equal(np.ascontiguousarray(w.from_torch(np.ascontiguousarray(t))), a)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_schema_and_readme_list_it(kind: str) -> None:
    from convcalc.tools.schema import spec_schema

    schema = spec_schema()
    assert kind in schema["$defs"]
    for alias in REGISTRY[kind].aliases:
        assert schema["$defs"]["layer"]["anyOf"][1]["properties"][alias] == {
            "$ref": f"#/$defs/{kind}"
        }
    assert f"\n{kind} " in (ROOT / "README.md").read_text(), "README's `convcalc layers` block"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_compare_role_is_consistent(kind: str) -> None:
    role = REGISTRY[kind].compare_role
    if role is None:
        return
    assert role.rewrites <= {"separable", "grouped", "bottleneck"}
    assert role.skip or role.rewrites == {"separable", "grouped", "bottleneck"}
    if "separable" in role.rewrites:
        assert role.separable in REGISTRY
    if "bottleneck" in role.rewrites:
        assert role.pointwise in REGISTRY


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_aliases_and_defaults_are_consistent(kind: str) -> None:
    cls = REGISTRY[kind]
    torch_names = [a.torch for a in cls.args.values() if a.torch]
    assert len(torch_names) == len(set(torch_names))
    assert not set(torch_names) & set(cls.args)
    for arg in cls.args.values():
        if not arg.required and arg.default is not None:
            arg.parse(arg.default)  # a default must pass its own validator
        if arg.default_for(True) not in (None, arg.default):
            arg.parse(arg.default_for(True))


def test_ops_know_exactly_the_layers_names() -> None:
    from convcalc.layers.common import ACTIVATIONS, AXISWISE_ACTIVATIONS, PADDING_MODES
    from convcalc.ops import activations, windows

    known = (
        set(activations.ELEMENTWISE) | set(activations.ALONG_AXIS) | set(activations.UNSUPPORTED)
    )
    assert known == set(ACTIVATIONS)
    assert set(activations.ALONG_AXIS) == set(AXISWISE_ACTIVATIONS)
    assert set(windows.PAD_MODES) == set(PADDING_MODES)


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_an_unwritten_argument_is_its_spellings_default(kind: str) -> None:
    """Defaults live on the class (Keras's) and, for a layer written in PyTorch's spelling,
    in the layer where PyTorch's differ: each layer sees its own spelling's default, whichever
    spelling came first."""
    cls = REGISTRY[kind]
    for spelling in (*cls.aliases, cls.kind, *cls.aliases):
        torch = spelling in cls.aliases
        layer = object.__new__(cls)
        Layer.__init__(layer, {}, spelling=spelling)
        changed = set(cls.__dict__["_torch_changes"].items()) if torch else set()
        for key, arg in cls.args.items():
            if any(
                key in base.__dict__
                for base in cls.__mro__[1:]
                if key not in base.__dict__.get("_installed", ())
            ):
                continue  # a name the class defines for itself
            if key in layer.__dict__ and (key, layer.__dict__[key]) not in changed:
                continue  # derived from other arguments (pooling: strides = pool_size)
            default = arg.default_for(torch)
            want = None if default is None or arg.required else arg.parse(default)
            got = getattr(layer, key)
            assert got == want and type(got) is type(want), (spelling, key, got, want)


def test_pytorch_and_keras_batchnorm_defaults_side_by_side() -> None:
    # PyTorch: BatchNorm2d(eps=1e-05, momentum=0.1); Keras: BatchNormalization(epsilon=0.001,
    # momentum=0.99) (both libraries' documented signatures)
    spec = parse_spec(
        "input: [4, 4, 3]\nlayers:\n  - BatchNorm2d: {}\n  - BatchNormalization: {}\n"
        "  - BatchNorm2d: {}\n",
        "t.yaml",
    )
    eps = [(ls.layer.epsilon, ls.layer.momentum) for ls in spec.layers[1:]]
    assert eps == [(1e-05, 0.1), (0.001, 0.99), (1e-05, 0.1)]
