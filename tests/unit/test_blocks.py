"""blocks: and repeat: (convcalc/spec/expand.py, convcalc/spec/template.py): what a spec with
blocks expands to, and the errors of a wrong one, each naming the use site and the definition.

Expected values are hand-derived in each test: the expanded layer list is written out flat
and compared layer for layer (name, kind, inputs, shape, params, MACs).
"""

from __future__ import annotations

import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError
from convcalc.spec.expand import MAX_DEPTH, MAX_LAYERS
from convcalc.spec.template import TemplateError, evaluate, substitute


def rows(text: str) -> list[tuple]:
    r = analyze(parse_spec(textwrap.dedent(text), "b.yaml"))
    return [(x.name, x.kind, x.inputs, x.output_shape, x.params, x.macs) for x in r.rows]


def problems(text: str) -> str:
    with pytest.raises(SpecError) as exc:
        analyze(parse_spec(textwrap.dedent(text), "b.yaml"))
    return exc.value.render()


RESIDUAL = """\
    input: [8, 8, 4]
    blocks:
      unit:
        args: {filters: ~, k: 3}
        layers:
          - Conv2D: {name: "${name}_conv", filters: $filters, kernel_size: $k, padding: same}
          - Add: {name: "${name}_add", inputs: [$input, "${name}_conv"]}
    layers:
      - Conv2D: {name: stem, filters: 4, kernel_size: 1}
      - unit: {name: a, filters: 4}
      - unit: {name: "r${repeat}", filters: 4, k: 1, repeat: 2}
      - Flatten: {name: flat}
    """


def test_a_block_expands_to_its_layers_with_the_arguments_substituted() -> None:
    # conv 3x3 4->4: 3*3*4*4 + 4 = 148 params, 8*8*4*36 = 9,216 MACs;
    # conv 1x1 4->4: 20 params, 8*8*4*4 = 1,024 MACs
    assert rows(RESIDUAL) == [
        ("input_1", "InputLayer", (), (8, 8, 4), 0, 0),
        ("stem", "Conv2D", ("input_1",), (8, 8, 4), 20, 1024),
        ("a_conv", "Conv2D", ("stem",), (8, 8, 4), 148, 9216),
        ("a_add", "Add", ("stem", "a_conv"), (8, 8, 4), 0, 0),
        ("r0_conv", "Conv2D", ("a_add",), (8, 8, 4), 20, 1024),
        ("r0_add", "Add", ("a_add", "r0_conv"), (8, 8, 4), 0, 0),
        ("r1_conv", "Conv2D", ("r0_add",), (8, 8, 4), 20, 1024),
        ("r1_add", "Add", ("r0_add", "r1_conv"), (8, 8, 4), 0, 0),
        ("flat", "Flatten", ("r1_add",), (256,), 0, 0),
    ]


def test_expanded_layers_keep_their_use_site_and_block_path() -> None:
    spec = parse_spec(textwrap.dedent(RESIDUAL), "b.yaml")
    by = {ls.name: ls for ls in spec.layers}
    assert by["stem"].use == ("layers", 0) and by["stem"].blocks == ()
    assert by["a_add"].use == ("layers", 1) and by["a_add"].blocks == (("a", "unit"),)
    assert by["r1_conv"].use == ("layers", 2) and by["r1_conv"].blocks == (("r1", "unit"),)
    assert by["r1_conv"].path == ("blocks", "unit", "layers", 0)  # written in the definition
    assert by["r1_conv"].loc.line == 6  # the definition's line, not the use's


def test_a_first_layer_takes_the_use_sites_inputs_and_output_names_what_follows() -> None:
    text = """\
        input: [6, 6, 2]
        blocks:
          two_way:
            output: "${name}_left"
            layers:
              - Conv2D: {name: "${name}_left", filters: 3, kernel_size: 1}
              - Conv2D: {name: "${name}_right", filters: 5, kernel_size: 1, inputs: $input}
        layers:
          - Conv2D: {name: c, filters: 2, kernel_size: 1}
          - Conv2D: {name: d, filters: 2, kernel_size: 1}
          - two_way: {name: t, inputs: c}
          - Flatten: {name: f}
        """
    got = {r[0]: r[2] for r in rows(text)}
    assert got["t_left"] == ("c",) and got["t_right"] == ("c",)
    assert got["f"] == ("t_left",)  # the block's declared output, not its last layer


