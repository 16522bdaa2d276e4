"""`convcalc schema`: the JSON Schema is generated from the registry and agrees with the loader.

jsonschema is not a dependency: a small validator for exactly the keywords the schema uses is
written here (a test makes sure the schema uses no other keyword).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from convcalc.analysis import parse_spec
from convcalc.cli import app
from convcalc.errors import ArgError, SpecError
from convcalc.layers import ALIASES, REGISTRY
from convcalc.spec.document import (
    BUDGET_KEYS,
    COMMON_KEYS,
    EXPECT_KEYS,
    EXPECT_LAYER_KEYS,
    TOP_KEYS,
)
from convcalc.tools.schema import spec_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = spec_schema()
KEYWORDS = {
    "$schema",
    "title",
    "description",
    "default",
    "$defs",
    "$ref",
    "type",
    "enum",
    "const",
    "properties",
    "additionalProperties",
    "required",
    "minProperties",
    "maxProperties",
    "items",
    "minItems",
    "maxItems",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "minLength",
    "pattern",
    "anyOf",
    "allOf",
    "not",
}
TYPES = {"object": dict, "array": list, "string": str, "null": type(None), "boolean": bool}


def is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def valid(value: Any, schema: dict[str, Any], root: dict[str, Any] = SCHEMA) -> bool:
    """JSON Schema validation for the keywords in KEYWORDS (JSON's true is not an integer)."""
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        if not valid(value, node, root):
            return False
    types = schema.get("type")
    if types is not None:
        if not any(is_type(value, t) for t in ([types] if isinstance(types, str) else types)):
            return False
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        return False
    if "const" in schema and not (
        value == schema["const"] and type(value) is type(schema["const"])
    ):
        return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key, sub in value.items():
            if key in props:
                if not valid(sub, props[key], root):
                    return False
            elif schema.get("additionalProperties") is False:
                return False
            elif isinstance(schema.get("additionalProperties"), dict):
                if not valid(sub, schema["additionalProperties"], root):
                    return False
        if any(k not in value for k in schema.get("required", [])):
            return False
        if not schema.get("minProperties", 0) <= len(value) <= schema.get("maxProperties", 10**9):
            return False
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 10**9):
            return False
        if "items" in schema and not all(valid(v, schema["items"], root) for v in value):
            return False
    if is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return False
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
    if "anyOf" in schema and not any(valid(value, s, root) for s in schema["anyOf"]):
        return False
    if "allOf" in schema and not all(valid(value, s, root) for s in schema["allOf"]):
        return False
    return not ("not" in schema and valid(value, schema["not"], root))


def keywords(node: Any, under_properties: bool = False) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, sub in node.items():
            if not under_properties:
                found.add(key)
            found |= keywords(sub, key in ("properties", "$defs") and not under_properties)
    elif isinstance(node, list):
        for sub in node:
            found |= keywords(sub)
    return found


def test_uses_only_keywords_the_test_validator_knows() -> None:
    assert keywords(SCHEMA) <= KEYWORDS


def test_cli_prints_the_schema() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc == json.loads(json.dumps(SCHEMA))
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_kind_and_alias_is_in_the_schema() -> None:
    entry = SCHEMA["$defs"]["layer"]["anyOf"]
    names = set(REGISTRY) | set(ALIASES)
    assert set(entry[0]["enum"]) == names
    assert set(entry[1]["properties"]) == names
    for alias, kind in ALIASES.items():
        assert entry[1]["properties"][alias] == {"$ref": f"#/$defs/{kind}"}
    for kind, cls in REGISTRY.items():
        props = SCHEMA["$defs"][kind]["properties"]
        torch = {a.torch for a in cls.args.values() if a.torch}
        assert set(props) == set(cls.args) | torch | set(COMMON_KEYS), kind
        for key, arg in cls.args.items():
            assert props[key]["description"] == arg.doc


def test_sections_follow_the_loader_keys() -> None:
    assert tuple(SCHEMA["properties"]) == TOP_KEYS
    assert tuple(SCHEMA["$defs"]["expect"]["properties"]) == EXPECT_KEYS
    assert tuple(SCHEMA["$defs"]["layer_expect"]["properties"]) == EXPECT_LAYER_KEYS
    assert tuple(SCHEMA["$defs"]["budget"]["properties"]) == BUDGET_KEYS


