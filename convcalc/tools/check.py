"""Expectations (``expect:``) and budgets (``budget:``) of specs, for CI: ``convcalc check``.

:func:`check_files` checks every spec it is given and never stops at the first failure; each
spec gives a :class:`SpecCheck` holding one :class:`Outcome` per expectation and budget (numbers
only: renderers in :mod:`convcalc.render.check` turn them into text, JSON, JUnit XML, GitHub
workflow commands or Markdown). Exit codes (:func:`exit_code`): 0 every check holds, 1 an
expectation or a budget fails, 2 a spec is invalid (that wins over 1).
"""

from __future__ import annotations

import fnmatch
import glob
import os
from dataclasses import dataclass, field
from typing import Any

from convcalc.analysis import analyze, load_spec
from convcalc.analysis.receptive import model_field
from convcalc.counting import DTYPE_BYTES, TOTAL_FIELDS
from convcalc.errors import ConvcalcError, Location, Problem, SpecError
from convcalc.report import Field, Report
from convcalc.spec.model import Spec
from convcalc.tools.incomplete import mark_incomplete


@dataclass(frozen=True)
class Outcome:
    """One expectation or budget of one spec, with what the spec computes.

    ``key`` is the dotted path under ``expect``/``budget`` (``params``,
    ``layers.block1_conv1.macs``, ``max_macs``); ``expected`` is the expected value or the
    bound, ``actual`` the computed value (None when it cannot be computed: ``note`` says why).
    Shapes and per-axis receptive fields are tuples.
    """

    kind: str  # "expect" | "budget"
    key: str
    expected: Any
    actual: Any
    ok: bool
    loc: Location
    note: str = ""  # e.g. "float32", the largest layer, why it is unknown
    layer: str = ""  # the layer an expectation or a budget figure belongs to

    @property
    def path(self) -> str:
        return f"{self.kind}.{self.key}"

    @property
    def excess(self) -> int | None:
        """How far an integer budget is exceeded (actual - bound for max_, bound - actual for
        min_), or how far an integer expectation is off (actual - expected)."""
        if isinstance(self.expected, int) and isinstance(self.actual, int):
            if self.kind == "budget" and self.key.startswith("min_"):
                return self.expected - self.actual
            return self.actual - self.expected
        return None


@dataclass
class SpecCheck:
    """The result of checking one spec file."""

    file: str
    name: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    error: SpecError | None = None
    report: Report | None = None
    receptive_field: Field | None = None  # the model's receptive field
    spec: Spec | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "invalid"
        return "fail" if self.failures else "pass"

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def _scan(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder or ".") as it:
            return list(it)
    except OSError:
        return []


def _visible(name: str, part: str) -> bool:
    """As the shell and :mod:`glob`: a wildcard does not match a name that starts with a dot."""
    return not name.startswith(".") or part.startswith(".")


def _is_dir(entry: os.DirEntry[str], follow: bool) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow)
    except OSError:
        return False


def glob_files(pattern: str) -> list[str]:
    """The files ``pattern`` matches (``*``, ``?``, ``[...]`` within a name; ``**`` any number
    of folders), sorted. Unlike :func:`glob.glob`, ``**`` never enters a symlinked folder, so a
    link to ``/usr`` or to ``..`` cannot make a check walk the disk or loop."""
    parts = pattern.split(os.sep)
    base = os.sep if pattern.startswith(os.sep) else ""
    found: set[str] = set()
    todo = [(base, parts[1:] if base else parts)]
    while todo:
        folder, rest = todo.pop()
        part, rest = rest[0], rest[1:]
        if part == "**":
            todo.append((folder, rest or ["*"]))  # no folder at all
            for entry in _scan(folder):
                if _visible(entry.name, part) and _is_dir(entry, follow=False):
                    todo.append((os.path.join(folder, entry.name), [part, *rest]))
            continue
        if not glob.has_magic(part):
            names = [part] if os.path.lexists(os.path.join(folder, part)) or not rest else []
        else:
            names = [
                e.name
                for e in _scan(folder)
                if _visible(e.name, part) and fnmatch.fnmatchcase(e.name, part)
            ]
        for name in names:
            path = os.path.join(folder, name)
            if rest:
                if os.path.isdir(path):
                    todo.append((path, rest))
            elif os.path.lexists(path) and not os.path.isdir(path):
                found.add(path)
    return sorted(found)


def expand_paths(patterns: list[str]) -> list[str | SpecCheck]:
    """Files named or matched by ``patterns``, in order, without repeats. Globs are expanded
    here too, so that quoting them works on every shell (:func:`glob_files`); a pattern that
    matches nothing gives an invalid :class:`SpecCheck` in its place."""
    found: list[str | SpecCheck] = []
    seen: set[str] = set()
    for pattern in patterns:
        if glob.has_magic(pattern) and not os.path.lexists(pattern):
            matches = glob_files(pattern)
            if not matches:
                found.append(
                    SpecCheck(
                        pattern,
                        error=SpecError(
                            [
                                Problem(
                                    Location(pattern),
                                    "no file matches this pattern",
                                    hint="check the folder and the extension (.yaml or .yml)",
                                )
                            ]
                        ),
                    )
                )
        else:
            matches = [pattern]
        for m in matches:
            if os.path.normpath(m) not in seen:
                seen.add(os.path.normpath(m))
                found.append(m)
    return found


def check_files(patterns: list[str]) -> list[SpecCheck]:
    """Load, analyse and check every spec matched by ``patterns``; never raises SpecError."""
    return [
        entry if isinstance(entry, SpecCheck) else check_path(entry)
        for entry in expand_paths(patterns)
    ]


