"""Rows 1-2 of issue 9's table: YAML that used to crash or exhaust the machine is a located
error with exit code 2, and `check` goes on with the other specs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError
from convcalc.spec.limits import ALIAS_FLOOR, MAX_DEPTH, MAX_INT_DIGITS
from tests.security.conftest import CONV, GOOD, cli, no_traceback


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: !foo 4, kernel_size: 3}\n",
            "t.yaml:3:23: error: unsupported YAML tag '!foo'\n"
            "  hint: convcalc reads plain YAML values: remove the tag\n",
        ),
        (
            "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: !!python/name:os.system x}\n",
            "t.yaml:3:23: error: unsupported YAML tag '!!python/name:os.system'\n"
            "  hint: convcalc reads plain YAML values: remove the tag\n",
        ),
        (
            "input: !!python/object/apply:os.system [echo]\nlayers: [Flatten]\n",
            "t.yaml:1:8: error: unsupported YAML tag '!!python/object/apply:os.system'\n"
            "  hint: convcalc reads plain YAML values: remove the tag\n",
        ),
        (
            "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: "
            + "9" * 4301
            + ", kernel_size: 3}\n",
            f"t.yaml:3:23: error: an integer of 4,301 characters; convcalc reads at most "
            f"{MAX_INT_DIGITS}\n  hint: no shape, count or budget needs more digits\n",
        ),
        (
            "a: &a [*a]\n",
            "t.yaml:1:8: error: the alias *a is inside the value it names (a recursive "
            "structure)\n  hint: YAML allows it, but a spec cannot be infinite\n",
        ),
        (
            "input: [8, 8, 3]\nlayers: *nothing\n",
            "t.yaml:2:9: error: the alias *nothing names no anchor defined before it\n",
        ),
        (
            "input: [8, 8, 3]\nlayers: [Flatten]\n---\ninput: [1]\n",
            "t.yaml:3:1: error: a spec is one YAML document; this is the start of a second one\n"
            "  hint: remove the '---' line, or split the file\n",
        ),
        (
            "input: !!int eight\nlayers: [Flatten]\n",
            "t.yaml:1:8: error: 'eight' is not a valid YAML int\n",
        ),
    ],
    ids=[
        "custom-tag",
        "python-name",
        "python-apply",
        "4301-digits",
        "recursive",
        "undefined",
        "two-documents",
        "bad-int-tag",
    ],
)
def test_hostile_yaml_is_a_located_error(here: Path, text: str, message: str) -> None:
    (here / "t.yaml").write_text(text)
    result = cli("summary", "t.yaml")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)


def test_check_goes_on_after_a_hostile_spec(here: Path) -> None:
    (here / "a_tag.yaml").write_text(CONV.replace("filters: 4", "filters: !foo 4"))
    (here / "b_digits.yaml").write_text(CONV.replace("filters: 4", "filters: " + "1" * 5000))
    (here / "c_good.yaml").write_text(GOOD)
    result = cli("check", "*.yaml")
    assert result.exit_code == 2  # invalid wins over pass; 1 would read as "budget failed"
    assert result.stdout.splitlines() == [
        "ERROR  a_tag.yaml: unsupported YAML tag '!foo' (details on standard error)",
        "ERROR  b_digits.yaml: an integer of 5,000 characters; convcalc reads at most 100 "
        "(details on standard error)",
        "PASS   c_good.yaml (c_good): 1 check holds",
        "3 specs: 1 passed, 0 failed, 2 invalid",
    ]
    no_traceback(result.stdout, result.stderr)


def test_merge_keys_are_legitimate_yaml() -> None:
    # explicit keys win over merged ones; earlier mappings of a merge list over later ones
    text = (
        "input: [8, 8, 3]\n"
        "layers:\n"
        "  - Conv2D: &base {name: a, filters: 4, kernel_size: 3, padding: same}\n"
        "  - Conv2D: {<<: *base, name: b, filters: 6}\n"
        "  - Conv2D: {<<: [{kernel_size: 1}, *base], name: c}\n"
    )
    report = analyze(parse_spec(text, "m.yaml"))
    # by hand: a (3*3*3+1)*4 = 112; b (3*3*4+1)*6 = 222; c: kernel 1 from the first mapping,
    # filters 4 from *base: (1*1*6+1)*4 = 28
    assert [(r.name, r.params) for r in report.rows[1:]] == [("a", 112), ("b", 222), ("c", 28)]


def test_merge_key_problems_point_at_the_merge() -> None:
    text = "input: [8, 8, 3]\nlayers:\n  - Conv2D: {<<: 5, filters: 4, kernel_size: 3}\n"
    with pytest.raises(SpecError) as err:
        parse_spec(text, "m.yaml")
    assert err.value.render() == (
        "m.yaml:3:18: error: a merge key << takes a mapping or a list of mappings; received 5\n"
        "  hint: e.g. <<: *defaults  (with &defaults on a mapping)"
    )


def test_billion_laughs_stops_at_the_alias_budget(here: Path) -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (here / "lol.yaml").write_text("\n".join(lines) + "\n")
    assert len((here / "lol.yaml").read_text()) < 400  # expands to 9**9 = 387,420,489 values
    start = time.process_time()
    result = cli("summary", "lol.yaml")
    assert time.process_time() - start < 30  # a bound on runaway work, not a speed goal
    assert result.exit_code == 2
    assert result.stderr == (
        f"lol.yaml:5:8: error: aliases copy more than {ALIAS_FLOOR:,} values (a document may "
        "copy at most as many values as it has characters, or 10,000)\n"
        "  hint: an alias of an alias of ... multiplies: write the values out instead\n"
    )


def test_aliases_within_the_budget_still_work() -> None:
    block = "[" + ", ".join(["{Conv2D: {filters: 4, kernel_size: 1}}"] * 10) + "]"
    text = f"input: [4, 4, 4]\nlayers: &l {block}\nexpect: {{params: *l}}\n"
    with pytest.raises(SpecError) as err:  # copied fine; an expectation cannot be a list
        parse_spec(text, "a.yaml")
    assert "params must be" in err.value.problems[0].message


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    text = "input: " + "[" * (MAX_DEPTH + 5) + "1" + "]" * (MAX_DEPTH + 5) + "\nlayers: [Flatten]\n"
    with pytest.raises(SpecError) as err:
        parse_spec(text, "d.yaml")
    assert err.value.render() == (
        f"d.yaml:1:{MAX_DEPTH + 7}: error: the document nests deeper than {MAX_DEPTH} levels\n"
        "  hint: a spec needs about 6 levels; check for a runaway [ or {"
    )


def test_control_characters_in_yaml_strings_are_refused() -> None:
    text = 'name: "vgg\\n::error::forged"\ninput: [8, 8, 3]\nlayers: [Flatten]\n'
    with pytest.raises(SpecError) as err:
        parse_spec(text, "c.yaml")
    assert err.value.render() == (
        "c.yaml:1:7: error: a string holds the control character \\n (U+000A); received "
        "'vgg\\n::error::forged'\n"
        "  hint: names, keys and values are one line of printable text"
    )


def test_description_may_span_lines() -> None:
    text = "description: |\n  two\n  lines\ninput: [8, 8, 3]\nlayers: [Flatten]\n"
    assert parse_spec(text, "d.yaml").description == "two\nlines\n"


def test_no_traceback_for_any_scalar_yaml_constructs() -> None:
    # values PyYAML's constructors raise on, each reported where it is
    for value in (
        "0b",
        "0x",
        "2001-13-45",
        "!!float abc",
        "!!bool maybe",
        "!!binary aGk=",
        "!!timestamp x",
        "!!set {a}",
        "!!omap [a: 1]",
        "=",
        "<<",
    ):
        text = f"input: [8, 8, 3]\nlayers: [Flatten]\nname: {value}\n"
        try:
            parse_spec(text, "v.yaml")
        except SpecError as err:
            assert err.problems and all(p.loc.line == 3 for p in err.problems), value