def test_blocks_in_blocks_trainable_and_defaults_that_use_other_arguments() -> None:
    text = """\
        input: [4, 4, 2]
        blocks:
          conv:
            args: {filters: ~, width: "${2 * filters}"}
            layers:
              - Conv2D: {name: "${name}_c", filters: $width, kernel_size: 1}
          pair:
            args: {filters: ~}
            layers:
              - conv: {name: "${name}_a", filters: $filters}
              - conv: {name: "${name}_b", filters: "${filters + 1}"}
        layers:
          - pair: {name: p, filters: 3, trainable: false}
        """
    r = analyze(parse_spec(textwrap.dedent(text), "b.yaml"))
    # p_a_c: 1x1, 2 -> 6: 18 params; p_b_c: 1x1, 6 -> 8: 56 params; both frozen
    assert [(x.name, x.shape, x.params, x.trainable_params) for x in r.rows[1:]] == [
        ("p_a_c", (4, 4, 6), 18, 0),
        ("p_b_c", (4, 4, 8), 56, 0),
    ]
    assert r.rows[2].blocks == (("p", "pair"), ("p_b", "conv"))


def test_unnamed_block_uses_and_layers_get_automatic_names() -> None:
    text = """\
        input: [4, 4, 2]
        blocks:
          plain:
            layers: [ReLU, {Conv2D: {filters: 2, kernel_size: 1}}]
        layers:
          - plain
          - plain: {}
        """
    spec = parse_spec(textwrap.dedent(text), "b.yaml")
    assert [(ls.name, ls.blocks) for ls in spec.layers[1:]] == [
        ("re_lu", (("plain", "plain"),)),
        ("conv2d", (("plain", "plain"),)),
        ("re_lu_1", (("plain_1", "plain"),)),
        ("conv2d_1", (("plain_1", "plain"),)),
    ]


def test_a_spec_without_blocks_expands_to_itself() -> None:
    text = "input: [4, 4, 1]\nlayers:\n  - Conv2D: {filters: 2, kernel_size: 3}\n  - Flatten\n"
    spec = parse_spec(text, "b.yaml")
    assert [(ls.path, ls.use, ls.blocks, ls.via) for ls in spec.layers[1:]] == [
        (("layers", 0), ("layers", 0), (), ""),
        (("layers", 1), ("layers", 1), (), ""),
    ]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 12), filters=st.integers(1, 6))
def test_repeat_writes_n_chained_layers(n: int, filters: int) -> None:
    # Dense 3 -> filters, then filters -> filters (n - 1) times
    text = f"""\
        input: [3]
        layers:
          - Dense: {{name: "d${{repeat}}", units: {filters}, repeat: {n}}}
        """
    got = rows(text)[1:]
    assert [g[0] for g in got] == [f"d{i}" for i in range(n)]
    assert [g[2] for g in got] == [("input_1",)] + [(f"d{i}",) for i in range(n - 1)]
    assert sum(g[4] for g in got) == (3 * filters + filters) + (n - 1) * (
        filters * filters + filters
    )