@pytest.mark.parametrize("path", sorted((ROOT / "specs").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_specs_are_valid(path: Path) -> None:
    assert valid(yaml.safe_load(path.read_text()), SCHEMA)


BASE = {"input": [32, 32, 3], "layers": [{"Conv2D": {"filters": 8, "kernel_size": 3}}]}


def with_layer(layer: Any) -> dict[str, Any]:
    return {**BASE, "layers": [layer]}


@pytest.mark.parametrize(
    ("doc", "ok"),
    [
        (BASE, True),
        (with_layer("Flatten"), True),
        (with_layer({"Flatten": None}), True),
        (
            with_layer(
                {"Conv2d": {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1}}
            ),
            True,
        ),
        (with_layer({"Conv2D": {"filters": 8, "kernel_size": 3, "padding": "SAME"}}), True),
        (with_layer({"Conv2D": {"filters": 8, "kernel_size": [3, 3, 3]}}), False),  # 2 axes
        (with_layer({"Conv2D": {"filters": 8, "kernel_sise": 3}}), False),  # typo
        (with_layer({"Conv2D": {"kernel_size": 3}}), False),  # filters missing
        (with_layer({"Conv2D": None}), False),
        (with_layer({"Conv2D": {"filters": 8, "out_channels": 8, "kernel_size": 3}}), False),
        (with_layer({"Conv2D": {"filters": 8, "kernel_size": 3, "padding": "full"}}), False),
        (with_layer({"Conv2D": {"filters": 8, "kernel_size": 3, "activation": "relu6"}}), True),
        (with_layer({"Conv2D": {"filters": 8, "kernel_size": 3, "activation": "relu7"}}), False),
        (with_layer({"Conv3x3": {"filters": 8}}), False),
        (with_layer({"Conv2D": {"filters": 8, "kernel_size": 3}, "Flatten": None}), False),
        ({**BASE, "inputs": [1, 2]}, False),
        ({**BASE, "data_format": "NHWC"}, False),
        ({**BASE, "expect": {"params": 224, "layers": {"conv2d": {"receptive_field": 3}}}}, True),
        ({**BASE, "expect": {"parms": 224}}, False),
        ({**BASE, "expect": None}, True),
        (
            {**BASE, "budget": {"max_macs": "16G", "max_param_bytes": "512MiB", "dtype": "int8"}},
            True,
        ),
        ({**BASE, "budget": {"max_macs": "16GB"}}, False),  # B only on byte budgets
        ({**BASE, "budget": {"max_param_bytes": "lots"}}, False),
        ({**BASE, "budget": {"dtype": "float8"}}, False),
    ],
)
def test_schema_and_loader_agree(doc: dict[str, Any], ok: bool) -> None:
    assert valid(doc, SCHEMA) == ok
    try:
        parse_spec(yaml.safe_dump(doc), "s.yaml")
        loaded = True
    except SpecError:
        loaded = False
    assert loaded == ok


PROBES = [
    0,
    1,
    2,
    -1,
    0.5,
    True,
    None,
    "valid",
    "same",
    "SAME",
    "causal",
    "relu",
    "x",
    "",
    "channels_first",
    "nearest",
    [1, 1],
    [2, 3],
    [1, 1, 1],
    [0, 0],
    [[1, 1], [0, 2]],
    [[1, 1], [0, 2], [1, 1]],
    [1],
    [[1, 2]],
    [-1, 4],
    [1, [0, 2]],
    [[0, 2], 1, 1],
    {},
]


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_each_argument_schema_accepts_what_its_validator_accepts(kind: str) -> None:
    cls = REGISTRY[kind]
    defs = SCHEMA["$defs"][kind]["properties"]
    for key, arg in cls.args.items():
        if key == "padding_mode":  # free text checked later by the layer (validate())
            continue
        for probe in PROBES:
            if probe is True and arg.default == 1 and key == "start_dim":
                continue  # choice(1) takes True (True == 1 in Python); the schema refuses it
            try:
                arg.parse(probe)
                accepted = True
            except ArgError:
                accepted = False
            assert valid(probe, defs[key]) == accepted, (kind, key, probe)
