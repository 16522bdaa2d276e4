"""The model zoo: spec files shipped inside the package (``convcalc/zoo/*.yaml``).

A spec argument that is not an existing file but a zoo name (``resnet50``) means that zoo spec,
so ``convcalc summary resnet50`` works right after ``pip install``. Each zoo spec mirrors its
reference implementation's layer names and carries ``expect:`` values from a published source
named in its top-level ``source:`` key.
"""

from __future__ import annotations

from pathlib import Path

from convcalc.errors import Location, Problem
from convcalc.fields import suggest

ZOO_DIR = Path(__file__).resolve().parent


def names() -> list[str]:
    """Every zoo spec's name, sorted."""
    return sorted(p.stem for p in ZOO_DIR.glob("*.yaml"))


def path_of(name: str) -> Path | None:
    """The file of zoo spec ``name``, or None if there is none by that name."""
    if name not in names():
        return None
    return ZOO_DIR / f"{name}.yaml"


def resolve(spec: str | Path) -> str | Path:
    """``spec`` itself if it is a file (or looks like a path); else the zoo spec of that name
    if there is one; else ``spec`` (the loader then reports that there is no such file)."""
    text = str(spec)
    if Path(text).exists() or "/" in text or "\\" in text or text.endswith((".yaml", ".yml")):
        return spec
    found = path_of(text)
    return found if found is not None else spec


def is_zoo_file(path: str | Path) -> bool:
    try:
        return Path(path).resolve().parent == ZOO_DIR
    except OSError:
        return False


def not_found(spec: str | Path) -> Problem | None:
    """The problem to report for a bare name that is neither a file nor a zoo spec."""
    text = str(spec)
    if Path(text).exists() or any(c in text for c in "/\\.") or path_of(text) is not None:
        return None
    near = suggest(text, names())
    return Problem(
        Location(text),
        "no such file, and no zoo spec of that name",
        hint=(f"did you mean '{near}'? " if near else "")
        + "`convcalc zoo` lists the specs that ship with convcalc",
    )
