"""Helpers of the hostile-input tests: the CLI in-process and as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from convcalc.cli import app

ROOT = Path(__file__).resolve().parents[2]
# 8x8x3 -> Conv2D(4, 3x3) -> 6x6x4: params (3*3*3 + 1)*4 = 112 (by hand)
CONV = "input: [8, 8, 3]\nlayers:\n  - Conv2D: {name: c, filters: 4, kernel_size: 3}\n"
GOOD = CONV + "expect:\n  params: 112\n"


def cli(*args: object) -> Any:
    """The CLI in-process: exit code, stdout and stderr apart."""
    return CliRunner().invoke(app, [str(a) for a in args])


def process(*args: object, cwd: Path | None = None, **kw: Any) -> subprocess.CompletedProcess[str]:
    """The CLI as a real process (``python -m convcalc``), for what only a process shows:
    file descriptors, signals, the interpreter's own last words."""
    return subprocess.run(
        [sys.executable, "-m", "convcalc", *map(str, args)],
        cwd=cwd or ROOT,
        capture_output=kw.pop("capture_output", "stdout" not in kw),
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        **kw,
    )


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text
        assert "Exception ignored" not in text, text


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory (the "repository" a pull request changes)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
