"""The console script's entry point (convcalc.__main__.main: imports with the cycle collector
paused, leaves without the interpreter's teardown) against the command line run the usual way
(convcalc.cli.main, then a normal interpreter exit), the reference: the same output, messages
and exit status."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

CASES = [
    ["summary", "specs/vgg16.yaml"],
    ["summary", "resnet50", "--format", "json"],
    ["summary", "nothing.yaml"],
    ["summary", "resnet50", "--depth", "0"],
    ["summary", "resnet50", "--format", "xml"],
    ["--version"],
    [],
    ["summary", "--help"],
    ["check", "specs/vgg16.yaml"],
    ["conv", "--input", "5x5", "--filters", "2", "--kernel", "3"],
]


def _run(entry: str, args: list[str], stdout: object = subprocess.PIPE) -> tuple[int, str, str]:
    code = f"import sys; sys.argv = ['convcalc'] + {args!r}; {entry}"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout or "", proc.stderr


ENTRY = "from convcalc.__main__ import main; main()"
REFERENCE = "from convcalc.cli import main; main()"


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a) or "(none)")
def test_the_entry_point_behaves_as_a_normal_exit(args: list[str]) -> None:
    assert _run(ENTRY, args) == _run(REFERENCE, args)


def test_a_full_disk_is_reported_alike() -> None:
    with open("/dev/full", "w") as full:
        got = _run(ENTRY, ["summary", "specs/vgg16.yaml"], stdout=full)
    with open("/dev/full", "w") as full:
        assert got == _run(REFERENCE, ["summary", "specs/vgg16.yaml"], stdout=full)
    assert got[0] == 74
