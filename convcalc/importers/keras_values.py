"""What the Keras importer keeps of a config's values, reading the file, and the order of the
entries (:mod:`convcalc.importers.keras`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convcalc.importers.document import read_bytes
from convcalc.importers.files import json_source, keras_archive
from convcalc.spec.yaml_source import Source

MODELS = ("Functional", "Model", "Sequential")
DEFAULT_INITIALISERS = {"GlorotUniform", "Zeros", "Ones", "glorot_uniform", "zeros", "ones"}
# Lambda configs hold code (marshalled bytes) that a spec neither needs nor can run
DROPPED = {
    "Lambda": {
        "function",
        "function_type",
        "module",
        "arguments",
        "output_shape_type",
        "output_shape_module",
        "mask",
    },
}
SPATIAL_FORMAT_FREE = ("Flatten",)  # their data_format only orders a flatten


def read(path: str | Path, raw: bytes | None = None) -> Source:
    """The model config of the file at ``path`` (or of its bytes ``raw``, named ``path``)."""
    if Path(path).suffix.lower() == ".keras":
        return keras_archive(path, raw)
    if raw is None:
        raw = read_bytes(path, "Keras model (model.to_json())")
    return json_source(raw, str(path))


def is_float32(value: Any) -> bool:
    if value == "float32":
        return True
    return (
        isinstance(value, dict)
        and value.get("class_name") in ("DTypePolicy", "Policy")
        and isinstance(value.get("config"), dict)
        and value["config"].get("name") == "float32"
    )


def is_default_initialiser(value: Any) -> bool:
    if isinstance(value, str):
        return value in DEFAULT_INITIALISERS
    if not isinstance(value, dict) or not isinstance(value.get("class_name"), str):
        return False
    config = value.get("config") or {}
    return (
        value["class_name"] in DEFAULT_INITIALISERS
        and isinstance(config, dict)
        and all(v is None for v in config.values())
    )


def kept(kind: str, key: str, value: Any) -> bool:
    """Whether a config value goes into the spec (see the module's docstring)."""
    if value is None or key in DROPPED.get(kind, ()):
        return False
    if key == "trainable":
        return value is not True
    if key == "dtype":
        return not is_float32(value)
    if key.endswith("_initializer"):
        return not is_default_initialiser(value)
    return key not in ("sparse", "ragged", "optional") or value is not False


def topological(names: list[str], inputs: list[list[str]]) -> list[int]:
    """The items in config order, except that each comes after the entries it takes (a shared
    layer's later call can take a layer listed after the layer)."""
    index = {name: i for i, name in enumerate(names)}
    done: set[int] = set()
    order: list[int] = []

    def visit(i: int, stack: set[int]) -> None:
        if i in done or i in stack:
            return
        stack.add(i)
        for name in inputs[i]:
            j = index.get(name)
            if j is not None:
                visit(j, stack)
        stack.discard(i)
        done.add(i)
        order.append(i)

    for i in range(len(names)):
        visit(i, set())
    return order
