"""`convcalc check --update`: values written into expect:, comments and order kept, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.cli import app

# 8x8x3 -> Conv2D(4, 3x3 valid) -> 6x6x4 -> MaxPooling2D(2) -> 3x3x4.
# conv: params (27 + 1)*4 = 112, MACs 6*6*4*27 = 3,888, receptive field 3;
# pool: 0 params, 0 MACs, receptive field 3 + (2-1)*1 = 4. Totals: 112 params, 3,888 MACs.
LAYERS = """input: [8, 8, 3]   # one sample
layers:
  - Conv2D: {name: c, filters: 4, kernel_size: 3}
  - MaxPooling2D: {name: p}
"""


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def update_twice(path: Path):
    first = run("check", path.name, "--update")
    after_first = path.read_bytes()
    second = run("check", path.name, "--update")
    assert path.read_bytes() == after_first, "a second --update changed the file"
    assert "---" not in second.stdout, "a second --update printed a diff"
    return first, second


def test_round_trip_keeps_comments_and_order(here: Path) -> None:
    spec = here / "m.yaml"
    spec.write_text(
        LAYERS
        + """# expectations from the paper
expect:
  # the macs line comes first on purpose
  macs: 1_000   # stale
  output_shape:
    - 9
    - 9
  layers:
    c: {macs: 1, params: 112}   # flow entry
    p:
      receptive_field: 2        # block entry
      output_shape: [3, 3, 4]

  # a comment before the next key
budget:
  max_params: 1k   # headroom
"""
    )
    first, second = update_twice(spec)  # 5 totals + 4 layer values + 1 budget = 10 checks
    assert (
        spec.read_text()
        == LAYERS
        + """# expectations from the paper
expect:
  # the macs line comes first on purpose
  macs: 3_888   # stale
  output_shape: [3, 3, 4]
  layers:
    c: {macs: 3888, params: 112}   # flow entry
    p:
      receptive_field: 4        # block entry
      output_shape: [3, 3, 4]
  params: 112
  trainable_params: 112
  non_trainable_params: 0

  # a comment before the next key
budget:
  max_params: 1k   # headroom
"""
    )
    assert first.exit_code == 0 and second.exit_code == 0
    assert (
        first.stdout
        == """--- a/m.yaml
+++ b/m.yaml
@@ -5,15 +5,16 @@
 # expectations from the paper
 expect:
   # the macs line comes first on purpose
-  macs: 1_000   # stale
-  output_shape:
-    - 9
-    - 9
+  macs: 3_888   # stale
+  output_shape: [3, 3, 4]
   layers:
-    c: {macs: 1, params: 112}   # flow entry
+    c: {macs: 3888, params: 112}   # flow entry
     p:
-      receptive_field: 2        # block entry
+      receptive_field: 4        # block entry
       output_shape: [3, 3, 4]
+  params: 112
+  trainable_params: 112
+  non_trainable_params: 0
 
   # a comment before the next key
 budget:
PASS   m.yaml (m): 10 checks hold
1 spec: 1 passed, 0 failed, 0 invalid
"""
    )
    assert (
        second.stdout
        == "PASS   m.yaml (m): 10 checks hold\n1 spec: 1 passed, 0 failed, 0 invalid\n"
    )


def test_a_spec_without_expect_gets_one(here: Path) -> None:
    spec = here / "m.yaml"
    spec.write_text(LAYERS + "# the end, no newline")
    first, _ = update_twice(spec)
    assert (
        spec.read_text()
        == LAYERS
        + """# the end, no newline
expect:
  params: 112
  trainable_params: 112
  non_trainable_params: 0
  macs: 3888
  output_shape: [3, 3, 4]
"""
    )
    assert "\\ No newline at end of file" in first.stdout


def test_an_empty_expect_is_filled(here: Path) -> None:
    spec = here / "m.yaml"
    spec.write_text(LAYERS + "expect:   # fill me\nbudget:\n  max_macs: 4k\n")
    update_twice(spec)
    assert (
        spec.read_text()
        == LAYERS
        + """expect:   # fill me
  params: 112
  trainable_params: 112
  non_trainable_params: 0
  macs: 3888
  output_shape: [3, 3, 4]