def test_substitution_rules() -> None:
    env = {"f": 64, "name": "conv2_block1", "k": [3, 3], "repeat": 1}
    assert substitute("$f", env) == 64  # typed
    assert substitute("${4 * f}", env) == 256
    assert substitute("$k", env) == [3, 3]
    assert substitute("${name}_1_conv", env) == "conv2_block1_1_conv"
    assert substitute("b${repeat + 2}_$$x", env) == "b3_$x"
    assert substitute({"a": ["$f", "${f // 3}", "${max(1, f % 5)}"]}, env) == {"a": [64, 21, 4]}
    assert evaluate("-f + 1", env) == -63
    assert substitute("${[[f // 32 - 1, f // 32], [0, 1]]}", env) == [[1, 2], [0, 1]]  # lists


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${fitlers}", "'$fitlers' is not an argument here"),
        ("$name_conv", "'$name_conv' is not an argument here"),
        ("x_$f", "'$f' inside the text 'x_$f' is ambiguous"),
        ("${f ** 2}", "uses something other than arguments"),
        ("${__import__('os')}", "uses something other than arguments"),
        ("${f // 0}", "divides by zero"),
        ("${f +}", "is not an expression"),
        ("${k}_x", "cannot be part of the text"),
        ("${name * 2}", "is not a number"),
        ("${" + "1+" * 150 + "1}", "longer than 200 characters"),
    ],
)
def test_substitution_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as exc:
        substitute(text, {"f": 4, "name": "n", "k": [3, 3]})
    assert message in exc.value.message


BASE = """\
input: [8, 8, 3]
blocks:
  unit:
    args: {filters: ~}
    layers:
      - Conv2D: {name: "${name}_conv", filters: $filters, kernel_size: 3}
layers:
"""


def test_missing_and_unknown_arguments_name_use_site_and_definition() -> None:
    out = problems(BASE + "  - unit: {name: u, filtres: 4}\n")
    assert out == (
        "b.yaml:8:5: error: block 'unit' needs the argument 'filters' (defined at b.yaml:3:3)\n"
        "  hint: add  filters: ...  to this use of unit\n"
        "b.yaml:8:21: error: block 'unit' has no argument 'filtres' (defined at b.yaml:3:3)\n"
        "  hint: its arguments: filters; every block also takes name, inputs, repeat, trainable\n"
        "2 problems in b.yaml"
    )


def test_an_unknown_block_suggests_the_spec_s_blocks() -> None:
    out = problems(BASE + "  - unti: {filters: 4}\n")
    assert out == (
        "b.yaml:8:5: error: layers[0]: unknown layer type or block 'unti'\n"
        "  hint: did you mean 'unit'? `convcalc layers` lists every supported kind; "
        "the spec's blocks: unit"
    )


def test_a_problem_inside_a_block_points_at_the_definition_and_the_use() -> None:
    out = problems(BASE + "  - unit: {name: u, filters: 0}\n  - unit: {name: v, filters: 0}\n")
    # one message for the definition's line (the second use repeats it and is not shown twice)
    assert out.startswith(
        "b.yaml:6:49: error: layers[0] 'u_conv' (Conv2D), in block 'unit' used at b.yaml:8:5: "
        "filters must be"
    )
    assert out.count("error:") == 1


def test_a_name_clash_names_both_layers_and_places() -> None:
    out = problems(BASE + "  - unit: {name: u, filters: 4}\n  - unit: {name: u, filters: 4}\n")
    assert out == (
        "b.yaml:6:24: error: layers[1] 'u_conv' (Conv2D), in block 'unit' used at b.yaml:9:5: "
        "duplicate layer name 'u_conv' (also layers[0], in block 'unit' used at b.yaml:8:5 "
        "named at b.yaml:6:18)\n"
        "  hint: every layer needs a unique name; in a block, build names from ${name} "
        "(and ${repeat})"
    )


def test_a_repeated_name_asks_for_repeat() -> None:
    out = problems("input: [4]\nlayers:\n  - Dense: {name: d, units: 2, repeat: 2}\n")
    assert "duplicate layer name 'd' (also layers[0])" in out
    assert "a repeated layer's name needs ${repeat} in it" in out


def test_a_cycle_is_reported_where_it_closes() -> None:
    text = """\
        input: [4, 4, 1]
        blocks:
          a:
            layers:
              - b: {}
          b:
            layers:
              - a: {}
        layers:
          - a: {}
        """
    assert problems(text) == (
        "b.yaml:8:9: error: in block 'b' used at b.yaml:5:9, in block 'a' used at b.yaml:10:5: "
        "block 'a' uses itself (a -> b -> a); defined at b.yaml:3:3\n"
        "  hint: a block cannot contain itself, directly or through another block"
    )


