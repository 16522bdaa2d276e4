"""``convcalc zoo``: the specs that ship with convcalc, each analysed, with its source."""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc import zoo
from convcalc.analysis import analyze, load_spec
from convcalc.errors import UsageError
from convcalc.fields import suggest
from convcalc.report import Report


class ZooEntry(NamedTuple):
    name: str
    report: Report
    source: str  # the spec's source: key

    def as_dict(self) -> dict[str, Any]:
        t = self.report.totals
        inputs = self.report.input_rows
        return {
            "name": self.name,
            **t.as_dict(),
            "input_shape": list(inputs[0].output_shape)
            if len(inputs) == 1
            else [list(r.output_shape) for r in inputs],
            "source": self.source,
        }


def catalogue() -> list[ZooEntry]:
    """Every zoo spec, loaded and analysed, by name."""
    out = []
    for name in zoo.names():
        spec = load_spec(zoo.ZOO_DIR / f"{name}.yaml")
        source = spec.source.data.get("source", "") if isinstance(spec.source.data, dict) else ""
        out.append(ZooEntry(name, analyze(spec), str(source or "")))
    return out


def spec_text(name: str) -> str:
    """The YAML of zoo spec ``name``, as shipped (a start for a variant)."""
    path = zoo.path_of(name)
    if path is None:
        near = suggest(name, zoo.names())
        raise UsageError(
            f"no zoo spec named '{name}'",
            hint=(f"did you mean '{near}'? " if near else "")
            + "the zoo has "
            + ", ".join(zoo.names()),
        )
    return path.read_text(encoding="utf-8")
