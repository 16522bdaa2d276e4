"""Counting conventions: what each counting tool would print for a spec's network.

``summary --convention NAME`` and ``explain-count SPEC --vs NAME`` read one
:class:`Convention`: per layer, the :class:`Term` s the tool adds up (each named by what it
is, so that ``explain-count`` can say where and why two counts differ), and its parameter
convention (Keras's: BatchNorm's moving statistics are non-trainable parameters; PyTorch's and
every PyTorch tool's: they are buffers, not parameters).

A tool's rules are written from its source, keyed by what the tool itself keys on: torchinfo,
thop and ptflops hook ``torch.nn`` module classes, ptflops and calflops also patch
``torch.nn.functional`` functions, fvcore and FlopCounterMode read ATen operators. Each layer
states its PyTorch module and function and its multiply-accumulate parts
(:mod:`convcalc.layers.counts`); the tools are in :mod:`.tools`, convcalc's own conventions
here. The tools' versions are the ones the goldens were measured with (tests/golden/
conventions.json, scripts/golden/make_conventions.py).
"""

from __future__ import annotations

import functools
import math
from typing import ClassVar, NamedTuple

from convcalc.counting import CONVENTIONS
from convcalc.report import LayerRow, Report


class Term(NamedTuple):
    """Part of a layer's count: what it is (``bias adds``) and how much, in the convention's
    unit, for the whole batch."""

    what: str
    value: int


def out_elements(r: LayerRow) -> int:
    return math.prod(r.shape)


def in_elements(r: LayerRow) -> int:
    return math.prod(r.in_shapes[0]) if r.in_shapes else 0


def positions(r: LayerRow) -> int:
    """Output positions (the output's spatial size; canonical shapes keep channels last)."""
    return math.prod(r.shape[:-1])


def bias_size(r: LayerRow) -> int:
    return sum(w.size for w in r.weights if w.name == "bias")


def affine(r: LayerRow) -> bool:
    """A normalisation with a learned scale or shift (gamma/beta)."""
    return any(w.name in ("gamma", "beta") for w in r.weights)


class Convention:
    """One way of counting. ``unit``: what its per-layer number counts (MAC or FLOP);
    ``torch_params``: parameters without PyTorch's buffers; ``tool``: the program it mirrors
    ("" for convcalc's own)."""

    name: ClassVar[str] = ""
    tool: ClassVar[str] = ""
    version: ClassVar[str] = ""
    unit: ClassVar[str] = "MAC"
    header: ClassVar[str] = "MACs"  # the column it prints
    torch_params: ClassVar[bool] = True
    note: ClassVar[str] = ""  # one sentence: what it counts (printed under the table)

    def terms(self, r: LayerRow, batch: int = 1) -> list[Term]:
        return [Term("weight MACs", r.macs * batch)] if r.macs else []

    def count(self, r: LayerRow, batch: int = 1) -> int:
        return sum(t.value for t in self.terms(r, batch))

    def total(self, report: Report, batch: int = 1) -> int:
        if type(self).terms is Convention.terms and type(self).count is Convention.count:
            return report.totals.macs * batch  # the sum of every layer's weight MACs
        return sum(self.count(r, batch) for r in report.rows)

    def params(self, report: Report) -> tuple[int, int]:
        """(total, trainable) parameters as the convention counts them."""
        if self.torch_params:
            return sum(r.torch_params for r in report.rows), report.totals.trainable_params
        return report.totals.params, report.totals.trainable_params

    def row_params(self, r: LayerRow) -> int:
        return r.torch_params if self.torch_params else r.params

    def refuses(self, report: Report) -> str:
        """Why the tool stops on this network instead of printing ("" when it prints)."""
        return ""

    def describe(self) -> str:
        return f"{self.tool} {self.version}".strip() or f"convcalc ({self.name})"


class Keras(Convention):
    name = "keras"
    torch_params = False
    note = (
        "Keras's parameters (BatchNorm's moving statistics count as non-trainable); MACs: "
        "weight multiply-accumulates, bias adds excluded; FLOPs = 2 x MACs."
    )


class Torch(Convention):
    name = "torch"
    note = (
        "PyTorch's parameters (BatchNorm's running statistics are buffers, not parameters); "
        "MACs: weight multiply-accumulates, bias adds excluded; FLOPs = 2 x MACs."
    )


@functools.cache
def _registry() -> dict[str, Convention]:
    from convcalc.analysis.conventions import tools

    found: dict[str, Convention] = {"keras": Keras(), "torch": Torch()}
    for cls in tools.TOOLS:
        found[cls.name] = cls()
    return found


NAMES = CONVENTIONS


def convention(name: str) -> Convention:
    """The convention called ``name`` (one of NAMES)."""
    return _registry()[name]


def default_for(report: Report) -> str:
    """A spec written in PyTorch's vocabulary is shown PyTorch's way, any other Keras's."""
    return "torch" if torch_vocabulary(report) else "keras"


def torch_vocabulary(report: Report) -> bool:
    """More of the layers that have a PyTorch name were written with it than with Keras's."""
    torch = keras = 0
    for r in report.rows:
        if r.is_input or not r.torch.cls or r.torch.cls == r.kind:
            continue  # no PyTorch module, or one spelt as Keras spells it (ReLU, Dropout)
        if r.torch_spelled:
            torch += 1
        else:
            keras += 1
    return torch > keras
