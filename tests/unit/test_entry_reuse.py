"""Entries written with the same arguments are parsed once (spec/entry.py, ``EntryParser.made``):
each later one is the same layer under its own name, place and inputs. The values below are
derived by hand, not from convcalc."""

from __future__ import annotations

import pytest

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError

SPEC = """\
input: [8, 8, 4]
layers:
  - Conv2D: {filters: 4, kernel_size: 3, padding: same}
  - Conv2D: {name: b, filters: 4, kernel_size: 3, padding: same}
  - Conv2D: {filters: 4, kernel_size: 3, padding: same}
  - Conv2D: {filters: 4, kernel_size: 3, padding: same, inputs: b}
"""


def test_repeated_entries_are_distinct_layers_with_their_own_places() -> None:
    spec = parse_spec(SPEC, "r.yaml")
    convs = [ls for ls in spec.layers if ls.kind == "Conv2D"]
    assert [ls.name for ls in convs] == ["conv2d", "b", "conv2d_1", "conv2d_2"]
    assert [ls.loc.line for ls in convs] == [3, 4, 5, 6]
    assert [ls.layer.index for ls in convs] == [0, 1, 2, 3]
    assert [ls.inputs for ls in convs] == [["input_1"], ["conv2d"], ["b"], ["b"]]
    assert len({id(ls.layer) for ls in convs}) == 4
    rows = analyze(spec).rows
    # 3x3x4 weights per filter, 4 filters, 4 biases: 3*3*4*4 + 4 = 148; 8x8 outputs per filter,
    # 3*3*4 MACs each: 8*8*4*36 = 9,216
    assert [r.params for r in rows if r.kind == "Conv2D"] == [148] * 4
    assert [r.macs for r in rows if r.kind == "Conv2D"] == [9216] * 4


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("  - Conv2D: {name: '', filters: 4, kernel_size: 3, padding: same}", "name must be"),
        ("  - Conv2D: {filters: 4, kernel_size: 3, padding: same, inputs: 5}", "inputs must be"),
        ("  - Conv2D: {filters: 4, kernel_size: 3, padding: same, inputs: zz}", "input 'zz'"),
    ],
)
def test_a_repeated_entry_is_still_checked(line: str, message: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_spec(SPEC + line + "\n", "r.yaml")
    found = [p for p in err.value.problems if message in p.message]
    assert found and found[0].loc.line == 7
