"""Spec dataclasses: what the loader produces and the engine consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from convcalc.errors import LayerError, Location, Problem
from convcalc.layers.base import Layer
from convcalc.spec.yaml_source import Path, Source


@dataclass(slots=True)  # a 100,000-layer spec has 100,000 of them
class LayerSpec:
    """One entry of the layer list, validated: the layer object plus its place in the graph."""

    index: int  # position in the expanded layer list (-1 for the implicit input)
    kind: str  # canonical Keras class name
    name: str
    layer: Layer
    inputs: list[str]
    loc: Location
    trainable: bool = True
    written_kind: str = ""  # the spelling the user wrote (e.g. Conv2d)
    path: Path = ()  # where its entry is written in the YAML document, e.g. ("layers", 3)
    use: Path = ()  # the top-level layers entry it came from (a block use, or path itself)
    blocks: tuple[tuple[str, str], ...] = ()  # enclosing block uses: (use name, block name)
    via: str = ""  # ", in block 'b' used at file:line" (empty outside blocks)
    args: dict[str, Any] = field(default_factory=dict)  # as expanded: substituted, inputs resolved
    shares: str = ""  # the earlier layer this entry calls again (a shared layer: counted there)
    group: tuple[str, ...] = ()  # (model, class) of the nested model it belongs to
    functional: bool = False  # PyTorch computes it with a function, not a module

    @property
    def is_input(self) -> bool:
        return self.layer.is_input

    def describe(self) -> str:
        where = f"layers[{self.index}] " if self.index >= 0 else ""
        return f"{where}'{self.name}' ({self.kind}){self.via}"

    def problem(self, err: LayerError) -> Problem:
        """A layer's error as a problem located at the argument it names (else the layer)."""
        at = self.layer.arg_locs.get(err.arg or "", self.loc)
        return Problem(at, err.message, self.describe(), err.hint)


@dataclass
class Spec:
    """A whole architecture: input, layers in order (the input layers first), expectations."""

    file: str
    name: str
    data_format: str
    model: str  # "functional" (InputLayer row shown) or "sequential"
    layers: list[LayerSpec]
    source: Source
    expect: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @property
    def channels_first(self) -> bool:
        return self.data_format == "channels_first"
