"""expect: and budget: blocks: validation by the loader, evaluation by convcalc.check."""

from __future__ import annotations

import pytest

from convcalc.analysis import parse_spec
from convcalc.errors import SpecError
from convcalc.spec.document import parse_quantity
from convcalc.tools.check import check_spec

# 8x8x3 -> Conv2D 4 filters 3x3 valid: 6x6x4, params (3*3*3+1)*4 = 112,
# MACs 6*6*4*3*3*3 = 3,888; largest output: the input, 8*8*3 = 192 elements (conv: 144).
SMALL = """input: [8, 8, 3]
layers:
  - Conv2D: {name: c, filters: 4, kernel_size: 3}
"""


def errors(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(text, "s.yaml")
    return info.value.render()


def test_unknown_budget_and_expect_keys_are_errors_with_did_you_mean() -> None:
    text = (
        SMALL
        + """expect:
  parms: 112
  layers:
    cc: {params: 1}
    c: {mac: 1}
budget:
  max_param: 1
"""
    )
    assert errors(text) == (
        "s.yaml:5:3: error: unknown expectation 'parms'\n"
        "  hint: did you mean 'params'? allowed: params, trainable_params, non_trainable_params, "
        "macs, output_shape, layers\n"
        "s.yaml:7:5: error: expect.layers names 'cc', which is not a layer of this spec\n"
        "  hint: did you mean 'c'?\n"
        "s.yaml:8:9: error: unknown layer expectation 'mac'\n"
        "  hint: did you mean 'macs'? allowed: output_shape, params, macs, receptive_field\n"
        "s.yaml:10:3: error: unknown budget 'max_param'\n"
        "  hint: did you mean 'max_params'? allowed: max_params, max_macs, max_param_bytes, "
        "max_activation_bytes, dtype, max_receptive_field, min_receptive_field\n"
        "4 problems in s.yaml"
    )


def test_budget_values_are_validated() -> None:
    text = (
        SMALL
        + """budget:
  max_params: -3
  max_macs: 1.5k5
  max_param_bytes: 1.0001KB
  dtype: float8
  max_receptive_field: [0, 3]
"""
    )
    assert errors(text) == (
        "s.yaml:5:15: error: budget.max_params must be an integer >= 0 or a number with a suffix "
        "k, M, G, T (10^3 steps) or Ki, Mi, Gi, Ti (2^10 steps); received -3\n"
        "  hint: e.g. 140M, 15.5G or 138357544\n"
        "s.yaml:6:13: error: budget.max_macs must be an integer >= 0 or a number with a suffix "
        "k, M, G, T (10^3 steps) or Ki, Mi, Gi, Ti (2^10 steps); received '1.5k5'\n"
        "  hint: e.g. 140M, 15.5G or 138357544\n"
        "s.yaml:7:20: error: budget.max_param_bytes must be an integer >= 0 or a number with a "
        "suffix k, M, G, T (10^3 steps) or Ki, Mi, Gi, Ti (2^10 steps) and an optional B; "
        "received '1.0001KB'\n"
        "  hint: e.g. 528MiB, 500MB or 553430176\n"
        "s.yaml:8:10: error: budget.dtype must be one of float32, float16, bfloat16, int8, "
        "float64; received 'float8'\n"
        "  hint: did you mean 'float64'?\n"
        "s.yaml:9:24: error: budget.max_receptive_field must be a positive integer or a list of "
        "them (one per spatial axis); received [0, 3]\n"
        "5 problems in s.yaml"
    )


def test_expect_values_are_validated() -> None:
    text = (
        SMALL
        + """expect:
  params: many
  output_shape: [6, 0]
  layers:
    c: {params: -1, output_shape: 6, receptive_field: [3, x]}
"""
    )
    assert errors(text) == (
        "s.yaml:5:11: error: expect.params must be an integer >= 0; received 'many'\n"
        "s.yaml:6:17: error: expect.output_shape must be a list of positive integers; received "
        "[6, 0]\n"
        "s.yaml:8:17: error: expect.layers.c.params must be an integer >= 0; received -1\n"
        "s.yaml:8:35: error: expect.layers.c.output_shape must be a list of positive integers; "
        "received 6\n"
        "s.yaml:8:55: error: expect.layers.c.receptive_field must be a positive integer or a "
        "list of them (one per spatial axis); received [3, 'x']\n"
        "5 problems in s.yaml"
    )


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        (138357544, "", 138357544),
        ("140M", "", 140_000_000),
        ("15.47G", "", 15_470_000_000),
        ("1_000k", "", 1_000_000),
        ("16 G", "", 16_000_000_000),
        ("1.5Ki", "", 1536),
        ("512MiB", "B", 512 * 2**20),
        ("500MB", "B", 500_000_000),
        ("3B", "B", 3),
        ("3B", "", None),  # B only on byte budgets
        ("1.5", "", None),  # not a whole number
        ("1.0001k", "", None),  # 1000.1
        ("ki", "", None),
        ("2ki", "", None),  # Ki, not ki
        (True, "", None),
        (-1, "", None),
        (1.0, "", None),  # YAML floats are refused: write 1 or "1k"
    ],
)
def test_parse_quantity(text, unit, value) -> None:
    assert parse_quantity(text, unit) == value


