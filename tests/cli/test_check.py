"""`convcalc check`: exit codes, every output format, globs, and the project's own specs."""

from __future__ import annotations

import glob
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.cli import app

ROOT = Path(__file__).resolve().parents[2]

# 8x8x3 -> Conv2D(4, 3x3, valid) -> 6x6x4: params (3*3*3 + 1)*4 = 112,
# MACs 6*6*4 * 3*3*3 = 3,888.
CONV = "input: [8, 8, 3]\nlayers:\n  - Conv2D: {name: c, filters: 4, kernel_size: 3}\n"
OK = CONV + "expect:\n  params: 112\n"
FAIL = CONV + ("expect:\n  params: 113\n  output_shape: [6, 6, 4]\nbudget:\n  max_macs: 3k\n")
BAD = CONV + "budget: {max_parms: 1}\n"
BAD_ERROR = (
    "bad.yaml:4:10: error: unknown budget 'max_parms'\n"
    "  hint: did you mean 'max_params'? allowed: max_params, max_macs, max_param_bytes,"
    " max_activation_bytes, dtype, max_receptive_field, min_receptive_field\n"
)
# the failures, by hand: params 112 - 113 = -1; MACs 3,888 - 3,000 = 888 = 29.60% of 3,000
FAIL_ROWS = (
    "FAIL   fail.yaml (fail): 2 of 3 checks failed\n"
    "       fail.yaml:5:3: expect params: expected 113, actual 112 (-1)\n"
    "       fail.yaml:8:3: budget max_macs: 3,888 exceeds 3,000 by 888 (+29.60%)\n"
)


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture()
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in (("ok.yaml", OK), ("fail.yaml", FAIL), ("bad.yaml", BAD)):
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_project_specs_all_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    files = sorted(glob.glob("specs/*.yaml"))
    assert len(files) >= 3
    result = run("check", "specs/*.yaml")  # the pattern itself: convcalc expands it
    assert result.exit_code == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == f"{len(files)} specs: {len(files)} passed, 0 failed, 0 invalid"
    for f, line in zip(files, lines):
        assert line.startswith(f"PASS   {f} (") and "hold" in line  # each carries expectations
    assert result.stderr == ""


def test_exit_0_when_everything_holds(specs: Path) -> None:
    result = run("check", "ok.yaml")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "PASS   ok.yaml (ok): 1 check holds\n1 spec: 1 passed, 0 failed, 0 invalid\n",
        "",
    )


def test_exit_1_when_an_expectation_or_budget_fails(specs: Path) -> None:
    result = run("check", "ok.yaml", "fail.yaml")
    assert result.exit_code == 1
    assert result.stdout == (
        "PASS   ok.yaml (ok): 1 check holds\n"
        + FAIL_ROWS
        + "2 specs: 1 passed, 1 failed, 0 invalid\n"
    )
    assert result.stderr == ""


def test_exit_2_wins_and_every_spec_is_still_checked(specs: Path) -> None:
    result = run("check", "bad.yaml", "ok.yaml", "fail.yaml")
    assert result.exit_code == 2
    assert result.stdout == (
        "ERROR  bad.yaml: unknown budget 'max_parms' (details on standard error)\n"
        "PASS   ok.yaml (ok): 1 check holds\n"
        + FAIL_ROWS
        + "3 specs: 1 passed, 1 failed, 1 invalid\n"
    )
    assert result.stderr == BAD_ERROR


def test_globs_are_expanded_even_when_quoted(specs: Path) -> None:
    (specs / "sub").mkdir()
    (specs / "sub" / "deep.yml").write_text(OK)
    result = run("check", "*.yaml", "**/*.yml", "ok.yaml")  # ok.yaml is not checked twice
    assert result.stdout.splitlines()[:4] == [
        "ERROR  bad.yaml: unknown budget 'max_parms' (details on standard error)",
        "FAIL   fail.yaml (fail): 2 of 3 checks failed",
        "       fail.yaml:5:3: expect params: expected 113, actual 112 (-1)",
        "       fail.yaml:8:3: budget max_macs: 3,888 exceeds 3,000 by 888 (+29.60%)",
    ]
    assert result.stdout.splitlines()[4:] == [
        "PASS   ok.yaml (ok): 1 check holds",
        "PASS   sub/deep.yml (deep): 1 check holds",
        "4 specs: 2 passed, 1 failed, 1 invalid",
    ]


def test_a_pattern_that_matches_nothing_is_an_error(specs: Path) -> None:
    result = run("check", "ok.yaml", "nothing/*.yaml")
    assert result.exit_code == 2
    assert result.stdout == (
        "PASS   ok.yaml (ok): 1 check holds\n"
        "ERROR  nothing/*.yaml: no file matches this pattern (details on standard error)\n"
        "2 specs: 1 passed, 0 failed, 1 invalid\n"
    )
    assert result.stderr == (
        "nothing/*.yaml: error: no file matches this pattern\n"
        "  hint: check the folder and the extension (.yaml or .yml)\n"
    )


def test_missing_file(specs: Path) -> None:
    result = run("check", "gone.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "gone.yaml: error: no such file\n  hint: check the path; specs are "
        "YAML files such as specs/vgg16.yaml\n"
    )


