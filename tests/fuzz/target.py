"""What the fuzzers drive: spec text in, a report or a convcalc error out, never anything else.

:func:`check_text` runs a spec's text through everything a CI run does with it (the loader, the
engine, the receptive field, check, every renderer) and returns the report, or None when the
spec is rejected with a :class:`~convcalc.errors.ConvcalcError`; any other exception is a bug
and propagates. :func:`check_report` asserts the invariants of a report (per-layer sums equal
the totals, the JSON documents round-trip). ``scripts/fuzz.py`` (atheris, or hypothesis without
it) and ``tests/fuzz`` use both; every input that ever failed is kept in ``regressions/``.
"""

from __future__ import annotations

import json
from typing import Any

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import ConvcalcError
from convcalc.render import check as render_check
from convcalc.render import machine, table
from convcalc.report import Report
from convcalc.tools.check import check_spec


def check_text(text: str, file: str = "fuzz.yaml") -> Report | None:
    try:
        spec = parse_spec(text, file)
        report = analyze(spec)
        result = check_spec(spec, report)
    except ConvcalcError as err:
        text = err.render()
        assert text and "\x1b" not in text and "Traceback" not in text
        return None
    check_report(report)
    for render in render_check.RENDERERS.values():
        out = render([result])
        assert "\x1b" not in out
    table.render_table(report)
    return report


def check_report(report: Report) -> None:
    t = report.totals
    assert sum(r.params for r in report.rows) == t.params
    assert sum(r.macs for r in report.rows) == t.macs
    assert sum(r.trainable_params for r in report.rows) == t.trainable_params
    assert t.trainable_params + t.non_trainable_params == t.params
    doc: dict[str, Any] = machine.report_dict(report)
    text = machine.render_json(report)  # the fast writer: the same text as the generic one
    assert text == machine.dumps(doc)
    assert json.loads(text) == json.loads(json.dumps(doc))
    assert [layer["name"] for layer in doc["layers"]] == [r.name for r in report.rows]