def test_nesting_too_deep_and_expanding_too_far() -> None:
    chain = "".join(f"  b{i}:\n    layers:\n      - b{i + 1}: {{}}\n" for i in range(MAX_DEPTH + 1))
    text = f"input: [4]\nblocks:\n{chain}  b{MAX_DEPTH + 1}:\n    layers: [ReLU]\nlayers:\n  - b0\n"
    assert f"blocks are nested more than {MAX_DEPTH} deep here" in problems(text)
    many = "input: [4]\nlayers:\n  - ReLU: {repeat: 10000}\n" * 1
    big = many.replace(
        "layers:\n",
        "blocks:\n  x:\n    layers:\n      - ReLU: {repeat: 100}\n"
        "layers:\n  - x: {repeat: 10000}\n#",
    )
    assert f"the spec expands to more than {MAX_LAYERS:,} layers" in problems(big)


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ("  Conv2D:\n    layers: [ReLU]\n", "block 'Conv2D' has the name of the layer kind Conv2D"),
        ("  u: [ReLU]\n", "block 'u' must be a mapping with a 'layers' list"),
        ("  u:\n    layers: []\n", "block 'u' has no layers"),
        ("  u:\n    layer: [ReLU]\n", "block 'u' must be a mapping with a 'layers' list"),
        ("  u:\n    layers: [ReLU]\n    outputs: x\n", "unknown key 'outputs' in block 'u'"),
        ("  u:\n    args: {input: 1}\n    layers: [ReLU]\n", "'input' cannot be a block argument"),
        ("  u:\n    args: [a]\n    layers: [ReLU]\n", "args must map argument names"),
        ("  u:\n    layers: [ReLU]\n    output: [a]\n", "output must be a layer name"),
    ],
)
def test_wrong_definitions(blocks: str, message: str) -> None:
    out = problems(f"input: [4]\nblocks:\n{blocks}layers:\n  - ReLU\n")
    assert message in out


@pytest.mark.parametrize("value", ["0", "-1", "2.5", "lots", "20000"])
def test_repeat_must_be_a_count(value: str) -> None:
    out = problems(f"input: [4]\nlayers:\n  - ReLU: {{repeat: {value}}}\n")
    assert out.startswith("b.yaml:3:20: error: repeat must be an integer from 1 to 10,000")


def test_a_template_error_points_at_the_template() -> None:
    out = problems(BASE.replace("$filters,", '"${filters + x}",') + "  - unit: {filters: 2}\n")
    assert out.startswith(
        "b.yaml:6:49: error: in block 'unit' used at b.yaml:8:5: filters: '$x' is not an "
        "argument here"
    )


def test_blocks_round_trip_through_yaml_dump() -> None:
    # the loader reads what yaml.safe_dump writes (compare --write's path)
    data = yaml.safe_load(textwrap.dedent(RESIDUAL))
    assert rows(yaml.safe_dump(data, sort_keys=False)) == rows(RESIDUAL)


def test_the_json_schema_describes_blocks() -> None:
    from convcalc.tools.schema import spec_schema
    from tests.unit.test_schema import valid

    schema = spec_schema()
    doc = yaml.safe_load(textwrap.dedent(RESIDUAL))
    assert valid(doc, schema)
    assert set(schema["$defs"]["block"]["properties"]) == {
        "args",
        "layers",
        "output",
        "description",
    }
    # a block use is allowed only in a spec with blocks:, and then not under a kind's name
    no_blocks = {"input": [4], "layers": [{"unit": {"filters": 4}}]}
    assert not valid(no_blocks, schema)
    assert not valid({**doc, "layers": [{"Conv2D": {"filters": "$f", "kernel_size": 3}}]}, schema)
    assert not valid({**doc, "blocks": {"u": {"args": {}}}}, schema)  # no layers
