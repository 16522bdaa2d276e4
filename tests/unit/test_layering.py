"""The import rule, checked over every import in convcalc/ (top level and inside functions):

    errors, shapes, fields, counting, atomic, ops  <  layers  <  spec  <  importers  <  report
        <  analysis  <  runtime  <  tools  <  render  <  cli

A module imports only from its own floor or below. ``ops/`` imports nothing from convcalc.
``importers/`` (Keras configs, ONNX graphs -> spec documents) builds on the spec loader and
nothing above it, so that ``analysis.load_spec`` can hand it any file a command takes.
Imports inside functions are allowed only for numpy, rich, yaml and convcalc.ops (to keep
``convcalc summary`` from loading them), for the stdlib modules only an importer needs (json,
zipfile) and the optional extras (onnx, h5py, safetensors, numba), and in the CLI and the package's
API functions (``convcalc/__init__.py``), which load only the command that runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "convcalc"
FLOORS = [
    {"errors", "shapes", "fields", "counting", "atomic", "ops"},
    {"layers"},
    {"spec", "zoo"},  # zoo: the shipped spec files, resolved by name where a spec is read
    {"importers"},  # Keras and ONNX files read as spec documents (above spec, below report)
    {"report"},
    {"analysis"},
    {"runtime"},
    {"tools"},
    {"render"},
    {"cli"},
]
LAZY_OK = (
    "numpy",
    "rich",
    "yaml",
    "convcalc.ops",
    "json",
    "zipfile",
    "onnx",
    "h5py",
    "safetensors",
    "numba",
)
LAZY_ANYTHING = (
    "cli",
    "__init__",
    "__main__",
)  # top-level units whose functions may import anything


def floor(unit: str) -> int:
    return next(i for i, names in enumerate(FLOORS) if unit in names)


def unit_of(module: str) -> str:
    """``convcalc.layers.conv`` -> ``layers``; ``convcalc.errors`` -> ``errors``; the package
    itself (and names imported from it, ``convcalc.__version__``) -> ``__init__``."""
    parts = module.split(".")
    if (len(parts) > 1 and any(parts[1] in names for names in FLOORS)) or parts[1:2] == [
        "__main__"
    ]:
        return parts[1]
    return "__init__"


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(n) for n in tree.body}
    for node in tree.body:  # imports under `if TYPE_CHECKING:` count as top level
        if isinstance(node, ast.If):
            top |= {id(n) for n in node.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            found.append((name, node.lineno, id(node) not in top))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    return ".".join(("convcalc",) + path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(
        ".__init__"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down(path: Path) -> None:
    me = module_name(path)
    mine = unit_of(me)
    bad = []
    for name, line, lazy in imports(path):
        if name.startswith("convcalc.") or name == "convcalc":
            target = unit_of(name)
            if target in ("__init__", mine):
                continue
            if mine == "ops":
                bad.append(f"{line}: ops imports {name}: ops imports nothing from convcalc")
            elif mine not in ("__init__", "__main__") and floor(target) > floor(mine):
                bad.append(f"{line}: {mine} imports {name}, which is above it")
        if (
            lazy
            and mine not in LAZY_ANYTHING
            and not any(name == ok or name.startswith(ok + ".") for ok in LAZY_OK)
        ):
            bad.append(f"{line}: {name} is imported inside a function")
    assert bad == []


def test_the_floors_name_every_unit() -> None:
    units = {unit_of(module_name(p)) for p in MODULES} - {"__init__", "__main__"}
    assert units <= set().union(*FLOORS)


def test_summary_imports_neither_numpy_nor_rich_at_startup() -> None:
    import subprocess
    import sys

    code = (
        "import sys, convcalc.cli, convcalc.layers, convcalc.analysis, convcalc.render; "
        "print(sorted(m for m in ('numpy', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
