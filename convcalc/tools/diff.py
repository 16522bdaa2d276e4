"""``convcalc diff``: what a change to a spec costs, layer by layer (the pull-request view).

Layers are matched by name. A layer is "changed" when its type, output shape, params or MACs
differ; layers only in the new spec are "added", only in the old one "removed". Rows come in the
new spec's order, each removed layer right after the layer that preceded it in the old spec.
``--git REV`` reads the old version from git (git is optional).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from convcalc.analysis import parse_spec
from convcalc.errors import UsageError
from convcalc.report import LayerRow, Report, Totals
from convcalc.spec.files import decode_spec
from convcalc.spec.limits import current
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
    """The spec at ``path`` as committed at git revision ``rev``.

    ``rev`` is only ever a revision: it is resolved to a commit with ``git rev-parse --verify
    --end-of-options`` (so ``--output=FILE`` is refused, never obeyed), and the file is read
    as a blob of that commit within the spec size limit.
    """
    p = Path(path)
    if shutil.which("git") is None:
        raise UsageError("--git needs git, which was not found on PATH")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{path}: no such folder")

    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def why(done: subprocess.CompletedProcess[bytes], default: str) -> str:
        text = done.stderr.decode("utf-8", "replace").strip().splitlines() or [default]
        return text[0].removeprefix("fatal: ")

    if git("rev-parse", "--show-toplevel").returncode != 0:
        raise UsageError(
            f"{path} is not inside a git repository, so --git {rev} has nothing to compare with"
        )
    commit = git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    sha = commit.stdout.decode("ascii", "replace").strip()
    if commit.returncode != 0 or not sha:
        raise UsageError(
            f"--git {rev}: not a revision of this repository",
            hint="e.g. HEAD, HEAD~1, main or origin/main",
        )
    blob = f"{sha}:./{p.name}"
    kind = git("cat-file", "-t", blob)
    if kind.returncode != 0 or kind.stdout.strip() != b"blob":
        reason = why(kind, "not a file") if kind.returncode else "not a file there"
        raise UsageError(f"cannot read {path} at {rev}: {reason}")
    size = int(git("cat-file", "-s", blob).stdout.strip() or 0)
    limit = current().max_file_bytes
    if size > limit:
        raise UsageError(
            f"{path} at {rev} is {size:,} bytes, over the limit of {limit:,} bytes for a spec",
            hint=f"pass --max-file-size {size} (or more) to read it",
        )
    shown = git("cat-file", "blob", blob)
    if shown.returncode != 0:
        raise UsageError(f"cannot read {path} at {rev}: {why(shown, 'git cat-file failed')}")
    file = f"{rev}:{path}"
    return parse_spec(decode_spec(shown.stdout, file), file)
