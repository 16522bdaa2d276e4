"""`convcalc kernel`: rank, separability and exact factors, derived by hand."""

from __future__ import annotations

import json

import pytest


def _doc(cli, *args):
    r = cli("kernel", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize(
    ("name", "column", "row", "scale"),
    [
        ("sobel", [1, 2, 1], [1, 0, -1], "1"),  # seed 004: [1,2,1]ᵀ x [1,0,-1]
        ("sobel_y", [1, 0, -1], [1, 2, 1], "1"),
        ("scharr", [3, 10, 3], [1, 0, -1], "1"),
        ("prewitt", [1, 1, 1], [1, 0, -1], "1"),
        ("gaussian", [1, 2, 1], [1, 2, 1], "1/16"),
        ("box", [1, 1, 1], [1, 1, 1], "1/9"),
    ],
)
def test_named_separable_kernels(cli, name, column, row, scale) -> None:
    d = _doc(cli, name)
    assert (d["rank"], d["separable"], d["column"], d["row"], d["scale"]) == (
        1,
        True,
        column,
        row,
        scale,
    )
    k = [[c * r for r in row] for c in column]
    assert d["integers"] == k


def test_seed004_sobel_literal_nine_to_six(cli) -> None:
    d = _doc(cli, "[[1,0,-1],[2,0,-2],[1,0,-1]]")
    assert d["separable"] and d["column"] == [1, 2, 1] and d["row"] == [1, 0, -1]
    # seed 004: 9 multiplications per output as 3x3, 3 + 3 = 6 as 3x1 then 1x3
    assert (d["multiplications_before"], d["multiplications_after"]) == (9, 6)
    assert d["check"]["max_abs_difference"] == 0.0
    out = cli("kernel", "sobel").stdout
    assert "3·3 = 9" in out and "3 + 3 = 6" in out and "the same 6x6 output" in out


def test_laplacian_is_rank_2(cli) -> None:
    # rows [0,1,0] and [1,-4,1] are independent, the third repeats the first: rank 2
    d = _doc(cli, "laplacian")
    assert (d["rank"], d["separable"], d["column"], d["row"]) == (2, False, None, None)
    assert d["multiplications_after"] == 12


def test_float_rank1_kernel_factors_from_svd(cli) -> None:
    # [[0.3, 0.6], [0.1, 0.2]] = [3, 1]ᵀ x [1, 2] x 0.1: integer factors with scale 1/10
    d = _doc(cli, "[[0.3, 0.6], [0.1, 0.2]]")
    assert d["column"] == [3, 1] and d["row"] == [1, 2] and d["scale"] == "1/10"
    irrational = _doc(cli, "[[1.41421356237, 2.82842712474], [1, 2]]")
    assert irrational["separable"]
    c, r = irrational["column"], irrational["row"]
    assert abs(c[0] * r[1] - 2.82842712474) < 1e-6


def test_unknown_name(cli) -> None:
    r = cli("kernel", "sobol")
    assert r.exit_code == 2 and "unknown kernel 'sobol'" in r.stderr and "sobel" in r.stderr
