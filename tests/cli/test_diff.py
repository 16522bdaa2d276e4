"""`convcalc diff`: per-layer and total changes between two specs, and against a git revision."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.cli import app

ROOT = Path(__file__).resolve().parents[2]
VGG16 = ROOT / "specs" / "vgg16.yaml"


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture()
def widened(tmp_path: Path) -> Path:
    """VGG16 with block3_conv2 widened from 256 to 320 filters."""
    text = VGG16.read_text()
    old = "{name: block3_conv2, filters: 256,"
    assert text.count(old) == 1
    path = tmp_path / "vgg16_wide.yaml"
    path.write_text(text.replace(old, "{name: block3_conv2, filters: 320,"))
    return path


def test_widening_one_layer_changes_exactly_that_layer_and_its_successor(widened: Path) -> None:
    result = run("diff", VGG16, widened, "--format", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    # block3_conv2 (56x56, 3x3 over 256 channels): (3*3*256 + 1)*256 = 590,080 params,
    #   56*56*256*256*9 = 1,849,688,064 MACs; with 320 filters: (2304 + 1)*320 = 737,600 params,
    #   56*56*320*256*9 = 2,312,110,080 MACs and output (56, 56, 320).
    # block3_conv3 now reads 320 channels: (3*3*320 + 1)*256 = 737,536 params (was 590,080),
    #   56*56*256*320*9 = 2,312,110,080 MACs; its output stays (56, 56, 256), so nothing after it
    #   changes.
    assert doc["counts"] == {"changed": 2, "added": 0, "removed": 0, "same": 21}
    rows = [
        (
            d["name"],
            d["status"],
            d["changed"],
            d["old"]["output_shape"],
            d["new"]["output_shape"],
            d["old"]["params"],
            d["new"]["params"],
            d["delta"],
        )
        for d in doc["layers"]
    ]
    assert rows == [
        (
            "block3_conv2",
            "changed",
            ["output_shape", "params", "macs"],
            [56, 56, 256],
            [56, 56, 320],
            590_080,
            737_600,
            {"params": 147_520, "macs": 462_422_016},
        ),
        (
            "block3_conv3",
            "changed",
            ["params", "macs"],
            [56, 56, 256],
            [56, 56, 256],
            590_080,
            737_536,
            {"params": 147_456, "macs": 462_422_016},
        ),
    ]
    assert [d["new"]["macs"] for d in doc["layers"]] == [2_312_110_080, 2_312_110_080]
    # totals: 138,357,544 + 147,520 + 147,456 = 138,652,520 params;
    # 15,470,264,320 + 2*462,422,016 = 16,395,108,352 MACs
    assert doc["totals"]["old"] == {
        "params": 138_357_544,
        "trainable_params": 138_357_544,
        "non_trainable_params": 0,
        "macs": 15_470_264_320,
        "output_shape": [1000],
    }
    assert doc["totals"]["delta"] == {
        "params": 294_976,
        "trainable_params": 294_976,
        "non_trainable_params": 0,
        "macs": 924_844_032,
    }
    assert doc["totals"]["new"]["params"] == 138_652_520
    assert doc["totals"]["new"]["macs"] == 16_395_108_352
    assert doc["differs"] is True


def test_widened_markdown(widened: Path) -> None:
    result = run("diff", VGG16, widened, "-f", "markdown")
    assert (
        result.stdout
        == f"""**convcalc diff** `{VGG16}` → `{widened}`: 2 layers changed, 0 added, 0 removed

| | Layer (type) | Output Shape | Param # | Δ Params | MACs | Δ MACs |
|:-:|:--|:--|--:|--:|--:|--:|
| ~ | block3_conv2 (Conv2D) | `(None, 56, 56, 256) → (None, 56, 56, 320)` | 590,080 → 737,600 | +147,520 | 1,849,688,064 → 2,312,110,080 | +462,422,016 |
| ~ | block3_conv3 (Conv2D) | `(None, 56, 56, 256)` | 590,080 → 737,536 | +147,456 | 1,849,688,064 → 2,312,110,080 | +462,422,016 |

| Total | Old | New | Δ |
|:--|--:|--:|--:|
| Params | 138,357,544 | 138,652,520 | +294,976 (+0.21%) |
| Trainable params | 138,357,544 | 138,652,520 | +294,976 (+0.21%) |
| Non-trainable params | 0 | 0 | 0 |
| MACs | 15,470,264,320 | 16,395,108,352 | +924,844,032 (+5.98%) |
| Output shape | `(None, 1000)` | `(None, 1000)` | unchanged |
"""
    )


def test_widened_text_table(widened: Path) -> None:
    result = run("diff", VGG16, widened, "--no-color")
    lines = result.stdout.splitlines()
    assert lines[1] == "2 layers changed, 0 added, 0 removed"
    rows = [line for line in lines if line.startswith((" ~", " +", " -"))]
    assert [r.split()[:2] for r in rows] == [["~", "block3_conv2"], ["~", "block3_conv3"]]
    assert (
        "590,080 -> 737,600" in rows[0] and "(None, 56, 56, 256) -> (None, 56, 56, 320)" in rows[0]
    )
    assert lines[-5:] == [
        "Total params:            138,357,544 ->    138,652,520 (+294,976, +0.21%)",
        "Trainable params:        138,357,544 ->    138,652,520 (+294,976, +0.21%)",
        "Non-trainable params:              0 ->              0 (unchanged)",
        "Total MACs:           15,470,264,320 -> 16,395,108,352 (+924,844,032, +5.98%)",
        "Output shape:           (None, 1000) ->   (None, 1000) (unchanged)",
    ]


OLD = """input: [8, 8, 3]
layers:
  - Conv2D: {name: a, filters: 4, kernel_size: 3}
  - Conv2D: {name: b, filters: 4, kernel_size: 1}
  - Conv2D: {name: c, filters: 4, kernel_size: 1}
  - Flatten: {name: d}
