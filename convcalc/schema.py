"""``convcalc schema``: the JSON Schema of the spec format, generated so that it cannot drift.

Everything comes from the code that validates specs: the layer kinds and their PyTorch aliases
from :data:`REGISTRY`, each argument's accepted values from its validator (the ``json_schema``
that :func:`convcalc.layers.base.json_schema` attaches), its doc and default from its
:class:`Arg`, and the top-level, ``expect:`` and ``budget:`` keys from the loader's
``TOP_KEYS``, ``EXPECT_KEYS``, ``EXPECT_LAYER_KEYS`` and ``BUDGET_KEYS`` (a key without a value
schema here raises, so adding a key to the loader without describing it fails the tests).

The schema declares draft 2020-12 but uses only keywords that draft-07 has too (``$ref`` to
``#/$defs/...`` is a plain JSON pointer), so yaml-language-server, which validates with
draft-07 rules, reads it as it is. Rules that need the layer graph (shapes, layer names in
``inputs``) are left to ``convcalc check``.
"""

from __future__ import annotations

import inspect
from typing import Any

from convcalc.layers import REGISTRY
from convcalc.layers.base import REQUIRED, Arg, Layer
from convcalc.report import DTYPE_BYTES
from convcalc.spec.loader import (
    BUDGET_KEYS, COMMON_KEYS, EXPECT_KEYS, EXPECT_LAYER_KEYS, QUANTITY_PATTERN, TOP_KEYS,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_POS = {"type": "integer", "minimum": 1}
_COUNT = {"type": "integer", "minimum": 0}
_SHAPE = {"type": "array", "items": _POS, "minItems": 1}
_PER_AXIS = {"anyOf": [_POS, {"type": "array", "items": _POS, "minItems": 1}]}


def _quantity(unit: str) -> dict[str, Any]:
    pattern = "^" + QUANTITY_PATTERN + ("B?" if unit else "") + r"\s*$"
    return {"anyOf": [_COUNT, {"type": "string", "pattern": pattern}]}


TOP = {
    "name": {"type": "string", "description": "model name (default: the file name)"},
    "description": {"type": "string"},
    "input": {**_SHAPE, "description": "one sample's shape, without the batch, e.g. "
              "[224, 224, 3] (channels_last) or [3, 224, 224] (channels_first)"},
    "data_format": {"enum": ["channels_last", "channels_first"], "default": "channels_last"},
    "model": {"enum": ["functional", "sequential"], "default": "functional",
              "description": "functional: Keras Model (InputLayer row shown); sequential: "
              "keras.Sequential"},
    "layers": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/layer"}},
    "expect": {"$ref": "#/$defs/expect"},
    "budget": {"$ref": "#/$defs/budget"},
}
COMMON = {
    "name": {"type": "string", "minLength": 1, "description": "unique layer name"},
    "inputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                               "minItems": 1}],
               "description": "names of the layers feeding this one (default: the previous "
               "layer)"},
    "trainable": {"type": "boolean", "default": True},
}
EXPECT = {
    "params": _COUNT, "trainable_params": _COUNT, "non_trainable_params": _COUNT,
    "macs": {**_COUNT, "description": "weight multiply-accumulates per sample"},
    "output_shape": _SHAPE,
    "layers": {"type": "object", "additionalProperties": {"$ref": "#/$defs/layer_expect"},
               "description": "expectations per layer name"},
}
EXPECT_LAYER = {
    "output_shape": _SHAPE, "params": _COUNT, "macs": _COUNT,
    "receptive_field": {**_PER_AXIS, "description": "receptive field size, one int for every "
                        "spatial axis or one per axis"},
}
BUDGET = {
    "max_params": {**_quantity(""), "description": "e.g. 140M (10^6) or 138357544"},
    "max_macs": {**_quantity(""), "description": "e.g. 16G"},
    "max_param_bytes": {**_quantity("B"), "description": "params x the dtype's size; e.g. "
                        "528MiB (2^20) or 554MB (10^6)"},
    "max_activation_bytes": {**_quantity("B"), "description": "the largest layer output, one "
                             "sample, at dtype"},
    "dtype": {"enum": list(DTYPE_BYTES), "default": "float32"},
    "max_receptive_field": _PER_AXIS,
    "min_receptive_field": _PER_AXIS,
}


def _table(keys: tuple[str, ...], schemas: dict[str, Any], where: str) -> dict[str, Any]:
    missing = [k for k in keys if k not in schemas]
    if missing:
        raise KeyError(f"no JSON schema for {where} key(s) {missing}: describe them in "
                       f"convcalc/schema.py")
    return {k: schemas[k] for k in keys}


def _default(arg: Arg) -> dict[str, Any]:
    value = arg.default
    if value is REQUIRED or value is None:
        return {}
    return {"default": value} if isinstance(value, (bool, int, float, str)) else {}


def _summary(cls: type[Layer]) -> str:
    doc = (inspect.getdoc(cls) or "").replace("``", "")
    return doc.split("\n\n")[0].replace("\n", " ")


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
            rules.append({"anyOf": [{"required": [n]} for n in names]} if arg.torch
                         else {"required": [key]})
    for key in COMMON_KEYS:
        props[key] = COMMON[key]
    schema: dict[str, Any] = {
        "description": _summary(cls),
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
            {"type": "object", "minProperties": 1, "maxProperties": 1,
             "properties": {n: {"$ref": f"#/$defs/{k}"} for n, k in sorted(names.items())},
             "additionalProperties": False},
        ],
    }
    defs: dict[str, Any] = {"layer": entry}
    defs.update({kind: layer_schema(REGISTRY[kind]) for kind in kinds})
    defs["expect"] = {"type": ["object", "null"], "additionalProperties": False,
                      "properties": _table(EXPECT_KEYS, EXPECT, "expect"),
                      "description": "exact values checked by `convcalc check`"}
    defs["layer_expect"] = {"type": "object", "additionalProperties": False,
                            "properties": _table(EXPECT_LAYER_KEYS, EXPECT_LAYER,
                                                 "expect.layers")}
    defs["budget"] = {"type": ["object", "null"], "additionalProperties": False,
                      "properties": _table(BUDGET_KEYS, BUDGET, "budget"),
                      "description": "upper (and lower) bounds checked by `convcalc check`"}
    return {
        "$schema": DRAFT,
        "title": "convcalc spec",
        "description": "A convolutional layer stack for convcalc (generated by `convcalc "
                       "schema` from its layer registry).",
        "type": "object",
        "properties": _table(TOP_KEYS, TOP, "top-level"),
        "required": ["layers"],
        "additionalProperties": False,
        "$defs": defs,
    }


def render_schema() -> str:
    import json
    return json.dumps(spec_schema(), indent=2) + "\n"