def test_json(specs: Path) -> None:
    result = run("check", "ok.yaml", "fail.yaml", "bad.yaml", "--format", "json")
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["summary"] == {"specs": 3, "passed": 1, "failed": 1, "invalid": 1, "exit_code": 2}
    ok, fail, bad = doc["specs"]
    assert ok["status"] == "pass" and ok["totals"]["params"] == 112
    assert ok["receptive_field"] == {
        "size": [3, 3],
        "effective_stride": [1, 1],
        "effective_padding": [0, 0],
        "start": [1.0, 1.0],
        "aligned": True,
    }
    assert [(c["key"], c["ok"], c["expected"], c["actual"], c["line"]) for c in fail["checks"]] == [
        ("params", False, 113, 112, 5),
        ("output_shape", True, [6, 6, 4], [6, 6, 4], 6),
        ("max_macs", False, 3000, 3888, 8),
    ]
    assert fail["checks"][0]["difference"] == -1 and fail["checks"][2]["excess"] == 888
    assert bad == {
        "file": "bad.yaml",
        "name": "",
        "status": "invalid",
        "errors": [
            {
                "file": "bad.yaml",
                "line": 4,
                "col": 10,
                "layer": "",
                "message": "unknown budget 'max_parms'",
                "hint": "did you mean 'max_params'? allowed: max_params, max_macs, max_param_bytes, "
                "max_activation_bytes, dtype, max_receptive_field, min_receptive_field",
            }
        ],
    }


def test_junit_is_xml_with_the_right_counts(specs: Path) -> None:
    result = run("check", "ok.yaml", "fail.yaml", "bad.yaml", "-f", "junit")
    assert result.exit_code == 2
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    # ok: spec + 1 check; fail: spec + 3 checks (2 fail); bad: spec (error) = 7 tests
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "2", "1")
    suites = root.findall("testsuite")
    assert [
        (s.get("name"), s.get("tests"), s.get("failures"), s.get("errors")) for s in suites
    ] == [("ok.yaml", "2", "0", "0"), ("fail.yaml", "4", "2", "0"), ("bad.yaml", "1", "0", "1")]
    fail_cases = suites[1].findall("testcase")
    assert [c.get("name") for c in fail_cases] == [
        "spec",
        "expect.params",
        "expect.output_shape",
        "budget.max_macs",
    ]
    failure = fail_cases[3].find("failure")
    assert failure is not None and failure.get("message") == (
        "budget max_macs: 3,888 exceeds 3,000 by 888 (+29.60%)"
    )
    assert fail_cases[3].get("line") == "8" and fail_cases[3].get("file") == "fail.yaml"
    error = suites[2].find("testcase/error")
    assert error is not None and error.text == BAD_ERROR.rstrip("\n")
    # every test case appears once, and the counts add up
    assert sum(len(s.findall("testcase")) for s in suites) == 7
    assert len(root.findall(".//failure")) == 2 and len(root.findall(".//error")) == 1


def test_github_annotates_the_line_of_each_failure(specs: Path) -> None:
    result = run("check", "ok.yaml", "fail.yaml", "bad.yaml", "--format", "github")
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "::error file=fail.yaml,line=5,col=3,title=convcalc check%3A expect.params::"
        "expect params: expected 113, actual 112 (-1)",
        "::error file=fail.yaml,line=8,col=3,title=convcalc check%3A budget.max_macs::"
        "budget max_macs: 3,888 exceeds 3,000 by 888 (+29.60%25)",
        "::error file=bad.yaml,line=4,col=10,title=convcalc%3A invalid spec::"
        "unknown budget 'max_parms' (hint: did you mean 'max_params'? allowed: max_params, "
        "max_macs, max_param_bytes, max_activation_bytes, dtype, max_receptive_field, "
        "min_receptive_field)",
    ]
    # line 5 of fail.yaml is the `params: 113` key, line 8 the `max_macs` key
    text = (specs / "fail.yaml").read_text().splitlines()
    assert text[4] == "  params: 113" and text[7] == "  max_macs: 3k"
    assert lines[3] == "PASS   ok.yaml (ok): 1 check holds"  # then the plain text summary
    assert lines[-1] == "3 specs: 1 passed, 1 failed, 1 invalid"


def test_github_absolute_paths_are_made_relative(specs: Path) -> None:
    result = run("check", str(specs / "fail.yaml"), "-f", "github")
    assert result.stdout.splitlines()[0].startswith("::error file=fail.yaml,line=5,col=3,")


def test_markdown(specs: Path) -> None:
    result = run("check", "ok.yaml", "fail.yaml", "bad.yaml", "--format", "markdown")
    assert result.exit_code == 2
    assert (
        result.stdout
        == """### convcalc check: 2 of 3 specs need attention

| | Spec | Checks | Result |
|:-:|:--|--:|:--|
| ✅ | `ok.yaml` (ok) | 1 | pass |
| ❌ | `fail.yaml` (fail) | 3 | 2 failed |
| ⚠️ | `bad.yaml` | | invalid spec (1 problem) |

| Where | Check | Expected / bound | Actual | Difference |
|:--|:--|--:|--:|--:|
| `fail.yaml:5:3` | expect.params | 113 | 112 | -1 |
| `fail.yaml:8:3` | budget.max_macs | 3,000 | 3,888 | 888 (+29.60%) |

| Where | Problem |
|:--|:--|
| `bad.yaml:4:10` | unknown budget 'max_parms' |
"""
    )


def test_markdown_all_pass(specs: Path) -> None:
    result = run("check", "ok.yaml", "-f", "markdown")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "### convcalc check: all 1 specs pass"


def test_update_only_with_text(specs: Path) -> None:
    result = run("check", "ok.yaml", "--update", "--format", "json")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --update prints a diff; drop --format json\n",
    )


def test_check_does_not_import_numpy() -> None:
    code = (
        "import sys\nfrom convcalc.cli import app\n"
        "for args in (['check', 'specs/vgg16.yaml', '-f', 'json'], ['schema'],\n"
        "             ['diff', 'specs/vgg16.yaml', 'specs/vgg16.yaml']):\n"
        "    try:\n        app(args)\n    except SystemExit:\n        pass\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "False"
