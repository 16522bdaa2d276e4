"""`convcalc matrix`: C (y = C·x), Cᵀ, im2col and the GEMM. C is derived by hand for seed 002's
example; C·x and Cᵀ·y are PyTorch's F.conv2d / F.conv_transpose2d (tests/golden/learning.json)."""

from __future__ import annotations

import json

import numpy as np

from tests.conftest import load_golden_json

LEARNING = load_golden_json("learning.json")
# seed 002: W = [[w11, w12], [w21, w22]] on a 3x3 input; row o of C holds w11 w12 at columns
# (i, j), (i, j+1) and w21 w22 at (i+1, j), (i+1, j+1) of the flattened input
C_002 = [
    [0, 1, 0, 2, 3, 0, 0, 0, 0],
    [0, 0, 1, 0, 2, 3, 0, 0, 0],
    [0, 0, 0, 0, 1, 0, 2, 3, 0],
    [0, 0, 0, 0, 0, 1, 0, 2, 3],
]


def test_seed002_matrix_rows(cli) -> None:
    r = cli("matrix", "--input", "3x3", "--kernel", "[[0,1],[2,3]]")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("C (4 x 9)"))
    rows = [
        json.loads(line.split(maxsplit=1)[1].strip(" [],").join("[]"))
        for line in lines[start + 1 : start + 5]
    ]
    assert rows == C_002


def test_transposed_prints_ct(cli) -> None:
    out = cli("matrix", "--input", "3x3", "--kernel", "[[0,1],[2,3]]", "--transposed").stdout
    assert "Cᵀ (9 x 4)" in out
    assert "x[1,1]   [3, 2, 1, 0]," in out  # column 4 of C, read as a row


def test_seed002_ct_y_is_not_x_and_matches_pytorch(cli) -> None:
    doc = json.loads(
        cli("matrix", "--input", "3x3", "--kernel", "[[0,1],[2,3]]", "-f", "json").stdout
    )
    g = LEARNING["corr2d"]
    assert doc["C"] == C_002
    assert doc["y"] == doc["y_run"] == g["y"] == [[19, 25], [37, 43]]  # seed 003 too
    assert doc["CT_y"] == doc["CT_y_run"] == g["ct_y"]
    assert doc["CT_y"] != doc["x"]  # seed 002 claims x = Cᵀy: only the shape is x's
    assert doc["true_convolution"] == g["true_convolution"] == [[5, 11], [23, 29]]
    text = cli("matrix", "--input", "3x3", "--kernel", "[[0,1],[2,3]]").stdout
    assert "Cᵀ·y = [0, 19, 25, 38, 144, 118, 74, 197, 129]" in text
    assert "has x's shape (3x3) but is not x" in text


def test_im2col_and_gemm(cli) -> None:
    doc = json.loads(
        cli("matrix", "--input", "3x3", "--kernel", "[[0,1],[2,3]]", "-f", "json").stdout
    )
    # the 2x2 windows of arange(9), row by row: [x00 x01 x10 x11], ...
    assert doc["patches"] == [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]
    assert (np.array(doc["patches"]) @ np.array([0, 1, 2, 3])).tolist() == [19, 25, 37, 43]


def test_strided_padded_matrix_matches_pytorch(cli) -> None:
    doc = json.loads(
        cli("matrix", "-i", "4x4", "-k", "3", "-s", "2", "-p", "1", "-f", "json").stdout
    )
    g = LEARNING["matrix_strided"]
    assert doc["y"] == g["y"] and doc["CT_y"] == g["ct_y"] == doc["CT_y_run"]


def test_matrix_refuses_big_cases(cli) -> None:
    r = cli("matrix", "-i", "32x32", "-k", "3")
    assert r.exit_code == 2 and "small cases" in r.stderr
