"""Rows 12, 14 and 15 of issue 9's table, and the error boundary: `--git REV` is never an
option, a full or closed stdout and Ctrl-C end with a message and their exit code, any other
failure is reported, not a traceback; a 100,000-layer table is abridged, not dropped."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import convcalc.tools.check  # noqa: F401  (imported before a test patches what it imports)
from convcalc.analysis import analyze, parse_spec
from convcalc.render import machine, table
from tests.security.conftest import GOOD, ROOT, cli, no_traceback, process

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@needs_git
@pytest.mark.parametrize(
    "rev", ["--output=PWNED", "--output", "-o", "--exec=touch PWNED", "HEAD --output=PWNED"]
)
def test_git_revision_is_never_an_option(here: Path, rev: str) -> None:
    (here / "m.yaml").write_text(GOOD)
    _git(here, "init", "-q")
    _git(here, "add", ".")
    _git(here, "commit", "-qm", "m")
    result = cli("diff", "m.yaml", f"--git={rev}")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --git {rev}: not a revision of this repository\n"
        "  hint: e.g. HEAD, HEAD~1, main or origin/main\n",
    )
    assert sorted(p.name for p in here.iterdir()) == [".git", "m.yaml"]  # nothing written
    assert cli("diff", "m.yaml", "--git", "HEAD").exit_code == 0


def test_stdout_is_dev_full(here: Path) -> None:
    (here / "m.yaml").write_text(GOOD)
    with open("/dev/full", "w") as full:
        done = process("summary", "m.yaml", cwd=here, stdout=full, stderr=subprocess.PIPE)
    assert (done.returncode, done.stderr) == (
        74,
        "error: cannot write the output: No space left on device\n",
    )
    with open("/dev/full", "w") as full:
        done = process("--help", cwd=here, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 74
    no_traceback(done.stderr)


def test_stdout_closed_early(here: Path) -> None:
    layers = "".join(f"  - ReLU: {{name: r{i}}}\n" for i in range(3000))
    (here / "long.yaml").write_text("input: [4]\nlayers:\n" + layers)
    proc = subprocess.Popen(
        [sys.executable, "-m", "convcalc", "summary", "long.yaml", "--format", "json"],
        cwd=here,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == b'{\n  "schem'
    proc.stdout.close()  # `convcalc ... | head -c 10`
    err = proc.stderr.read().decode()
    assert (proc.wait(), err) == (141, "")


def test_ctrl_c_is_exit_130_with_a_message(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "m.yaml").write_text(GOOD)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("convcalc.analysis.analyze", interrupted)
    result = cli("summary", "m.yaml")
    assert (result.exit_code, result.stderr) == (
        130,
        "error: interrupted; files being written were left as they were\n",
    )


def test_a_bug_is_a_message_and_exit_3(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (here / "m.yaml").write_text(GOOD)

    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("an internal mistake")

    monkeypatch.setattr("convcalc.analysis.analyze", broken)
    result = cli("summary", "m.yaml")
    assert (result.exit_code, result.stderr) == (
        3,
        "error: convcalc failed: TypeError: an internal mistake\n"
        "  hint: this is a bug in convcalc; please report it with the command and its input "
        "(CONVCALC_DEBUG=1 shows the traceback)\n",
    )
    monkeypatch.setattr("convcalc.tools.check.check_spec", broken)
    (here / "n.yaml").write_text(GOOD)
    result = cli("check", "*.yaml")  # one spec's failure does not stop the others
    assert result.exit_code == 2
    assert result.stdout.splitlines()[-1] == "2 specs: 0 passed, 0 failed, 2 invalid"


def test_usage_errors_are_exit_2_not_1(here: Path) -> None:
    result = cli("check", "--format", "nope", "x.yaml")
    assert result.exit_code == 2
    assert cli("summary", "m.yaml", "--max-file-size", "big").exit_code == 2


def test_a_long_table_is_abridged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table, "MAX_TABLE_ROWS", 10)
    layers = "".join(f"  - ReLU: {{name: r{i}}}\n" for i in range(30))
    report = analyze(parse_spec("input: [4]\nlayers:\n" + layers, "t.yaml"))
    text = table.render_table(report)
    names = [line.split()[0] for line in text.splitlines() if line.startswith(" r")]
    # 31 rows (the input and 30 layers): the first 5 (input_1, r0-r3), then the last 5
    assert names == ["r0", "r1", "r2", "r3", "r25", "r26", "r27", "r28", "r29"]
    assert " ... 21 more layers     (--format json lists all)" in text
    assert "Total params:" in text


def test_json_of_many_layers_is_the_generic_document() -> None:
    import json

    layers = "".join(
        f"  - Conv2D: {{name: c{i}, filters: 2, kernel_size: 1}}\n" for i in range(300)
    )
    report = analyze(parse_spec("input: [4, 4, 2]\nlayers:\n" + layers, "t.yaml"))
    text = machine.render_json(report)
    assert json.loads(text) == machine.report_dict(report)
    assert text == machine.dumps(machine.report_dict(report))
