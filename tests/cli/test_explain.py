"""`convcalc explain`: the pictures' geometry against PyTorch (computing the layer from the
frames' cells gives F.conv2d / F.conv_transpose2d, tests/golden/learning.json), the drawn text
and the animated SVG against goldens (tests/golden/explain/; CONVCALC_UPDATE_GOLDEN=1
rewrites them), and the saved SVG as standalone XML."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from convcalc.tools.onelayer import LayerFlags, build
from convcalc.tools.sliding import IN, picture
from tests.conftest import GOLDEN, ROOT, load_golden_json

LEARNING = load_golden_json("learning.json")
PICTURES = GOLDEN / "explain"

CASES = {
    "strided": [
        "--input",
        "5x5",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--steps",
        "all",
    ],
    "dilated": ["--input", "7x7", "--kernel", "3", "--dilation", "2", "--steps", "2"],
    "transposed": [
        "--input",
        "2x2",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--kind",
        "transpose",
        "--torch",
        "--steps",
        "3",
    ],
    "ceil_mode": [
        "--input",
        "5x5",
        "--kernel",
        "2",
        "--stride",
        "2",
        "--kind",
        "max",
        "--ceil-mode",
        "--step",
        "9",
    ],
    "gridding": [str(ROOT / "docs" / "examples" / "dilated_gridding.yaml")],
}


def assert_golden(path: Path, text: str) -> None:
    if os.environ.get("CONVCALC_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{path.name} changed; CONVCALC_UPDATE_GOLDEN=1 rewrites it"


@pytest.mark.parametrize("name", list(CASES))
def test_picture_text_golden(cli, name) -> None:
    r = cli("explain", *CASES[name], "--no-color")
    assert r.exit_code == 0, r.output
    assert_golden(PICTURES / f"{name}.txt", r.stdout.replace(str(ROOT) + "/", ""))


def _from_frames(pic, values: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The layer's output computed from the picture alone: each frame's taps, in kernel order."""
    grid = np.zeros((len(pic.cells), len(pic.cells[0])))
    for r, row in enumerate(pic.cells):
        for c, kind in enumerate(row):
            if kind == IN:
                i, j = pic.input_cell(r, c)
                grid[r, c] = values[i, j]
    out = np.zeros(pic.out_shape)
    for f in pic.frames:
        taps = sorted(f.taps)
        out[f.out] = sum(grid[t] * w for t, w in zip(taps, kernel.reshape(-1)))
    return out


def test_conv_frames_compute_pytorch_conv() -> None:
    b = build(LayerFlags(input="4x4", kernel="3", stride="2", padding="1", framework="torch"))
    pic = picture(b.layer, b.row)
    k = np.arange(9.0).reshape(3, 3)
    got = _from_frames(pic, np.arange(16.0).reshape(4, 4), k)
    assert got.tolist() == LEARNING["matrix_strided"]["y"]


def test_transposed_frames_are_the_direct_convolution_with_the_flipped_kernel() -> None:
    # ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1) on a 2x2 y -> 4x4
    y = np.array(LEARNING["matrix_strided"]["y"])
    b = build(
        LayerFlags(
            kind="transpose",
            input="1x2x2",
            channels_first=True,
            filters=1,
            kernel="3",
            stride="2",
            padding="1",
            output_padding="1",
            framework="torch",
        )
    )
    pic = picture(b.layer, b.row)
    k = np.arange(9.0).reshape(3, 3)
    got = _from_frames(pic, y, k[::-1, ::-1])
    assert got.tolist() == LEARNING["matrix_strided"]["ct_y"]


def test_ceil_mode_frames_match_pytorch() -> None:
    for case in LEARNING["pool_ceil"]:
        n, k, s, p = case["n"], case["k"], case["s"], case["p"]
        if n > 36:
            continue  # too large to draw
        b = build(
            LayerFlags(
                kind="max",
                input=f"{n}x{n}",
                kernel=str(k),
                stride=str(s),
                padding=str(p),
                ceil_mode=True,
                framework="torch",
            )
        )
        pic = picture(b.layer, b.row)
        assert pic.out_shape == (case["out"], case["out"])
    # 5x5, k=2, s=2, no padding: the kept last window overhangs by one cell (hand)
    b = build(LayerFlags(kind="max", input="5x5", kernel="2", stride="2", ceil_mode=True))
    pic = picture(b.layer, b.row)
    assert [f.overhang for f in pic.frames].count(True) == 5  # last row and last column


def test_dilated_taps_skip_cells_and_strided_windows_skip_inputs() -> None:
    b = build(LayerFlags(input="7x7", kernel="3", dilation="2"))
    first = picture(b.layer, b.row).frames[0]
    assert sorted(first.taps) == [(r, c) for r in (0, 2, 4) for c in (0, 2, 4)]
    b = build(LayerFlags(input="6x6", kernel="1", stride="2"))
    counts = picture(b.layer, b.row).coverage()
    assert sum(v == 0 for row in counts for v in row) == 27  # 36 - 3·3 read once


def test_animated_svg_golden_and_save_svg(cli, tmp_path: Path) -> None:
    anim, static = tmp_path / "a.svg", tmp_path / "s.svg"
    r = cli(
        "explain",
        "--input",
        "5x5",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--save",
        static,
        "--animate",
        anim,
    )
    assert r.exit_code == 0, r.output
    assert_golden(PICTURES / "strided_animated.svg", anim.read_text())
    root = ET.parse(anim).getroot()
    assert len(root.findall("{http://www.w3.org/2000/svg}g")) == 9  # one group per step
    text = static.read_text()
    ET.fromstring(text)  # well-formed
    assert 'url("http' not in text and "<script" not in text  # standalone: nothing fetched
    assert "step&#160;1&#160;of&#160;9" in text or "step 1 of 9" in text
    again = cli("explain", "--input", "5x5", "--kernel", "3", "--save", static)
    assert again.exit_code == 2 and "--force" in again.stderr


def test_explain_errors(cli) -> None:
    r = cli("explain", "--input", "64x64", "--kernel", "3")
    assert r.exit_code == 2 and "at most 40" in r.stderr
    r = cli("explain", str(ROOT / "specs" / "vgg16.yaml"), "--layer", "fc1")
    assert r.exit_code == 2 and "has none" in r.stderr
    r = cli("explain", str(ROOT / "specs" / "vgg16.yaml"), "--kernel", "3")
    assert r.exit_code == 2 and "drop --kernel" in r.stderr
