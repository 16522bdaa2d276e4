"""Report / LayerRow / Totals / Field: the numbers convcalc computes, as ints and tuples.

Renderers turn a Report into text; the runtime and the checks read it. Shapes are per sample (no
batch) and kept canonical (channels last, ``shape``, ``in_shapes``) as the engine computed them;
``output_shape`` and ``input_shapes`` show them in the spec's data_format, as the user wrote the
input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from convcalc.counting import DTYPE_BYTES, TOTAL_FIELDS, Totals
from convcalc.errors import Location
from convcalc.layers.base import Weight
from convcalc.layers.counts import Part, TorchModule
from convcalc.shapes import Shape, to_display

NO_MODULE = TorchModule("", "")

__all__ = ["DTYPE_BYTES", "TOTAL_FIELDS", "Field", "LayerRow", "Report", "Totals"]


class Field(NamedTuple):
    """The receptive field of one layer's outputs, one entry per spatial axis of the input.

    ``reason`` is non-empty when the field cannot be computed (the sizes are then empty).
    ``whole`` is true once a layer has seen its whole input map (global pooling, Flatten).
    """

    size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    aligned: bool = True
    whole: bool = False
    reason: str = ""

    @property
    def known(self) -> bool:
        return not self.reason

    @property
    def start(self) -> tuple[float, ...]:
        """Centre of output unit 0 in input coordinates (pixel i spans [i-1/2, i+1/2]): a
        whole or half number, which a float holds exactly."""
        return tuple((r - 1) / 2 - p for r, p in zip(self.size, self.padding))

    def interval(
        self, unit: tuple[int, ...], sizes: tuple[int, ...] | None = None
    ) -> list[tuple[int, int]]:
        """First and last input position seen by output ``unit``, clipped to ``sizes``."""
        spans = []
        for i, u in enumerate(unit):
            first = u * self.stride[i] - self.padding[i]
            last = first + self.size[i] - 1
            if sizes is not None:
                first, last = max(first, 0), min(last, sizes[i] - 1)
            spans.append((first, last))
        return spans


def unknown_field(reason: str) -> Field:
    return Field((), (), (), reason=reason)


class LayerRow(NamedTuple):
    """One layer's numbers (a tuple: 100,000 layers make 100,000 of them, built fast and
    without an attribute dictionary each)."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    shape: Shape  # per sample, canonical (channels last)
    in_shapes: tuple[Shape, ...]  # canonical
    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    weights: tuple[Weight, ...] = ()
    loc: Location = Location("<spec>")
    index: int = -1  # type: ignore[assignment]  # (shadows tuple.index, as a field may)
    channels_first: bool = False
    is_input: bool = False
    field: Field | None = None
    # the block uses around the layer, outermost first: (use name, block name); empty for a
    # layer written directly in layers:
    blocks: tuple[tuple[str, str], ...] = ()
    shares: str = ""  # a later call of that layer (a shared layer; its weights count there)
    group: tuple[str, ...] = ()  # (model, class) of the nested model it is part of
    # what the counting conventions and the PyTorch view read (convcalc.layers.counts)
    torch: TorchModule = NO_MODULE
    # backward MACs: (input gradient, weight gradient); the input gradient is 0 where no
    # earlier layer needs it, the weight gradient 0 for a frozen layer
    backward: tuple[int, int] = (0, 0)
    # from here on, facts of the layer's kind and configuration (the engine shares them)
    torch_layout: bool = False  # weights shown as PyTorch stores them (PyTorch spelling or NCHW)
    incomplete: str = ""  # why this layer's counts are unknown (not analysable), else ""
    operator: str = "other"
    parts: tuple[Part, ...] = ()
    fused: TorchModule | None = None  # the module of a fused activation (PyTorch: its own)
    torch_buffers: int = 0  # PyTorch's scalar buffers (num_batches_tracked)
    torch_spelled: bool = False  # written with its PyTorch class name (Conv2d)
    keeps: str = ""  # what backward needs of it: "input", "output" or ""
    kept_extra_bytes: tuple[int, int] = (0, 0)  # and beyond that: (per sample, per batch)

    def weight_shapes(self) -> list[tuple[str, Shape]]:
        """(name, shape) of every weight in the spec's framework order: PyTorch's names and
        layouts (``weight (out, in/groups, k...)``) for a layer written with its PyTorch name
        or in a channels_first spec, Keras's (``kernel (k..., in/groups, filters)``) otherwise."""
        if self.torch_layout:
            return [(w.torch_name, w.torch_shape) for w in self.weights]
        return [(w.name, w.shape) for w in self.weights]

    @property
    def buffers(self) -> int:
        """Elements of the weights PyTorch keeps as buffers (BatchNorm's running statistics)."""
        return sum(w.size for w in self.weights if w.buffer)

    @property
    def torch_params(self) -> int:
        """Parameters as PyTorch counts them: without the buffers."""
        return self.params - self.buffers

    @property
    def backward_macs(self) -> int:
        return self.backward[0] + self.backward[1]

    @property
    def output_shape(self) -> Shape:
        """Per sample, in the spec's data_format."""
        return to_display(self.shape, self.channels_first)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return tuple(to_display(s, self.channels_first) for s in self.in_shapes)

    @property
    def channels(self) -> int:
        return self.shape[-1]

    @property
    def output_elements(self) -> int:
        n = 1
        for x in self.shape:
            n *= x
        return n


@dataclass(frozen=True)
class Report:
    name: str
    file: str
    data_format: str
    model: str  # functional | sequential
    rows: tuple[LayerRow, ...]
    totals: Totals
    sequential_like: bool  # a plain chain: Keras prints no "Connected to" column
    outputs: tuple[str, ...]  # layers nothing consumes: the model's outputs
    has_fields: bool = True  # the receptive fields were computed (analyze(spec, fields=True))

    @property
    def channels_first(self) -> bool:
        return self.data_format == "channels_first"

    @property
    def input_rows(self) -> tuple[LayerRow, ...]:
        return tuple(r for r in self.rows if r.is_input)

    @property
    def output_shape(self) -> Shape:
        return self.row(self.outputs[-1]).output_shape

    def row(self, name: str) -> LayerRow:
        index: dict[str, LayerRow] | None = self.__dict__.get("_index")
        if index is None:
            index = {r.name: r for r in self.rows}
            object.__setattr__(self, "_index", index)
        try:
            return index[name]
        except KeyError:
            raise KeyError(name) from None

    @property
    def largest_activation(self) -> int:
        """Elements of the largest single layer output (one sample)."""
        return max(r.output_elements for r in self.rows)

    @property
    def incomplete(self) -> tuple[LayerRow, ...]:
        """The layers convcalc cannot analyse (their MACs are unknown): the totals are lower
        bounds while there is any (found once: every renderer asks)."""
        found: tuple[LayerRow, ...] | None = self.__dict__.get("_incomplete")
        if found is None:
            found = tuple(r for r in self.rows if r.incomplete)
            object.__setattr__(self, "_incomplete", found)
        return found

    def field_of(self, name: str) -> Field:
        """The receptive field of layer ``name``'s outputs (KeyError if it has none)."""
        assert self.has_fields, "analyze(spec, fields=False) computed no receptive fields"
        found = self.row(name).field
        if found is None:
            raise KeyError(name)
        return found

    @property
    def fields(self) -> dict[str, Field]:
        """The receptive field of every layer's outputs, by layer name."""
        assert self.has_fields, "analyze(spec, fields=False) computed no receptive fields"
        return {r.name: r.field for r in self.rows if r.field is not None}