def test_empty_blocks_are_allowed() -> None:
    spec = parse_spec(SMALL + "expect:\n  # to be filled by --update\nbudget:\n", "s.yaml")
    assert spec.expect == {} and spec.budget == {}
    assert check_spec(spec).outcomes == []


def test_outcomes_of_every_kind() -> None:
    text = (
        SMALL
        + """expect:
  params: 112
  macs: 3889
  output_shape: [6, 6, 4]
  layers:
    c: {params: 112, macs: 3888, output_shape: [6, 6, 5], receptive_field: 3}
budget:
  max_params: 100
  max_macs: 4k
  max_param_bytes: 224
  dtype: float16
  max_activation_bytes: 383
  min_receptive_field: [3, 4]
  max_receptive_field: 3
"""
    )
    result = check_spec(parse_spec(text, "s.yaml"))
    got = [
        (o.path, o.expected, o.actual, o.ok, o.loc.line, o.note, o.layer) for o in result.outcomes
    ]
    assert got == [
        ("expect.params", 112, 112, True, 5, "", ""),
        ("expect.macs", 3889, 3888, False, 6, "", ""),
        ("expect.output_shape", (6, 6, 4), (6, 6, 4), True, 7, "", "c"),
        ("expect.layers.c.params", 112, 112, True, 9, "", "c"),
        ("expect.layers.c.macs", 3888, 3888, True, 9, "", "c"),
        ("expect.layers.c.output_shape", (6, 6, 5), (6, 6, 4), False, 9, "", "c"),
        ("expect.layers.c.receptive_field", (3, 3), (3, 3), True, 9, "", "c"),
        ("budget.max_params", 100, 112, False, 11, "", ""),
        ("budget.max_macs", 4000, 3888, True, 12, "", ""),
        # 112 params * 2 bytes (float16) = 224: exactly at the bound holds
        ("budget.max_param_bytes", 224, 224, True, 13, "float16", ""),
        # largest output: the input row, 8*8*3 = 192 elements * 2 bytes = 384 > 383
        ("budget.max_activation_bytes", 383, 384, False, 15, "float16", "input_1"),
        ("budget.min_receptive_field", (3, 4), (3, 3), False, 16, "", "c"),
        ("budget.max_receptive_field", (3, 3), (3, 3), True, 17, "", "c"),
    ]
    assert result.status == "fail"
    assert [o.excess for o in result.failures] == [-1, None, 12, 1, None]


def test_receptive_field_budget_with_wrong_axis_count_is_a_spec_error() -> None:
    with pytest.raises(SpecError) as info:
        check_spec(parse_spec(SMALL + "budget:\n  max_receptive_field: [3, 3, 3]\n", "s.yaml"))
    assert info.value.render() == (
        "s.yaml:5:3: error: budget.max_receptive_field lists 3 values but the input has 2 "
        "spatial axes\n  hint: give one int, or a list of 2"
    )


def test_unknown_receptive_field_fails_the_budget_with_the_reason() -> None:
    text = (
        "input: [8, 8, 1]\nlayers:\n  - UpSampling2D: {name: up}\n"
        "budget:\n  max_receptive_field: 10\n"
    )
    (outcome,) = check_spec(parse_spec(text, "s.yaml")).outcomes
    assert (outcome.ok, outcome.actual, outcome.note) == (
        False,
        None,
        "'up' (UpSampling2D) up-samples (size [2, 2]): the field of an output "
        "depends on its position",
    )
