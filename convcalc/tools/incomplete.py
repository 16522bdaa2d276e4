"""What ``convcalc check`` says about a spec with layers convcalc cannot analyse (a Keras
``Lambda``, an unknown ONNX op): their MACs are unknown, so an expectation or a budget on the
MACs is not computable (it fails with the layers named), never checked against a lower bound."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from convcalc.report import Report

if TYPE_CHECKING:
    from convcalc.tools.check import Outcome

MAC_KEYS = ("macs", "max_macs")


def unknown_macs(report: Report) -> str:
    """Why the MACs total is unknown ("" when every layer is analysed)."""
    rows = report.incomplete
    if not rows:
        return ""
    names = ", ".join(f"{r.name} ({r.kind})" for r in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return f"not analysable: {names}{more}"


def mark_incomplete(report: Report, outcomes: list[Outcome]) -> list[Outcome]:
    """``outcomes`` with every MAC check made not computable when the report is incomplete."""
    why = unknown_macs(report)
    if not why:
        return outcomes
    unknown = {r.name for r in report.incomplete}
    out = []
    for o in outcomes:
        key = o.key.rsplit(".", 1)[-1]
        if key in MAC_KEYS and (not o.layer or o.layer in unknown):
            o = replace(o, actual=None, ok=False, note=why)
        out.append(o)
    return out