def check_path(path: str) -> SpecCheck:
    """One spec's result; whatever goes wrong with it is an invalid result, never an exception,
    so that the other specs are still checked."""
    try:
        return check_spec(load_spec(path))
    except SpecError as err:
        return SpecCheck(path, error=err)
    except ConvcalcError as err:
        return SpecCheck(path, error=SpecError([Problem(Location(path), err.render())]))
    except RecursionError:
        return SpecCheck(path, error=SpecError([Problem(Location(path), "nests too deeply")]))
    except MemoryError:
        return SpecCheck(
            path, error=SpecError([Problem(Location(path), "needs more memory than there is")])
        )
    except Exception as exc:  # a bug in convcalc: say so, and go on with the other specs
        return SpecCheck(path, error=SpecError([internal_problem(path, exc)]))


def internal_problem(path: str, exc: BaseException) -> Problem:
    return Problem(
        Location(path),
        f"convcalc failed on this spec: {type(exc).__name__}: {exc}",
        hint="this is a bug in convcalc; please report it with the spec",
    )


def exit_code(results: list[SpecCheck]) -> int:
    statuses = {r.status for r in results}
    return 2 if "invalid" in statuses else 1 if "fail" in statuses else 0


def check_spec(spec: Spec, report: Report | None = None) -> SpecCheck:
    """Every expectation and budget of ``spec``; raises SpecError if it cannot be analysed or a
    budget cannot be evaluated (e.g. a per-axis bound with the wrong number of axes)."""
    report = report or analyze(spec)
    field = model_field({name: report.field_of(name) for name in report.outputs}, report.outputs)
    outcomes = mark_incomplete(report, _expectations(spec, report) + _budgets(spec, report, field))
    return SpecCheck(
        spec.file, spec.name, outcomes, report=report, receptive_field=field, spec=spec
    )


def _expectations(spec: Spec, report: Report) -> list[Outcome]:
    src = spec.source
    out: list[Outcome] = []
    totals = report.totals
    for key, expected in spec.expect.items():
        loc = src.key_at(("expect", key))
        if key in TOTAL_FIELDS:
            actual = getattr(totals, key)
            out.append(Outcome("expect", key, expected, actual, actual == expected, loc))
        elif key == "output_shape":
            actual = report.output_shape
            out.append(
                Outcome(
                    "expect",
                    key,
                    tuple(expected),
                    actual,
                    actual == tuple(expected),
                    loc,
                    layer=report.outputs[-1],
                )
            )
    for lname, lexp in (spec.expect.get("layers") or {}).items():
        row = report.row(lname)
        for key, expected in lexp.items():
            loc = src.key_at(("expect", "layers", lname, key))
            dotted = f"layers.{lname}.{key}"
            if key == "receptive_field":
                f = report.field_of(lname)
                want = (
                    _per_axis(expected, len(f.size), loc, dotted)
                    if f.known
                    else expected
                    if isinstance(expected, int)
                    else tuple(expected)
                )
                actual = f.size if f.known else None
                out.append(
                    Outcome(
                        "expect",
                        dotted,
                        want,
                        actual,
                        actual == want,
                        loc,
                        note=f.reason,
                        layer=lname,
                    )
                )
            elif key == "output_shape":
                out.append(
                    Outcome(
                        "expect",
                        dotted,
                        tuple(expected),
                        row.output_shape,
                        row.output_shape == tuple(expected),
                        loc,
                        layer=lname,
                    )
                )
            else:
                actual = getattr(row, key)
                out.append(
                    Outcome(
                        "expect", dotted, expected, actual, actual == expected, loc, layer=lname
                    )
                )
    return out


def _budgets(spec: Spec, report: Report, rf: Field) -> list[Outcome]:
    src = spec.source
    budget = spec.budget
    dtype = budget.get("dtype", "float32")
    size = DTYPE_BYTES[dtype]
    t = report.totals
    out: list[Outcome] = []
    for key, bound in budget.items():
        loc = src.key_at(("budget", key))
        if key == "max_params":
            out.append(Outcome("budget", key, bound, t.params, t.params <= bound, loc))
        elif key == "max_macs":
            out.append(Outcome("budget", key, bound, t.macs, t.macs <= bound, loc))
        elif key == "max_param_bytes":
            actual = t.params * size
            out.append(Outcome("budget", key, bound, actual, actual <= bound, loc, note=dtype))
        elif key == "max_activation_bytes":
            largest = max(report.rows, key=lambda r: r.output_elements)
            actual = largest.output_elements * size
            out.append(
                Outcome(
                    "budget",
                    key,
                    bound,
                    actual,
                    actual <= bound,
                    loc,
                    note=dtype,
                    layer=largest.name,
                )
            )
        elif key in ("max_receptive_field", "min_receptive_field"):
            if not rf.known:
                out.append(Outcome("budget", key, bound, None, False, loc, note=rf.reason))
                continue
            want = _per_axis(bound, len(rf.size), loc, f"budget.{key}")
            ok = all((a <= b) if key.startswith("max") else (a >= b) for a, b in zip(rf.size, want))
            out.append(
                Outcome("budget", key, want, rf.size, ok, loc, layer=", ".join(report.outputs))
            )
    return out


def _per_axis(value: Any, n: int, loc: Location, what: str) -> tuple[int, ...]:
    """An int (every spatial axis) or a list with one int per spatial axis -> a tuple."""
    if n == 0:
        raise SpecError(
            [
                Problem(
                    loc,
                    f"{what}: this spec's input has no spatial axes, so it has no receptive field",
                    hint="remove this entry",
                )
            ]
        )
    if isinstance(value, int):
        return (value,) * n
    if len(value) != n:
        raise SpecError(
            [
                Problem(
                    loc,
                    f"{what} lists {len(value)} values but the input has {n} spatial axes",
                    hint=f"give one int, or a list of {n}",
                )
            ]
        )
    return tuple(value)
