"""Spec dataclasses: what the loader produces and the engine consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convcalc.errors import Location
from convcalc.layers.base import Layer
from convcalc.spec.yaml_source import Source


@dataclass
class LayerSpec:
    """One entry of the layer list, validated: the layer object plus its place in the graph."""

    index: int                 # position in the spec's list (-1 for the implicit input)
    kind: str                  # canonical Keras class name
    name: str
    layer: Layer
    inputs: list[str]
    loc: Location
    trainable: bool = True
    written_kind: str = ""     # the spelling the user wrote (e.g. Conv2d)

    def describe(self) -> str:
        where = f"layers[{self.index}] " if self.index >= 0 else ""
        return f"{where}'{self.name}' ({self.kind})"


@dataclass
class Spec:
    """A whole architecture: input, layers in order (the input layers first), expectations."""

    file: str
    name: str
    data_format: str
    model: str                 # "functional" (InputLayer row shown) or "sequential"
    layers: list[LayerSpec]
    source: Source
    expect: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def channels_first(self) -> bool:
        return self.data_format == "channels_first"
