"""Which positions of a receptive field an output reads (analysis/gridding.py), by hand."""

from __future__ import annotations

import glob
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.analysis import analyze, gridding, load_and_analyze, parse_spec
from convcalc.analysis.gridding import coverages, gridding_warnings
from tests.conftest import ROOT


def _stack(rates: list[int], kernel: int = 3) -> str:
    layers = "\n".join(
        f"  - Conv2D: {{name: c{i}, filters: 2, kernel_size: {kernel}, dilation_rate: {r}, padding: same}}"
        for i, r in enumerate(rates)
    )
    return f"input: [40, 40, 2]\nlayers:\n{layers}\n"


def _cov(text: str):
    spec = parse_spec(text, "g.yaml")
    report = analyze(spec)
    return spec, report, coverages(spec, report)[report.outputs[-1]]


def test_three_rate_2_layers_read_every_other_position() -> None:
    # offsets per axis: {-2, 0, 2} three times -> {-6, -4, ..., 6}: 7 of 13
    spec, report, cov = _cov(_stack([2, 2, 2]))
    assert cov.positions[0] == (-6, -4, -2, 0, 2, 4, 6)
    assert (cov.sizes, cov.seen, cov.area) == ((13, 13), 49, 169)
    (warning,) = gridding_warnings(spec, report)
    assert "13x13 receptive field but reads only 49 of its 169" in warning


def test_a_deep_dilated_stack_lists_six_rates_and_layers() -> None:
    """Twenty rate-2 layers: the warning names the first six and counts the rest, so that a
    deep dilated net does not print a line of hundreds of names into a CI log."""
    spec = parse_spec(_stack([2] * 20), "g.yaml")
    (warning,) = gridding_warnings(spec, analyze(spec))
    assert "dilation rates 2, 2, 2, 2, 2, 2 and 14 more in c0, c1, c2, c3, c4, c5 and 14 more)" in (
        warning
    )


@pytest.mark.parametrize(("rates", "size"), [([1, 2, 5], 17), ([1, 2, 3], 13), ([1, 1], 5)])
def test_rates_without_a_common_factor_read_everything(rates, size) -> None:
    # field 1 + 2·Σ rates; hybrid dilated convolution (Wang et al. 2018) reads every position
    spec, report, cov = _cov(_stack(rates))
    assert cov.sizes == (size, size) and not cov.holes
    assert gridding_warnings(spec, report) == []


def test_rates_with_a_common_factor_leave_holes() -> None:
    # 2, 4, 8: every offset is even -> holes; span 1 + 2·14 = 29, 15 even offsets read per axis
    _, _, cov = _cov(_stack([2, 4, 8]))
    assert cov.sizes == (29, 29) and len(cov.positions[0]) == 15 and cov.holes


def test_shipped_specs_have_no_warning() -> None:
    for path in glob.glob(str(ROOT / "specs" / "*.yaml")):
        assert gridding_warnings(*load_and_analyze(path)) == []


def test_check_and_summary_warn(cli) -> None:
    path = ROOT / "docs" / "examples" / "dilated_gridding.yaml"
    r = cli("check", path)
    assert r.exit_code == 0 and "warning: gridding" in r.stderr
    assert "warning: gridding" in cli("summary", path).stdout
    assert "warning" not in cli("summary", ROOT / "specs" / "vgg16.yaml").stdout


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.builds(range, st.integers(-20, 20), st.integers(21, 60), st.integers(1, 7)),
        st.frozensets(st.integers(-30, 30), min_size=1, max_size=12),
    ),
    st.integers(1, 6),
    st.integers(1, 5),
    st.integers(-3, 6),
    st.integers(1, 4),
)
def test_a_window_over_positions_is_the_set_of_every_offset(s, k, d, p, j) -> None:
    # the walk keeps evenly spaced positions as a range: the same positions as the set
    new = gridding._window(s, k, d, p, j)
    assert set(new) == {x + (t * d - p) * j for x in s for t in range(k)}
    if isinstance(new, frozenset):  # not evenly spaced, or it would be a range
        assert len(new) < 3 or len({b - a for a, b in itertools.pairwise(sorted(new))}) > 1


def test_the_dilations_of_merged_branches_come_in_branch_order() -> None:
    seq = gridding._merged([("+", ("+", None, 2), 4), None, ("+", None, 8)])
    assert gridding._items(("+", seq, 16)) == (2, 4, 8, 16)
    assert gridding._items(None) == ()