budget:
  max_macs: 4k
"""
    )


def test_flow_style_expect_is_edited_in_place(here: Path) -> None:
    spec = here / "m.yaml"
    spec.write_text(LAYERS + "expect: {params: 1, layers: {p: {receptive_field: [9, 9]}}}  # x\n")
    update_twice(spec)
    assert spec.read_text() == LAYERS + (
        "expect: {params: 112, layers: {p: {receptive_field: [4, 4]}}, trainable_params: 112, "
        "non_trainable_params: 0, macs: 3888, output_shape: [3, 3, 4]}  # x\n"
    )


def test_windows_line_endings_are_kept(here: Path) -> None:
    spec = here / "m.yaml"
    spec.write_bytes((LAYERS + "expect:\n  params: 1\n").replace("\n", "\r\n").encode())
    update_twice(spec)
    assert (
        spec.read_bytes()
        == (
            LAYERS + "expect:\n  params: 112\n  trainable_params: 112\n"
            "  non_trainable_params: 0\n  macs: 3888\n"
            "  output_shape: [3, 3, 4]\n"
        )
        .replace("\n", "\r\n")
        .encode()
    )


def test_budgets_are_never_changed(here: Path) -> None:
    spec = here / "m.yaml"
    text = LAYERS + (
        "expect:\n  params: 112\n  trainable_params: 112\n  non_trainable_params: 0\n"
        "  macs: 3888\n  output_shape: [3, 3, 4]\nbudget:\n  max_macs: 3k\n"
    )
    spec.write_text(text)
    result = run("check", "m.yaml", "--update")
    assert spec.read_text() == text
    assert result.exit_code == 1
    assert result.stdout == (
        "FAIL   m.yaml (m): 1 of 6 checks failed\n"
        "       m.yaml:12:3: budget max_macs: 3,888 exceeds 3,000 by 888 (+29.60%)\n"
        "1 spec: 0 passed, 1 failed, 0 invalid\n"
    )


def test_a_spec_that_does_not_parse_is_never_touched(here: Path) -> None:
    spec = here / "m.yaml"
    text = LAYERS + "expect:\n  params: 1\n  parms: 2\n"
    spec.write_text(text)
    ok = here / "ok.yaml"
    ok.write_text(LAYERS + "expect:\n  params: 1\n")
    result = run("check", "m.yaml", "ok.yaml", "--update")
    assert spec.read_text() == text
    assert result.exit_code == 2
    assert result.stderr == (
        "m.yaml:7:3: error: unknown expectation 'parms'\n  hint: did you "
        "mean 'params'? allowed: params, trainable_params, "
        "non_trainable_params, macs, output_shape, layers\n"
    )
    assert "+  params: 112" in result.stdout  # the other spec was still updated


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "{input: [8, 8, 3], layers: [Flatten]}\n",
            "m.yaml:1:1: error: --update cannot edit this file: the spec is one flow-style mapping "
            "({...})\n  hint: write expect: by hand, or use block style\n",
        ),
        (
            LAYERS + "expect:\n  output_shape:\n  - 1  # one\n  - 2\n",
            "m.yaml:7:3: error: --update cannot edit this file: a block-style list with comments "
            "inside\n  hint: write it as [a, b, c] or update it by hand\n",
        ),
        (
            "description: &n 5\n" + LAYERS + "expect:\n  params: *n\n",
            "m.yaml:1:14: error: --update cannot edit this file: a value of expect: is a YAML alias "
            "(*name)\n  hint: write the value itself, or update it by hand\n",
        ),
    ],
)
def test_layouts_that_are_refused_clearly(here: Path, text: str, error: str) -> None:
    spec = here / "m.yaml"
    spec.write_text(text)
    result = run("check", "m.yaml", "--update")
    assert (result.exit_code, result.stderr) == (2, error)
    assert spec.read_text() == text
