"""Property-based fuzzing: whatever spec comes in, the engine returns a report whose sums equal
its totals and whose JSON round-trips, or raises a convcalc error; small specs run with shapes
equal to the analytic ones; the CLI ends with 0, 1 or 2 and never a traceback. Every input a
fuzzer ever failed on is replayed from ``regressions/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcalc.analysis import parse_spec
from convcalc.cli import app
from tests.fuzz.strategies import mutated_texts, spec_texts
from tests.fuzz.target import check_text

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*"))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(spec_texts())
def test_generated_specs_report_or_fail_cleanly(text: str) -> None:
    check_text(text)


@FAST
@given(mutated_texts())
def test_mutated_specs_report_or_fail_cleanly(text: str) -> None:
    check_text(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_texts(max_layers=4))
def test_small_specs_run_with_the_analytic_shapes(text: str) -> None:
    report = check_text(text)
    if report is None or report.totals.macs > 200_000:
        return
    from convcalc.runtime.executor import execute
    from convcalc.runtime.options import RunOptions

    result = execute(parse_spec(text, "fuzz.yaml"), report, RunOptions(batch=2))
    assert result.batch == 2
    for row in report.rows:
        assert result.layers[row.name].executed_shape == row.output_shape


OPTIONS = st.lists(
    st.sampled_from(
        [
            ["--format", "json"],
            ["--format", "markdown"],
            ["--format", "csv"],
            ["--style", "keras"],
            ["--max-layers", "2"],
            ["--max-file-size", "100"],
            ["--color"],
            ["--no-color"],
            ["--allow-outside-links"],
        ]
    ),
    max_size=2,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=mutated_texts() | spec_texts(),
    command=st.sampled_from(["summary", "check", "diff"]),
    options=OPTIONS,
)
def test_the_cli_ends_with_a_documented_code(
    tmp_path: Path, text: str, command: str, options: list[list[str]]
) -> None:
    spec = tmp_path / "f.yaml"
    spec.write_text(text, encoding="utf-8", errors="surrogatepass")
    args = [command, str(spec)] + ([str(spec)] if command == "diff" else [])
    for option in options:
        if (command == "check" and option[0] in ("--style",)) or (
            option[-1] == "csv" and command != "summary"
        ):
            continue
        args += option
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1, 2), (args, result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_every_crash_the_fuzzers_found_stays_fixed(path: Path) -> None:
    from convcalc.errors import SpecError
    from convcalc.spec.files import decode_spec

    try:
        text = decode_spec(path.read_bytes(), path.name)
    except SpecError:
        return
    check_text(text)
