"""The columns ``summary --columns`` can show, by torchinfo's names (``input_size``,
``output_size``, ``kernel_size``, ``num_params``, ``mult_adds``, ``trainable``,
``params_percent``) and convcalc's own (``flops``, ``mult_adds_percent``, ``activation_size``,
``backward_mult_adds``, ``receptive_field``, ``rf_jump``, ``rf_start``, ``connected_to``).

A cell is computed from a shown row (a layer, or a block folded by ``--depth``: the sums of
its members) and the :class:`View`: the counting convention, PyTorch's names and shapes or
Keras's, the batch and the dtype of sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from convcalc.analysis.blocks import ShownRow
from convcalc.analysis.conventions import Convention
from convcalc.counting import DTYPE_BYTES
from convcalc.errors import UsageError
from convcalc.fields import suggest
from convcalc.render.units import binary_bytes, grouped, keras_shape, share
from convcalc.report import LayerRow, Report
from convcalc.shapes import Shape, to_display


class View(NamedTuple):
    """How a summary shows a report."""

    convention: Convention
    torch: bool  # PyTorch's class names and shapes ([1, 64, 112, 112]), else Keras's
    batch: int | None = None
    dtype: str = "float32"

    @property
    def n(self) -> int:
        return self.batch or 1

    def shape(self, r: LayerRow, s: Shape) -> str:
        """A canonical shape as this view prints it: PyTorch's batch-first, channels-first
        list (torch.Size's), or Keras's tuple in the spec's data_format."""
        if self.torch:
            return str([self.n, *to_display(s, True)])
        shown = to_display(s, r.channels_first)
        return keras_shape(shown) if self.batch is None else repr((self.batch, *shown))

    def kind(self, r: LayerRow) -> str:
        if r.is_input and self.torch:
            return "input"
        return (r.torch.cls or r.kind) if self.torch else r.kind


class Totals(NamedTuple):
    """The whole network's numbers the percentage columns divide by."""

    params: int
    macs: int  # the convention's count (MACs or FLOPs)


class Column(NamedTuple):
    key: str
    header: str
    right: bool
    cell: Callable[[ShownRow, View, Totals], str]


def _counted(s: ShownRow, text: str) -> str:
    return text if s.counted else "--"


def _count(s: ShownRow, v: View) -> int:
    return sum(v.convention.count(m, v.n) for m in s.members)


def _params(s: ShownRow, v: View) -> int:
    return sum(v.convention.row_params(m) for m in s.members)


def _macs(s: ShownRow, v: View, t: Totals) -> str:
    if any(m.incomplete for m in s.members):
        return "?"
    return _counted(s, grouped(_count(s, v)))


def _flops(s: ShownRow, v: View, t: Totals) -> str:
    if any(m.incomplete for m in s.members):
        return "?"
    count = _count(s, v)
    return _counted(s, grouped(count if v.convention.unit == "FLOP" else 2 * count))


def _kernel(s: ShownRow, v: View, t: Totals) -> str:
    if s.is_block or not s.row.weights:
        return "--"
    w = s.row.weights[0]
    return str(tuple(w.torch_shape if v.torch else w.shape))


def _trainable(s: ShownRow, v: View, t: Totals) -> str:
    """torchinfo's column: True, False, Partial, or -- without parameters."""
    total = _params(s, v)
    trainable = sum(m.trainable_params for m in s.members)
    if not total:
        return "--"
    return "True" if trainable == total else "False" if not trainable else "Partial"


def _field(part: str) -> Callable[[ShownRow, View, Totals], str]:
    def cell(s: ShownRow, v: View, t: Totals) -> str:
        f = s.row.field
        if f is None:
            return "--"
        if not f.known:
            return "?"
        if part == "start":
            return ", ".join(f"{x:g}" for x in f.start)
        if part == "size" and f.whole:
            return "whole"
        return _axes(f.size if part == "size" else f.stride)

    return cell


def _axes(values: tuple[int, ...]) -> str:
    return "x".join(str(x) for x in values)


def _activation(s: ShownRow, v: View, t: Totals) -> str:
    return binary_bytes(s.row.output_elements * v.n * DTYPE_BYTES[v.dtype])


COLUMNS: dict[str, Column] = {
    c.key: c
    for c in (
        Column("input_size", "Input Shape", False, lambda s, v, t: _inputs(s, v)),
        Column("output_size", "Output Shape", False, lambda s, v, t: v.shape(s.row, s.row.shape)),
        Column("kernel_size", "Kernel Shape", False, _kernel),
        Column("num_params", "Param #", True, lambda s, v, t: _counted(s, grouped(_params(s, v)))),
        Column("trainable", "Trainable", False, _trainable),
        Column(
            "params_percent",
            "Param %",
            True,
            lambda s, v, t: _counted(s, share(_params(s, v), t.params)),
        ),
        Column("mult_adds", "MACs", True, _macs),
        Column("flops", "FLOPs", True, _flops),
        Column(
            "mult_adds_percent",
            "MACs %",
            True,
            lambda s, v, t: _counted(s, share(_count(s, v), t.macs)),
        ),
        Column(
            "backward_mult_adds",
            "Backward MACs",
            True,
            lambda s, v, t: _counted(s, grouped(sum(m.backward_macs for m in s.members) * v.n)),
        ),
        Column("activation_size", "Activation", True, _activation),
        Column("receptive_field", "RF", False, _field("size")),
        Column("rf_jump", "RF jump", False, _field("stride")),
        Column("rf_start", "RF start", False, _field("start")),
        Column("connected_to", "Connected to", False, lambda s, v, t: "\n".join(s.inputs)),
    )
}
# shorter names people type
ALIASES = {
    "input": "input_size",
    "output": "output_size",
    "kernel": "kernel_size",
    "params": "num_params",
    "macs": "mult_adds",
    "mult-adds": "mult_adds",
    "params_%": "params_percent",
    "macs_percent": "mult_adds_percent",
    "activation": "activation_size",
    "backward": "backward_mult_adds",
    "rf": "receptive_field",
    "rf_size": "receptive_field",
    "connected": "connected_to",
}
DEFAULT = ("output_size", "num_params", "mult_adds", "connected_to")


def _inputs(s: ShownRow, v: View) -> str:
    r = s.members[0]
    return "\n".join(v.shape(r, shape) for shape in r.in_shapes) or "--"


def parse_columns(text: str) -> tuple[str, ...]:
    """``--columns input_size,output_size,...`` -> the column keys, in that order."""
    keys = []
    for raw in text.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        key = ALIASES.get(name, name)
        if key not in COLUMNS:
            near = suggest(name, list(COLUMNS) + list(ALIASES))
            raise UsageError(
                f"--columns: no column named {raw.strip()!r}",
                hint=(f"did you mean {near!r}? " if near else "")
                + "the columns: "
                + ", ".join(COLUMNS),
            )
        if key not in keys:
            keys.append(key)
    if not keys:
        raise UsageError("--columns needs at least one column", hint="e.g. --columns output_size")
    return tuple(keys)


def header(key: str, v: View) -> str:
    """The column's header; the count columns are named as the convention names them."""
    if key == "mult_adds":
        return v.convention.header
    if key == "mult_adds_percent":
        return f"{v.convention.header} %"
    return COLUMNS[key].header


def totals(report: Report, v: View) -> Totals:
    c = v.convention
    return Totals(c.params(report)[0], c.total(report, v.n))
