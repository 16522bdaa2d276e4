"""Rows 6-7 and 13 of issue 9's table: nothing a spec or a file name holds can forge a GitHub
annotation, break JUnit XML, reach a terminal as an escape sequence or pass HTML into a PR
comment; problem lists and quoted values are capped."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from convcalc.errors import MAX_PROBLEMS
from convcalc.render import escape
from tests.security.conftest import CONV, GOOD, cli, no_traceback

FORGED = "\n::error file=x,line=1::forged\n::add-mask::secret\n"
# the same string as a YAML double-quoted scalar
QUOTED = '"a\\n::error file=x,line=1::forged\\n::add-mask::secret\\n"'

HOSTILE_SPECS = {
    "spec-name.yaml": f"name: {QUOTED}\n" + GOOD,
    "layer-name.yaml": CONV.replace("name: c,", f"name: {QUOTED},") + "expect: {params: 1}\n",
    "expect-key.yaml": CONV + f"expect:\n  {QUOTED}: 1\n",
    "escape.yaml": 'name: "\\e[31mred\\e[0m\\u202e"\n' + GOOD,
    "nul.yaml": 'name: "a\\0b"\n' + GOOD,
}


def _commands_ok(text: str) -> None:
    """Every workflow command in ``text`` is one convcalc wrote: ::error file=... or the one
    ::warning; nothing can start a line with :: otherwise."""
    for line in text.splitlines():
        if line.startswith("::"):
            assert re.match(r"::(error file=|warning title=convcalc::)", line), line
            assert "::add-mask" not in line.split("::", 2)[1]


@pytest.fixture()
def hostile(here: Path) -> Path:
    for name, text in HOSTILE_SPECS.items():
        (here / name).write_text(text)
    (here / f"file{FORGED}name.yaml").write_text(GOOD)
    (here / "html.yaml").write_text(
        "name: '<img src=x onerror=alert(1)> @org/team [x](http://e) `code`'\n"
        + CONV.replace("name: c,", "name: '<script>alert(1)</script>|x',")
        + "expect: {params: 1}\n"
    )
    return here


@pytest.mark.parametrize("fmt", ["text", "github", "json", "junit", "markdown"])
def test_no_output_format_carries_raw_control_characters(hostile: Path, fmt: str) -> None:
    result = cli("check", "*.yaml", "--format", fmt)
    assert result.exit_code == 2
    no_traceback(result.stdout, result.stderr)
    for text in (result.stdout, result.stderr):  # GitHub reads workflow commands in both
        _commands_ok(text)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", text)
        assert "::add-mask::secret" not in [line.strip() for line in text.splitlines()]
    if fmt == "json":
        doc = json.loads(result.stdout)
        files = {s["file"] for s in doc["specs"]}
        assert f"file{FORGED}name.yaml" in files  # JSON carries the name exactly, escaped
    if fmt == "junit":
        root = ET.fromstring(result.stdout)  # well-formed XML
        assert root.get("tests") is not None
    if fmt == "markdown":
        assert "<img" not in result.stdout and "<script>" not in result.stdout
        assert "@org" not in result.stdout  # no mention
        assert "(&lt;img src=x onerror=alert(1)> &#64;org/team \\[x\\](http://e) \\`code\\`)" in (
            result.stdout
        )


def test_the_file_name_is_escaped_in_annotations(hostile: Path) -> None:
    result = cli("check", f"file{FORGED}name.yaml", "--format", "github")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "PASS   file\\n::error file=x,line=1::forged\\n::add-mask::secret\\nname.yaml "
        "(file\\n::error file=x,line=1::forged\\n::add-mask::secret\\nname): 1 check holds",
        "1 spec: 1 passed, 0 failed, 0 invalid",
    ]


def test_names_are_not_rich_markup_and_the_table_stays_whole(here: Path) -> None:
    (here / "m.yaml").write_text(
        "name: '[/bold] [red]x'\n" + CONV.replace("name: c,", "name: '[link=http://e]c[/link]',")
    )
    result = cli("summary", "m.yaml", "--color")
    assert result.exit_code == 0, result.stderr
    assert 'Model: "[/bold] [red]x"' in result.stdout
    assert "[link=http://e]c[/link] (Conv2D)" in result.stdout


def test_markdown_summary_and_diff_escape_names(here: Path) -> None:
    (here / "h.yaml").write_text(CONV.replace("name: c,", "name: '<b>x</b>|y',"))
    result = cli("summary", "h.yaml", "--format", "markdown")
    assert "| &lt;b>x&lt;/b>\\|y (Conv2D) |" in result.stdout
    result = cli("diff", "h.yaml", "h.yaml", "--format", "markdown", "--all")
    assert "&lt;b>x&lt;/b>\\|y (Conv2D)" in result.stdout and "<b>" not in result.stdout


def test_problem_lists_are_capped_with_a_count(here: Path) -> None:
    n = 3 * MAX_PROBLEMS
    layers = "".join(f"  - Conv2D: {{name: c{i}, filters: 4, kernal_size: 3}}\n" for i in range(n))
    (here / "many.yaml").write_text("input: [8, 8, 3]\nlayers:\n" + layers)
    result = cli("check", "many.yaml", "--format", "github")
    assert result.exit_code == 2
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    # each layer has two problems (unknown kernal_size, missing kernel_size): 2n in all
    assert len(errors) == MAX_PROBLEMS + 1
    assert errors[-1].endswith(f"::... and {2 * n - MAX_PROBLEMS:,} more problems")
    assert result.stderr.splitlines()[-2:] == [
        f"... and {2 * n - MAX_PROBLEMS:,} more problems (the first {MAX_PROBLEMS} shown)",
        f"{2 * n:,} problems in many.yaml",
    ]
    doc = json.loads(cli("check", "many.yaml", "--format", "json").stdout)
    assert (len(doc["specs"][0]["errors"]), doc["specs"][0]["more_errors"]) == (
        MAX_PROBLEMS,
        2 * n - MAX_PROBLEMS,
    )


def test_a_huge_received_value_is_quoted_short(here: Path) -> None:
    (here / "wide.yaml").write_text(
        "input: [" + ", ".join(["1"] * 100_000) + ", 0]\nlayers: [Flatten]\n"
    )
    result = cli("summary", "wide.yaml")
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert len(first) < 500
    assert first.startswith("wide.yaml:1:8: error: input must be one sample's shape")
    assert first.endswith(" more characters)")


def test_escape_helpers() -> None:
    assert escape.text("a\nb\x1b[31m\u202e") == "a\\nb\\x1b[31m\\u202e"
    assert escape.text("café 東京 a b") == "café 東京 a b"  # ordinary text is unchanged
    assert escape.github_data("100%\nx") == "100%25\\nx"
    assert escape.github_property("a:b,c") == "a%3Ab%2Cc"
    assert escape.markdown("<b>|@x*`") == "&lt;b>\\|&#64;x\\*\\`"
    assert escape.markdown_code("a`b|c") == "``a`b\\|c``"
    assert escape.markdown_code("`x") == "`` `x ``"
    assert escape.xml("a\x00b\ufffe") == "a\\x00b\\ufffe"


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(tmp_path) -> None:
    """OWASP's CSV injection rule: a text cell starting with = + - @ (or a tab, CR) gets a
    leading ' so that a spreadsheet shows it instead of running it; numbers stay numbers."""
    import csv
    import io

    from typer.testing import CliRunner

    from convcalc.cli import app

    spec = tmp_path / "inj.yaml"
    spec.write_text(
        "input: [8, 8, 3]\nlayers:\n"
        '  - Conv2D: {name: "=HYPERLINK(1)", filters: 4, kernel_size: 3}\n'
        '  - Conv2D: {name: "@SUM(A1)", filters: 4, kernel_size: 3}\n'
    )
    result = CliRunner().invoke(app, ["summary", str(spec), "--format", "csv"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert [r[0] for r in rows[2:]] == ["'=HYPERLINK(1)", "'@SUM(A1)"]
    assert rows[3][2] == "'=HYPERLINK(1)"  # the inputs column too
    assert rows[2][4] == "112"  # (3*3*3 + 1) * 4 params: a number, untouched
