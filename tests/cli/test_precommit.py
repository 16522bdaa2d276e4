""".pre-commit-hooks.yaml: the hook runs `convcalc check` on spec files, and only on them."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_hook_definition() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "convcalc-check"
    assert hook["entry"] == "convcalc check"
    assert hook["language"] == "python"
    assert hook.get("pass_filenames", True) is True  # the files are check's SPEC arguments
    files = re.compile(hook["files"])
    matched = [
        p
        for p in (
            "specs/vgg16.yaml",
            "models/specs/resnet.yml",
            "specs/a/b.yaml",
            ".github/workflows/ci.yml",
            "docker-compose.yaml",
            "myspecs/x.yaml",
            "specs/notes.txt",
        )
        if files.search(p)
    ]
    assert matched == ["specs/vgg16.yaml", "models/specs/resnet.yml", "specs/a/b.yaml"]


def test_the_hook_checks_this_projects_specs() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(hook["files"])
    specs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "specs").glob("*.yaml"))
    assert specs and all(files.search(p) for p in specs)
