"""The records ``convcalc compare`` produces: plain dataclasses of ints (renderers make text)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from convcalc.report import Report
from convcalc.shapes import Shape, to_canonical

SPEC_REPEATS = 5  # forwards timed (after a warm-up) per network by `compare SPEC --run`


@dataclass(frozen=True)
class Part:
    """One layer of a variant, as the engine counted it (MACs for the whole batch)."""

    name: str
    kind: str
    kernel: tuple[int, ...]
    groups: int
    channels: int  # output channels
    output_shape: Shape  # display order; the batch first when one was given
    params: int
    params_without_bias: int
    macs: int
    sets_channels: bool = True  # a layer with its own output channel count (not depthwise)


@dataclass(frozen=True)
class ClosedForm:
    """A textbook MAC ratio to the standard convolution, evaluated exactly.

    ``formula`` is symbolic (``1/N + 1/K²``); ``symbols`` are the values put in it; the value is
    ``numerator/denominator`` (lowest terms); ``exact`` says whether it equals the measured ratio.
    """

    formula: str
    symbols: tuple[tuple[str, int], ...]
    numerator: int
    denominator: int
    exact: bool

    @property
    def value(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


@dataclass(frozen=True)
class Variant:
    key: str  # standard | separable | grouped | bottleneck | spatial
    setting: int  # G for grouped, B for bottleneck, dm for separable, else 0
    parts: tuple[Part, ...]
    closed_form: ClosedForm
    median_ns: int | None = None  # filled by --run

    @property
    def output_shape(self) -> Shape:
        return self.parts[-1].output_shape

    @property
    def params(self) -> int:
        return sum(p.params for p in self.parts)

    @property
    def params_without_bias(self) -> int:
        return sum(p.params_without_bias for p in self.parts)

    @property
    def macs(self) -> int:
        return sum(p.macs for p in self.parts)


@dataclass(frozen=True)
class LayerComparison:
    request: LayerRequest
    variants: tuple[Variant, ...]  # the standard convolution first

    @property
    def standard(self) -> Variant:
        return self.variants[0]

    def macs_ratio(self, v: Variant) -> Fraction:
        return Fraction(v.macs, self.standard.macs)

    def params_ratio(self, v: Variant) -> Fraction:
        return Fraction(v.params, self.standard.params)


# --- one layer from flags ----------------------------------------------------------------------
@dataclass(frozen=True)
class LayerRequest:
    """One 2-D convolution and the variants to compare it with (see :func:`layer_request`)."""

    input_shape: Shape  # one sample, in data_format order: (H, W, C) or (C, H, W)
    batch: int | None  # N of an NxCxHxW input, else None
    channels_first: bool
    kernel: tuple[int, int]
    filters: int
    strides: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: str | int = "valid"
    use_bias: bool = True
    separable: bool = False
    depth_multiplier: int = 1
    groups: tuple[int, ...] = ()
    bottlenecks: tuple[int, ...] = ()
    spatial: bool = False

    @property
    def in_channels(self) -> int:
        return to_canonical(self.input_shape, self.channels_first)[-1]

    @property
    def data_format(self) -> str:
        return "channels_first" if self.channels_first else "channels_last"

    @property
    def display_input(self) -> Shape:
        return ((self.batch,) if self.batch else ()) + tuple(self.input_shape)


@dataclass(frozen=True)
class Transform:
    """What to rewrite: ``separable`` (value = depth multiplier), ``grouped`` (value = G) or
    ``bottleneck`` (value = RATIO: the 1x1 reduces C_in input channels to C_in / RATIO)."""

    kind: str
    value: int


@dataclass(frozen=True)
class Skip:
    """Why a convolution was not rewritten: a reason code and the numbers it needs."""

    code: str  # transposed | depthwise | separable | no_separable_3d | pointwise |
    #                  grouped | channels | filters
    values: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LayerChange:
    name: str
    kind: str
    after: tuple[Part, ...]  # the layers that replace it (itself if unchanged)
    params_before: int
    macs_before: int
    rewritten: bool
    skip: Skip | None = None  # set for a convolution that was not rewritten

    @property
    def params_after(self) -> int:
        return sum(p.params for p in self.after)

    @property
    def macs_after(self) -> int:
        return sum(p.macs for p in self.after)


@dataclass(frozen=True)
class SpecComparison:
    transform: Transform
    before: Report
    after: Report
    changes: tuple[LayerChange, ...]  # every layer with params or MACs, in spec order
    data: dict[str, Any] = field(compare=False, repr=False)  # the rewritten YAML data
    forward_ns: tuple[int, int] | None = None  # median forward before / after (--run)
    spec: Any = field(default=None, compare=False, repr=False)  # the rewritten Spec

    @property
    def rewritten(self) -> tuple[LayerChange, ...]:
        return tuple(c for c in self.changes if c.rewritten)

    @property
    def skipped(self) -> tuple[LayerChange, ...]:
        return tuple(c for c in self.changes if c.skip is not None)