"""
NEW = """input: [8, 8, 3]
layers:
  - Conv2D: {name: a, filters: 4, kernel_size: 3}
  - Conv2D: {name: c, filters: 4, kernel_size: 1}
  - MaxPooling2D: {name: x}
  - Flatten: {name: d}
"""


def test_added_and_removed_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("old.yaml").write_text(OLD)
    Path("new.yaml").write_text(NEW)
    # old: a (27+1)*4 = 112 params, 6*6*4*27 = 3,888 MACs; b and c 1x1 4->4: (4+1)*4 = 20,
    # 6*6*4*4 = 576 each -> 152 params, 5,040 MACs. new: b removed, x (pool to 3x3) added,
    # d flattens 3*3*4 = 36 instead of 6*6*4 = 144 -> 132 params, 4,464 MACs.
    result = run("diff", "old.yaml", "new.yaml", "--all", "--no-color", "--exit-code")
    assert result.exit_code == 1
    assert (
        result.stdout
        == """Model: "old" (old.yaml) -> "new" (new.yaml)
1 layer changed, 1 added, 1 removed

     Layer (type)           Output Shape                Param #   Δ Params    MACs   Δ MACs
 ──────────────────────────────────────────────────────────────────────────────────────────
     input_1 (InputLayer)   (None, 8, 8, 3)                   0          0       0        0
     a (Conv2D)             (None, 6, 6, 4)                 112          0   3,888        0
 -   b (Conv2D)             (None, 6, 6, 4)                  20        -20     576     -576
     c (Conv2D)             (None, 6, 6, 4)                  20          0     576        0
 +   x (MaxPooling2D)       (None, 3, 3, 4)                   0          0       0        0
 ~   d (Flatten)            (None, 144) -> (None, 36)         0          0       0        0

Total params:                 152 ->        132 (-20, -13.16%)
Trainable params:             152 ->        132 (-20, -13.16%)
Non-trainable params:           0 ->          0 (unchanged)
Total MACs:                 5,040 ->      4,464 (-576, -11.43%)
Output shape:         (None, 144) -> (None, 36) (changed)
"""
    )
    doc = json.loads(run("diff", "old.yaml", "new.yaml", "-f", "json").stdout)
    assert [(d["name"], d["status"]) for d in doc["layers"]] == [
        ("b", "removed"),
        ("x", "added"),
        ("d", "changed"),
    ]


def test_no_difference(tmp_path: Path) -> None:
    result = run("diff", VGG16, VGG16, "--exit-code")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "No differences in output shapes, params or MACs."


def test_argument_errors(tmp_path: Path) -> None:
    result = run("diff", VGG16)
    assert (result.exit_code, result.stderr) == (
        2,
        "error: give two specs (OLD NEW), or one spec and --git REV\n",
    )
    result = run("diff", VGG16, VGG16, "--git", "HEAD")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: give one spec with --git REV (it is compared with its version at REV), or "
        "two specs without --git\n",
    )


# --- --git ---------------------------------------------------------------------------------------
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture()
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path, with git told not to look for a repository above it."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@needs_git
def test_git_compares_with_a_revision(
    isolated: Path, widened: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = isolated / "repo"
    (repo / "specs").mkdir(parents=True)
    spec = repo / "specs" / "vgg16.yaml"
    spec.write_text(VGG16.read_text())
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "vgg16")
    spec.write_text(widened.read_text())
    monkeypatch.chdir(repo)
    result = run("diff", "specs/vgg16.yaml", "--git", "HEAD", "-f", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["old"]["file"] == "HEAD:specs/vgg16.yaml"
    assert [d["name"] for d in doc["layers"]] == ["block3_conv2", "block3_conv3"]
    assert doc["totals"]["delta"]["params"] == 294_976
    result = run("diff", "specs/vgg16.yaml", "--git", "nope")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --git nope: not a revision of this repository\n"
        "  hint: e.g. HEAD, HEAD~1, main or origin/main\n",
    )
    result = run("diff", "specs/missing.yaml", "--git", "HEAD")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read specs/missing.yaml at HEAD: ")


@needs_git
def test_git_outside_a_repository(isolated: Path) -> None:
    (isolated / "m.yaml").write_text(OLD)
    result = run("diff", "m.yaml", "--git", "HEAD")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: m.yaml is not inside a git repository, so --git HEAD has nothing to compare with\n",
    )


def test_git_not_installed(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (isolated / "m.yaml").write_text(OLD)
    monkeypatch.setenv("PATH", str(isolated / "empty"))
    result = run("diff", "m.yaml", "--git", "HEAD")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --git needs git, which was not found on PATH\n",
    )
