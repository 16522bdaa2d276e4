"""``convcalc check`` results as text, JSON, JUnit XML, GitHub workflow commands or Markdown.

Every format says the same things: one entry per spec (pass / fail / invalid) and, per failed
expectation or budget, where it is written (file:line:col of its key), the expected value or
bound, the computed value and the difference.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from typing import Any

from convcalc.errors import MAX_PROBLEMS, Problem
from convcalc.render import escape
from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.units import grouped, signed
from convcalc.tools.check import Outcome, SpecCheck, exit_code

MAX_ANNOTATIONS = 10 * MAX_PROBLEMS  # GitHub annotations in one run (each spec: MAX_PROBLEMS)


# --- shared wording ------------------------------------------------------------------------------
def value_text(v: Any, unit: str = "") -> str:
    if v is None:
        return "not computable"
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(str(x) for x in v) + "]"
    if isinstance(v, int):
        return grouped(v) + (f" {unit}" if unit else "")
    return str(v)


def difference(o: Outcome) -> str:
    """``+1`` (an expectation), ``53,430,176 B`` (a budget's excess), ``[104, 0]`` (per axis);
    empty when there is nothing to subtract."""
    if o.actual is None:
        return ""
    if isinstance(o.expected, tuple) and isinstance(o.actual, tuple) and o.kind == "budget":
        low = o.key.startswith("min_")
        return value_text(
            tuple(max((b - a) if low else (a - b), 0) for a, b in zip(o.actual, o.expected))
        )
    if o.excess is None:
        return ""
    if o.kind == "expect":
        return signed(o.excess)
    return value_text(o.excess, "B" if o.key.endswith("_bytes") else "")


def percent(o: Outcome) -> str:
    """A budget's excess as a share of the bound: ``+10.69%``."""
    if o.kind != "budget" or not o.excess or not isinstance(o.expected, int) or not o.expected:
        return ""
    return f"{100 * o.excess / o.expected:+.2f}%"


def message(o: Outcome) -> str:
    """One line saying what was checked and how it came out."""
    if o.kind == "expect":
        if o.ok:
            return f"expect {o.key}: {value_text(o.actual)} as expected"
        text = f"expect {o.key}: expected {value_text(o.expected)}, actual {value_text(o.actual)}"
        if difference(o):
            text += f" ({difference(o)})"
        return text + (f": {o.note}" if o.actual is None and o.note else "")
    unit = "B" if o.key.endswith("_bytes") else ""
    if o.actual is None:
        return f"budget {o.key}: not computable: {o.note}"
    verb = "within" if o.ok else "is below" if o.key.startswith("min_") else "exceeds"
    text = f"budget {o.key}: {value_text(o.actual, unit)} {verb} {value_text(o.expected, unit)}"
    if not o.ok:
        text += f" by {difference(o)}"
    extras = [x for x in (percent(o) if not o.ok else "", o.note) if x]
    if o.key == "max_activation_bytes" and o.layer:
        extras.append(f"largest output: {o.layer}")
    if o.key.endswith("receptive_field") and o.layer:
        extras.append(f"at the output {o.layer}")
    return text + (f" ({'; '.join(extras)})" if extras else "")


def _spec_label(r: SpecCheck) -> str:
    return escape.text(f"{r.file} ({r.name})" if r.name else r.file)


def _problems(r: SpecCheck) -> list[Problem]:
    """The problems of an invalid spec that are shown (in file order, at most MAX_PROBLEMS)."""
    return r.error.shown if r.error is not None else []


def _hidden(r: SpecCheck) -> int:
    return len(r.error.problems) - len(r.error.shown) if r.error is not None else 0


def _counts(results: list[SpecCheck]) -> dict[str, int]:
    return {s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "invalid")}


def _summary_line(results: list[SpecCheck]) -> str:
    c = _counts(results)
    n = len(results)
    return (
        f"{n} spec{'s' if n != 1 else ''}: {c['pass']} passed, {c['fail']} failed, "
        f"{c['invalid']} invalid"
    )


