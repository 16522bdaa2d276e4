"""Report / LayerRow / Totals: the numbers convcalc computes, as ints and tuples, no strings.

Renderers turn a Report into text; the runtime and the checks read it. Shapes here are per
sample (no batch) in the spec's data_format, as the user wrote the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from convcalc.errors import Location
from convcalc.layers.base import Shape, Weight

DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    inputs: tuple[str, ...]
    output_shape: Shape                  # per sample, in the spec's data_format
    input_shapes: tuple[Shape, ...]
    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    weights: tuple[Weight, ...] = ()
    loc: Location = field(default=Location("<spec>"), compare=False)
    index: int = -1

    @property
    def output_elements(self) -> int:
        n = 1
        for x in self.output_shape:
            n *= x
        return n


@dataclass(frozen=True)
class Totals:
    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int

    @property
    def flops(self) -> int:
        """FLOPs = 2·MACs (one multiply and one add each)."""
        return 2 * self.macs

    def param_bytes(self, dtype: str = "float32") -> int:
        return self.params * DTYPE_BYTES[dtype]


@dataclass(frozen=True)
class Report:
    name: str
    file: str
    data_format: str
    model: str                           # functional | sequential
    rows: tuple[LayerRow, ...]
    totals: Totals
    sequential_like: bool                # a plain chain: Keras prints no "Connected to" column
    outputs: tuple[str, ...]             # layers nothing consumes: the model's outputs

    @property
    def input_rows(self) -> tuple[LayerRow, ...]:
        return tuple(r for r in self.rows if r.kind == "InputLayer")

    @property
    def output_shape(self) -> Shape:
        return self.row(self.outputs[-1]).output_shape

    def row(self, name: str) -> LayerRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    @property
    def largest_activation(self) -> int:
        """Elements of the largest single layer output (one sample)."""
        return max(r.output_elements for r in self.rows)
