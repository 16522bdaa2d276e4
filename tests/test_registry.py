"""Keeps "adding a layer kind is one class" honest: every registered kind is documented,
has arguments that parse their own defaults, and is exercised by a test case."""

from __future__ import annotations

import inspect

import pytest

from convcalc.layers import ALIASES, REGISTRY
from tests.conftest import load_golden_json
from tests.test_layers_hand import HAND


def _tested_kinds() -> set[str]:
    kinds = {next(iter(c["layer"])) for c in load_golden_json("layer_cases.json")["cases"]}
    kinds |= {ALIASES.get(c[1], c[1]) for c in HAND}
    kinds |= {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
              "InputLayer", "Reshape", "Flatten"}       # test_layers_hand's spec-level tests
    return kinds


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_is_documented_and_tested(kind):
    cls = REGISTRY[kind]
    doc = cls.documentation()
    for word in ("Shape", "Params", "MACs"):
        assert word in doc, f"{kind}'s docstring lacks its {word} formula"
    assert kind in _tested_kinds(), f"{kind} has no test case"


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_aliases_and_defaults_are_consistent(kind):
    cls = REGISTRY[kind]
    torch_names = [a.torch for a in cls.args.values() if a.torch]
    assert len(torch_names) == len(set(torch_names))
    assert not set(torch_names) & set(cls.args)
    for name, arg in cls.args.items():
        if not arg.required and arg.default is not None:
            arg.parse(arg.default)       # a default must pass its own validator