# --- text ----------------------------------------------------------------------------------------
def render_text(results: list[SpecCheck]) -> str:
    lines = []
    for r in results:
        if r.error is not None:
            n = len(r.error.problems)
            what = r.error.problems[0].message if n == 1 else f"invalid spec, {n:,} problems"
            lines.append(f"ERROR  {escape.text(r.file)}: {what} (details on standard error)")
            continue
        total = len(r.outcomes)
        if not total:
            lines.append(f"PASS   {_spec_label(r)}: no expectations or budgets to check")
        elif r.failures:
            lines.append(f"FAIL   {_spec_label(r)}: {len(r.failures)} of {total} checks failed")
        else:
            lines.append(
                f"PASS   {_spec_label(r)}: {total} check{'s hold' if total != 1 else ' holds'}"
            )
        for o in r.failures:
            lines.append(f"       {o.loc}: {escape.text(message(o))}")
    lines.append(_summary_line(results))
    return "\n".join(lines) + "\n"


# --- JSON ----------------------------------------------------------------------------------------
def _jsonable(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def result_dict(r: SpecCheck) -> dict[str, Any]:
    d: dict[str, Any] = {"file": r.file, "name": r.name, "status": r.status}
    if r.error is not None:
        d["errors"] = [
            {
                "file": p.loc.file,
                "line": p.loc.line,
                "col": p.loc.col,
                "layer": p.layer,
                "message": p.message,
                "hint": p.hint,
            }
            for p in _problems(r)
        ]
        if _hidden(r):
            d["more_errors"] = _hidden(r)
        return d
    d["checks"] = [
        {
            "kind": o.kind,
            "key": o.key,
            "ok": o.ok,
            "expected": _jsonable(o.expected),
            "actual": _jsonable(o.actual),
            "line": o.loc.line,
            "col": o.loc.col,
            "difference": o.excess if o.kind == "expect" else None,
            "excess": o.excess if o.kind == "budget" else None,
            "note": o.note,
            "layer": o.layer,
            "message": message(o),
        }
        for o in r.outcomes
    ]
    if r.report is not None:
        d["totals"] = {
            **r.report.totals.as_dict(),
            "output_shape": list(r.report.output_shape),
            "largest_activation": r.report.largest_activation,
        }
    f = r.receptive_field
    if f is not None:
        d["receptive_field"] = (
            {
                "size": list(f.size),
                "effective_stride": list(f.stride),
                "effective_padding": list(f.padding),
                "start": [float(x) for x in f.start],
                "aligned": f.aligned,
            }
            if f.known
            else {"error": f.reason}
        )
    return d


def render_json(results: list[SpecCheck]) -> str:
    c = _counts(results)
    doc = {
        "schema_version": SCHEMA_VERSION,
        "summary": {
            "specs": len(results),
            "passed": c["pass"],
            "failed": c["fail"],
            "invalid": c["invalid"],
            "exit_code": exit_code(results),
        },
        "specs": [result_dict(r) for r in results],
    }
    return json.dumps(doc, indent=2) + "\n"


# --- JUnit XML -----------------------------------------------------------------------------------
def render_junit(results: list[SpecCheck]) -> str:
    """One <testsuite> per spec: a test case "spec" (loads and analyses) plus one per check."""
    root = ET.Element("testsuites", name="convcalc check")
    all_tests = all_failures = all_errors = 0
    for r in results:
        file = escape.xml(r.file)
        suite = ET.SubElement(root, "testsuite", name=file)
        case = ET.SubElement(
            suite, "testcase", classname=escape.xml(r.name) or file, name="spec", file=file
        )
        tests, failures, errors = 1, 0, 0
        if r.error is not None:
            errors = 1
            first = r.error.shown[0]
            err = ET.SubElement(
                case,
                "error",
                message=escape.xml(f"invalid spec: {first.message}"),
                type="SpecError",
            )
            err.text = "\n".join(escape.xml(line) for line in r.error.render().split("\n"))
        for o in r.outcomes:
            tests += 1
            case = ET.SubElement(
                suite,
                "testcase",
                classname=escape.xml(r.name),
                name=escape.xml(o.path),
                file=escape.xml(o.loc.file),
                line=str(o.loc.line),
            )
            if not o.ok:
                failures += 1
                text = escape.xml(message(o))
                fail = ET.SubElement(case, "failure", message=text, type=o.kind)
                fail.text = f"{escape.xml(str(o.loc))}: {text}"
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", str(errors))
        all_tests += tests
        all_failures += failures
        all_errors += errors
    root.set("tests", str(all_tests))
    root.set("failures", str(all_failures))
    root.set("errors", str(all_errors))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


# --- GitHub workflow commands --------------------------------------------------------------------
def _command(file: str, line: int, col: int, title: str, text: str) -> str:
    """One workflow command; an absolute path below the working directory is made relative
    (annotations name files relative to the repository root, where workflows run)."""
    if os.path.isabs(file):
        rel = os.path.relpath(file)
        file = file if rel.startswith("..") else rel
    props = [f"file={escape.github_property(file)}"]
    if line > 0:
        props.append(f"line={line}")
        props.append(f"col={col}")
    props.append(f"title={escape.github_property(title)}")
    return f"::error {','.join(props)}::{escape.github_data(text)}"


def render_github(results: list[SpecCheck]) -> str:
    """``::error file=F,line=L,col=C,title=T::message`` per failed check and per spec problem, so
    that a pull request shows each one on the line of its key; then the plain text summary."""
    lines: list[str] = []
    left_out = 0
    for r in results:
        commands = []
        for p in _problems(r):
            where = f"{p.layer}: " if p.layer else ""
            hint = f" (hint: {p.hint})" if p.hint else ""
            commands.append(
                _command(
                    p.loc.file,
                    p.loc.line,
                    p.loc.col,
                    "convcalc: invalid spec",
                    f"{where}{p.message}{hint}",
                )
            )
        if _hidden(r):
            commands.append(
                _command(
                    r.file, 0, 0, "convcalc: invalid spec", f"... and {_hidden(r):,} more problems"
                )
            )
        for o in r.failures[:MAX_PROBLEMS]:
            commands.append(
                _command(o.loc.file, o.loc.line, o.loc.col, f"convcalc check: {o.path}", message(o))
            )
        room = max(MAX_ANNOTATIONS - len(lines), 0)
        left_out += max(len(commands) - room, 0) + max(len(r.failures) - MAX_PROBLEMS, 0)
        lines += commands[:room]
    if left_out:
        lines.append(f"::warning title=convcalc::{left_out:,} more annotations left out")
    return "\n".join(lines + [render_text(results).rstrip("\n")]) + "\n"


# --- Markdown ------------------------------------------------------------------------------------
_md = escape.markdown
_code = escape.markdown_code


def render_markdown(results: list[SpecCheck]) -> str:
    c = _counts(results)
    bad = c["fail"] + c["invalid"]
    head = (
        f"### convcalc check: all {len(results)} specs pass"
        if not bad
        else f"### convcalc check: {bad} of {len(results)} specs need attention"
    )
    lines = [head, "", "| | Spec | Checks | Result |", "|:-:|:--|--:|:--|"]
    for r in results:
        if r.error is not None:
            n = len(r.error.problems)
            lines.append(
                f"| ⚠️ | {_code(r.file)} | | invalid spec ({n:,} problem{'s' if n != 1 else ''}) |"
            )
        elif r.failures:
            lines.append(
                f"| ❌ | {_code(r.file)} ({_md(r.name)}) | {len(r.outcomes)} | "
                f"{len(r.failures)} failed |"
            )
        else:
            lines.append(f"| ✅ | {_code(r.file)} ({_md(r.name)}) | {len(r.outcomes)} | pass |")
    failures = [(r, o) for r in results for o in r.failures]
    if failures:
        lines += [
            "",
            "| Where | Check | Expected / bound | Actual | Difference |",
            "|:--|:--|--:|--:|--:|",
        ]
        for _, o in failures[:MAX_ANNOTATIONS]:
            unit = "B" if o.key.endswith("_bytes") else ""
            how = " ".join(x for x in (difference(o), f"({percent(o)})" if percent(o) else "") if x)
            lines.append(
                f"| {_code(str(o.loc))} | {_md(o.path)} | {value_text(o.expected, unit)}"
                f" | {value_text(o.actual, unit)} | {_md(how or o.note)} |"
            )
        if len(failures) > MAX_ANNOTATIONS:
            lines.append(f"| | ... and {len(failures) - MAX_ANNOTATIONS:,} more | | | |")
    problems = [p for r in results for p in _problems(r)]
    hidden = sum(_hidden(r) for r in results)
    if problems:
        lines += ["", "| Where | Problem |", "|:--|:--|"]
        for p in sorted(problems, key=lambda p: p.loc)[:MAX_ANNOTATIONS]:
            where = f"{p.layer}: " if p.layer else ""
            lines.append(f"| {_code(str(p.loc))} | {_md(where + p.message)} |")
        hidden += max(len(problems) - MAX_ANNOTATIONS, 0)
        if hidden:
            lines.append(f"| | ... and {hidden:,} more problems |")
    return "\n".join(lines) + "\n"


RENDERERS = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
    "markdown": render_markdown,
}
