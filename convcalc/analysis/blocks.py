"""Depth control: a Report's rows grouped by the block uses they came from, as torchinfo's
``depth`` does for modules.

Each row carries its block path (``LayerRow.blocks``: the uses around it, outermost first).
At depth N, a row written directly in ``layers:`` is at level 1, a layer of a top-level block
use at level 2, and so on; a block use at level N is shown as one row with its members'
totals, a block use above level N as a header row (its numbers left to its members, so that
the shown numbers always add up to the totals) followed by its members. The grouping reads
only the block path, so any path can drive it: ``by="names"`` groups by dotted module names
instead (``layer1.0.conv1`` is in ``layer1``, then ``layer1.0``), as torchinfo's ``depth`` groups
a torchvision model's modules.
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.report import LayerRow, Report
from convcalc.shapes import Shape


class ShownRow(NamedTuple):
    """One row of a summary at some depth: a layer, a collapsed block or an open block's
    header (``counted`` false: its numbers are its members')."""

    level: int  # 1: written in layers:
    name: str
    kind: str  # the layer's kind, or the block's name
    output_shape: Shape  # in the spec's data_format
    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    inputs: tuple[str, ...]
    is_block: bool = False
    counted: bool = True  # false for the header of an opened block
    layers: int = 1  # how many layers the row stands for
    is_input: bool = False
    members: tuple[LayerRow, ...] = ()  # the layers it stands for (itself for a layer)

    @property
    def row(self) -> LayerRow:
        """The layer, or the block's output layer (its shape, its receptive field)."""
        return self.members[self.output]

    output: int = -1  # index in members of the layer whose output leaves the block


def layer_row(r: LayerRow, level: int = 1) -> ShownRow:
    """One layer as a shown row (the flat summary)."""
    return _layer(r, level)


def _layer(r: LayerRow, level: int) -> ShownRow:
    return ShownRow(
        level,
        r.name,
        r.kind,
        r.output_shape,
        r.params,
        r.trainable_params,
        r.non_trainable_params,
        r.macs,
        r.inputs,
        is_input=r.is_input,
        members=(r,),
    )


def _group(
    report: Report, members: list[LayerRow], name: str, block: str, level: int, counted: bool
) -> ShownRow:
    inside = {r.name for r in members}
    used_outside = {n for r in report.rows if r.name not in inside for n in r.inputs} | set(
        report.outputs
    )
    leaving = [r for r in members if r.name in used_outside]
    out = (leaving or members)[-1]
    index = next(i for i, r in enumerate(members) if r is out)
    inputs: list[str] = []
    for r in members:
        inputs += [n for n in r.inputs if n not in inside and n not in inputs]
    return ShownRow(
        level,
        name,
        block,
        out.output_shape,
        sum(r.params for r in members),
        sum(r.trainable_params for r in members),
        sum(r.non_trainable_params for r in members),
        sum(r.macs for r in members),
        tuple(inputs),
        is_block=True,
        counted=counted,
        layers=len(members),
        members=tuple(members),
        output=index,
    )


def rows_at_depth(report: Report, depth: int, by: str = "blocks") -> list[ShownRow]:
    """The rows of ``report`` shown ``depth`` levels deep (``depth`` >= 1), grouped by block
    uses (``by="blocks"``) or by dotted names (``by="names"``)."""
    out: list[ShownRow] = []
    folded: dict[str, str] = {}
    rows = list(report.rows) if by == "blocks" else [_named(r) for r in report.rows]
    _walk(report, rows, 0, depth, out, folded)
    # "Connected to" names what is shown: a layer folded into a block row is that row
    return [
        s._replace(inputs=tuple(dict.fromkeys(folded.get(n, n) for n in s.inputs))) for s in out
    ]


def _walk(
    report: Report,
    rows: list[LayerRow],
    at: int,
    depth: int,
    out: list[ShownRow],
    folded: dict[str, str],
) -> None:
    """Rows whose block paths agree up to index ``at``: a layer at this level, or runs of rows
    in the same block use at index ``at``."""
    i = 0
    while i < len(rows):
        r = rows[i]
        if len(r.blocks) <= at:
            out.append(_layer(r, at + 1))
            i += 1
            continue
        use = r.blocks[at]
        j = i
        while j < len(rows) and len(rows[j].blocks) > at and rows[j].blocks[at] == use:
            j += 1
        members = rows[i:j]
        level = at + 1
        if level >= depth:
            out.append(_group(report, members, use[0], use[1], level, True))
            folded.update((m.name, use[0]) for m in members)
        else:
            out.append(_group(report, members, use[0], use[1], level, False))
            _walk(report, members, at + 1, depth, out, folded)
        i = j


def max_depth(report: Report, by: str = "blocks") -> int:
    """The deepest level of the report (1 when it has no blocks)."""
    if by == "names":
        return 1 + max((r.name.count(".") for r in report.rows), default=0)
    return 1 + max((len(r.blocks) for r in report.rows), default=0)


def grouping(report: Report) -> str:
    """What ``--depth`` folds by default: block uses if the spec has any, else dotted names."""
    if any(r.blocks for r in report.rows):
        return "blocks"
    return "names" if any("." in r.name.strip(".") for r in report.rows) else "blocks"


def _named(r: LayerRow) -> LayerRow:
    """``r`` with the dotted prefixes of its name as its path (``layer1``, ``layer1.0``); each
    group is named by a block use of the same name, if the row has one."""
    parts = r.name.split(".")
    if len(parts) < 2 or not all(parts):
        return r._replace(blocks=())
    uses = dict(r.blocks)
    prefixes = [".".join(parts[: i + 1]) for i in range(len(parts) - 1)]
    return r._replace(blocks=tuple((p, uses.get(p, "")) for p in prefixes))
