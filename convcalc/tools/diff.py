"""``convcalc diff``: what a change to a spec costs, layer by layer (the pull-request view).

Layers are matched by name. A layer is "changed" when its type, output shape, params or MACs
differ; layers only in the new spec are "added", only in the old one "removed". Rows come in the
new spec's order, each removed layer right after the layer that preceded it in the old spec.
``--git REV`` reads the old version with ``git show REV:./FILE`` (git is optional).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from convcalc.analysis import parse_spec
from convcalc.errors import UsageError
from convcalc.report import LayerRow, Report, Totals
from convcalc.spec.model import Spec

FIELDS = ("kind", "output_shape", "params", "macs")


@dataclass(frozen=True)
class LayerDiff:
    name: str
    status: str  # "same" | "changed" | "added" | "removed"
    old: LayerRow | None
    new: LayerRow | None

    @property
    def changed_fields(self) -> tuple[str, ...]:
        if self.old is None or self.new is None:
            return ()
        return tuple(f for f in FIELDS if getattr(self.old, f) != getattr(self.new, f))


@dataclass(frozen=True)
class SpecDiff:
    old: Report
    new: Report
    layers: tuple[LayerDiff, ...]

    @property
    def totals(self) -> tuple[Totals, Totals]:
        return self.old.totals, self.new.totals

    @property
    def differs(self) -> bool:
        return (
            any(d.status != "same" for d in self.layers)
            or self.old.totals != self.new.totals
            or self.old.output_shape != self.new.output_shape
        )

    def count(self, status: str) -> int:
        return sum(1 for d in self.layers if d.status == status)


def diff_reports(old: Report, new: Report) -> SpecDiff:
    old_rows = {r.name: r for r in old.rows}
    new_rows = {r.name: r for r in new.rows}
    result: list[LayerDiff] = []
    for r in new.rows:
        before = old_rows.get(r.name)
        if before is None:
            result.append(LayerDiff(r.name, "added", None, r))
        else:
            d = LayerDiff(r.name, "same", before, r)
            result.append(LayerDiff(r.name, "changed", before, r) if d.changed_fields else d)
    # each removed layer goes after the nearest layer that preceded it in the old spec
    anchor = ""
    for r in old.rows:
        if r.name in new_rows:
            anchor = r.name
            continue
        at = 0
        if anchor:
            at = next(i for i, d in enumerate(result) if d.name == anchor) + 1
            while at < len(result) and result[at].status == "removed":
                at += 1
        result.insert(at, LayerDiff(r.name, "removed", r, None))
        anchor = r.name
    return SpecDiff(old, new, tuple(result))


def spec_at_revision(path: str | Path, rev: str) -> Spec:
    """The spec at ``path`` as committed at git revision ``rev``."""
    p = Path(path)
    if shutil.which("git") is None:
        raise UsageError("--git needs git, which was not found on PATH")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{path}: no such folder")

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )

    if git("rev-parse", "--show-toplevel").returncode != 0:
        raise UsageError(
            f"{path} is not inside a git repository, so --git {rev} has nothing to compare with"
        )
    shown = git("show", f"{rev}:./{p.name}")
    if shown.returncode != 0:
        why = (shown.stderr.strip().splitlines() or ["git show failed"])[0]
        why = why.removeprefix("fatal: ")
        raise UsageError(f"cannot read {path} at {rev}: {why}")
    return parse_spec(shown.stdout, f"{rev}:{path}")
