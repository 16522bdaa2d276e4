"""check --update, compare --write and diff on specs with blocks: they edit the use sites, and
what they write loads back to the same numbers."""

from __future__ import annotations

from pathlib import Path

import yaml

from convcalc.analysis import analyze, load_spec, parse_spec
from convcalc.tools.compare.results import Transform
from convcalc.tools.compare.rewrite import compare_spec, dump_spec

# 16x16x8 in. unit: 3x3 conv (same) + ReLU; point: 1x1 conv (not eligible for --separable).
# stem 3x3 8->8: 584 params; u1_conv 3x3 8->16: 1,168; p0/p1 1x1 16->16: 272 each.
SPEC = """\
name: tiny
input: [16, 16, 8]
blocks:
  unit:
    args: {filters: ~}
    layers:
      - Conv2D: {name: "${name}_conv", filters: $filters, kernel_size: 3, padding: same}
      - ReLU: {name: "${name}_relu"}
  point:
    layers:
      - Conv2D: {name: "${name}_conv", filters: 16, kernel_size: 1}
layers:
  - Conv2D: {name: stem, filters: 8, kernel_size: 3, padding: same}
  - unit: {name: u1, filters: 16}
  - point: {name: "p${repeat}", repeat: 2}
  - Flatten: {name: flat}
expect:
  params: 1
"""


def test_compare_keeps_uses_without_a_rewrite_and_writes_out_the_others() -> None:
    spec = parse_spec(SPEC, "tiny.yaml")
    result = compare_spec(spec, Transform("separable", 1))
    data = result.data
    original = yaml.safe_load(SPEC)
    assert data["blocks"] == original["blocks"]  # definitions are never edited
    layers = data["layers"]
    assert layers[0] == {
        "SeparableConv2D": {"name": "stem", "filters": 8, "kernel_size": 3, "padding": "same"}
    }
    # the use of unit held an eligible convolution: written out as its layers
    assert layers[1] == {
        "SeparableConv2D": {
            "name": "u1_conv",
            "filters": 16,
            "kernel_size": 3,
            "padding": "same",
            "inputs": ["stem"],
        }
    }
    assert layers[2] == {"ReLU": {"name": "u1_relu", "inputs": ["u1_conv"]}}
    # the repeated use of point has only 1x1 convolutions: kept as written
    assert layers[3] == original["layers"][2] and layers[4] == original["layers"][3]
    assert len(layers) == 5
    # the written spec loads back to the comparison's numbers (separable 3x3 8->8:
    # 72 + 64 + 8 = 144; 8->16: 72 + 128 + 16 = 216; the 1x1s stay 272 each)
    again = analyze(parse_spec(dump_spec(data), "again.yaml"))
    assert again.totals == result.after.totals
    assert again.totals.params == 144 + 216 + 2 * 272


def test_check_update_writes_only_the_expect_block(cli, tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(SPEC)
    result = cli("check", str(path), "--update")
    assert result.exit_code == 0, result.output
    new = path.read_text()
    assert new.split("expect:")[0] == SPEC.split("expect:", maxsplit=1)[0]
    assert yaml.safe_load(new)["expect"]["params"] == 584 + 1168 + 2 * 272
    assert cli("check", str(path)).exit_code == 0


def test_diff_compares_the_expanded_layers(cli, tmp_path: Path) -> None:
    blocks = tmp_path / "blocks.yaml"
    blocks.write_text(SPEC)
    flat = tmp_path / "flat.yaml"
    spec = load_spec(blocks)
    flat_layers = [{ls.written_kind: {**ls.args, "name": ls.name}} for ls in spec.layers[1:]]
    flat.write_text(yaml.safe_dump({"input": [16, 16, 8], "layers": flat_layers}))
    same = cli("diff", str(blocks), str(flat))
    assert same.exit_code == 0 and "No differences in output shapes, params or MACs." in same.stdout
    changed = tmp_path / "changed.yaml"
    changed.write_text(SPEC.replace("filters: 16, kernel_size: 1", "filters: 32, kernel_size: 1"))
    out = cli("diff", str(blocks), str(changed))
    assert "p0_conv (Conv2D)" in out.stdout and "p1_conv (Conv2D)" in out.stdout
