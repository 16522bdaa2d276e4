"""``convcalc explain-count SPEC --vs TOOL``: where and why a tool's count differs from
convcalc's, layer by layer, from the :class:`~convcalc.analysis.conventions.Term` s each
convention adds up (both counted in the tool's unit: a FLOP tool against 2 x convcalc's MACs).
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.analysis.conventions import Convention, Term
from convcalc.report import Report


class Difference(NamedTuple):
    """One layer whose count differs: both counts, in the tool's unit, and the tool's terms."""

    name: str
    kind: str  # the PyTorch module the tool sees (else the spec's kind)
    ours: int
    theirs: int
    terms: tuple[Term, ...]
    params: tuple[int, int]  # (ours, theirs)


class Explanation(NamedTuple):
    base: Convention
    tool: Convention
    batch: int
    factor: int  # convcalc's MACs x this = its count in the tool's unit
    layers: int  # layers compared (the input rows left out)
    differences: tuple[Difference, ...]
    ours: int
    theirs: int
    params: tuple[int, int]
    by_reason: tuple[tuple[str, int, int], ...]  # (term, layers, total) the tool adds or drops
    refusal: str


def explain(report: Report, base: Convention, tool: Convention, batch: int = 1) -> Explanation:
    factor = 2 if tool.unit == "FLOP" and base.unit == "MAC" else 1
    refusal = tool.refuses(report)
    diffs: list[Difference] = []
    reasons: dict[str, list[int]] = {}
    rows = [r for r in report.rows if not r.is_input]
    for r in rows:
        ours = base.count(r, batch) * factor
        terms = tuple(tool.terms(r, batch))
        theirs = sum(t.value for t in terms)
        p_ours, p_theirs = base.row_params(r), tool.row_params(r)
        if ours == theirs and p_ours == p_theirs:
            continue
        diffs.append(
            Difference(r.name, r.torch.cls or r.kind, ours, theirs, terms, (p_ours, p_theirs))
        )
        for t in terms:
            if t.value:
                seen = reasons.setdefault(t.what, [0, 0])
                seen[0] += 1
                seen[1] += t.value
        if ours and not any(t.value for t in terms):
            seen = reasons.setdefault("nothing (the tool does not count this module)", [0, 0])
            seen[0] += 1
    return Explanation(
        base,
        tool,
        batch,
        factor,
        len(rows),
        tuple(diffs),
        sum(base.count(r, batch) for r in rows) * factor,
        sum(tool.count(r, batch) for r in rows),
        (base.params(report)[0], tool.params(report)[0]),
        tuple((what, n, total) for what, (n, total) in reasons.items()),
        refusal,
    )
