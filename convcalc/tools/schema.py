"""``convcalc schema``: the JSON Schema of the spec format, generated so that it cannot drift.

Everything comes from the code that validates specs: the layer kinds and their PyTorch aliases
from :data:`REGISTRY`, each argument's accepted values from its validator (the ``json_schema``
that :func:`convcalc.fields.json_schema` attaches), its doc and default from its
:class:`~convcalc.fields.Arg`, and the top-level, ``expect:`` and ``budget:`` keys from the
tables the loader validates with (:mod:`convcalc.spec.document`).

The schema declares draft 2020-12 but uses only keywords that draft-07 has too (``$ref`` to
``#/$defs/...`` is a plain JSON pointer), so yaml-language-server, which validates with
draft-07 rules, reads it as it is. Rules that need the layer graph (shapes, layer names in
``inputs``) are left to ``convcalc check``.
"""

from __future__ import annotations

import json
from typing import Any

from convcalc.fields import REQUIRED, Arg
from convcalc.layers import REGISTRY, Layer
from convcalc.spec.document import (
    BLOCK,
    BUDGET,
    COMMON,
    EXPECT,
    EXPECT_LAYER,
    TOP,
    key_schema,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _table(table: dict[str, Arg]) -> dict[str, Any]:
    return {key: key_schema(arg) for key, arg in table.items()}


def _default(arg: Arg) -> dict[str, Any]:
    value = arg.default
    if value is REQUIRED or value is None:
        return {}
    return {"default": value} if isinstance(value, (bool, int, float, str)) else {}


def layer_schema(cls: type[Layer]) -> dict[str, Any]:
    """One kind's arguments: Keras names, PyTorch aliases, common keys; nothing else."""
    props: dict[str, Any] = {}
    rules: list[dict[str, Any]] = []
    for key, arg in cls.args.items():
        accepted = getattr(arg.parse, "json_schema", {})
        props[key] = {**accepted, "description": arg.doc, **_default(arg)}
        names = [key]
        if arg.torch:
            props[arg.torch] = {**accepted, "description": f"PyTorch spelling of {key}"}
            names.append(arg.torch)
            rules.append({"not": {"required": names}})  # one spelling only
        if arg.required:
            rules.append(
                {"anyOf": [{"required": [n]} for n in names]} if arg.torch else {"required": [key]}
            )
    props.update(COMMON)
    schema: dict[str, Any] = {
        "description": cls.summary(),
        "type": "object" if any(a.required for a in cls.args.values()) else ["object", "null"],
        "properties": props,
        "additionalProperties": False,
    }
    if rules:
        schema["allOf"] = rules
    return schema


def spec_schema() -> dict[str, Any]:
    """The whole JSON Schema document."""
    kinds = sorted(REGISTRY)
    names = {k: k for k in kinds}
    for kind, cls in REGISTRY.items():
        names.update({alias: kind for alias in cls.aliases})
    entry = {
        "description": "- Kind: {arguments}  (Keras class names; PyTorch names accepted)",
        "anyOf": [
            {"enum": sorted(names), "description": "a kind with default arguments"},
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "properties": {n: {"$ref": f"#/$defs/{k}"} for n, k in sorted(names.items())},
                "additionalProperties": False,
            },
        ],
    }
    # an entry of layers: a layer, or (in a spec that has blocks:) a use of one of its blocks:
    # one key that is not a layer kind
    use = {
        "anyOf": [
            {"$ref": "#/$defs/layer"},
            {
                "description": "- block_name: {arguments}  (a block of the spec's blocks:)",
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": {"type": ["object", "null"]},
                "not": {"anyOf": [{"required": [n]} for n in sorted(names)]},
            },
        ]
    }
    defs: dict[str, Any] = {"layer": entry, "entry": use}
    defs["blocks"] = {
        "type": ["object", "null"],
        "additionalProperties": {"$ref": "#/$defs/block"},
        "description": "parameterised groups of layers, used in layers: like a layer kind",
    }
    defs["block"] = {
        "type": "object",
        "required": ["layers"],
        "additionalProperties": False,
        "properties": BLOCK,
    }
    defs["block_layer"] = {
        "description": "- Kind: {arguments} or - block_name: {arguments}, with $substitutions",
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": {"type": ["object", "null"]},
            },
        ],
    }
    defs.update({kind: layer_schema(REGISTRY[kind]) for kind in kinds})
    defs["expect"] = {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": _table(EXPECT),
        "description": "exact values checked by `convcalc check`",
    }
    defs["layer_expect"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": _table(EXPECT_LAYER),
    }
    defs["budget"] = {
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": _table(BUDGET),
        "description": "upper (and lower) bounds checked by `convcalc check`",
    }
    return {
        "$schema": DRAFT,
        "title": "convcalc spec",
        "description": "A convolutional layer stack for convcalc (generated by `convcalc "
        "schema` from its layer registry).",
        "type": "object",
        "properties": _table(TOP),
        "required": ["layers"],
        "additionalProperties": False,
        # without blocks:, every entry of layers: is a layer kind
        "anyOf": [
            {"required": ["blocks"]},
            {"properties": {"layers": {"items": {"$ref": "#/$defs/layer"}}}},
        ],
        "$defs": defs,
    }


def render_schema() -> str:
    return json.dumps(spec_schema(), indent=2) + "\n"
