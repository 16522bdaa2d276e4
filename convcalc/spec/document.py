"""The spec document's keys, declared once: the loader validates with these tables and
``convcalc schema`` describes them (mkdocs' habit: one table of option objects).

Each key is an :class:`~convcalc.fields.Arg` whose validator carries its JSON Schema; sections
the loader walks itself (``layers``, ``expect``, ``budget``, ``expect.layers``) have a validator
that only checks the container and a schema that points at their own table.
"""

from __future__ import annotations

import re
from typing import Any

from convcalc.counting import DTYPE_BYTES, TOTAL_FIELDS
from convcalc.errors import ArgError
from convcalc.fields import REQUIRED, Arg, is_int, json_schema, nonneg_int, suggest

# decimal (SI) and binary multipliers accepted in budget strings such as "16G" or "512MiB"
QUANTITY_SUFFIXES = {
    "": 1,
    "k": 10**3,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
# a budget string: number, suffix, then "B" for byte budgets (the JSON schema uses it too)
QUANTITY_PATTERN = r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([KMGT]i|[kKMGT])?"

_POS = {"type": "integer", "minimum": 1}
_COUNT = {"type": "integer", "minimum": 0}
_SHAPE = {"type": "array", "items": _POS, "minItems": 1}
_PER_AXIS = {"anyOf": [_POS, {"type": "array", "items": _POS, "minItems": 1}]}


def _positive_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(is_int(x) and x >= 1 for x in v)


# --- validators of document values ------------------------------------------------------------
@json_schema({"type": "string"})
def text(v: Any) -> str:
    if not isinstance(v, str):
        raise ArgError(f"must be a string; received {v!r}")
    return v


@json_schema(_SHAPE)
def sample_shape(v: Any) -> tuple[int, ...]:
    if not _positive_list(v):
        raise ArgError(
            f"must be one sample's shape, a list of positive integers (no batch); received {v!r}",
            hint="e.g. input: [224, 224, 3] (channels_last) or [3, 224, 224] (channels_first)",
        )
    return tuple(v)


@json_schema({"enum": ["channels_last", "channels_first"]})
def data_format(v: Any) -> str:
    if v not in ("channels_last", "channels_first"):
        raise ArgError(f"must be 'channels_last' or 'channels_first'; received {v!r}")
    return str(v)


@json_schema({"enum": ["functional", "sequential"]})
def model_kind(v: Any) -> str:
    if v not in ("functional", "sequential"):
        raise ArgError(
            f"must be 'functional' (Keras Model: InputLayer row shown) or "
            f"'sequential' (keras.Sequential: no InputLayer row); received {v!r}"
        )
    return str(v)


@json_schema({"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/entry"}})
def layer_list(v: Any) -> list[Any]:
    if not isinstance(v, list) or not v:
        raise ArgError("must be a non-empty list of '- Kind: {args}' entries")
    return v


def mapping(example: str, ref: str) -> Any:
    """A section that is a mapping (or empty: ``expect:`` with only comments under it)."""

    @json_schema({"$ref": f"#/$defs/{ref}"})
    def check(v: Any) -> dict[str, Any]:
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ArgError(f"must be a mapping such as {example}")
        return v

    return check


@json_schema(_SHAPE)
def shape_value(v: Any) -> tuple[int, ...]:
    if not _positive_list(v):
        raise ArgError(f"must be a list of positive integers; received {v!r}")
    return tuple(v)


@json_schema(_PER_AXIS)
def per_axis(v: Any) -> int | tuple[int, ...]:
    """One positive int for every spatial axis, or one per axis."""
    if is_int(v) and v >= 1:
        return int(v)
    if _positive_list(v):
        return tuple(v)
    raise ArgError(
        f"must be a positive integer or a list of them (one per spatial axis); received {v!r}"
    )


@json_schema({"type": "object", "additionalProperties": {"$ref": "#/$defs/layer_expect"}})
def layer_expectations(v: Any) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise ArgError("must map layer names to expectations")
    return v


@json_schema({"enum": list(DTYPE_BYTES)})
def dtype(v: Any) -> str:
    if v not in DTYPE_BYTES:
        near = suggest(str(v), list(DTYPE_BYTES))
        raise ArgError(
            f"must be one of {', '.join(DTYPE_BYTES)}; received {v!r}",
            hint=f"did you mean '{near}'?" if near else "",
        )
    return str(v)


def parse_quantity(value: Any, unit: str = "") -> int | None:
    """``138357544``, ``"140M"``, ``"15.47G"``, ``"512MiB"`` (``unit`` "B") -> an int, or None.

    Exact integer arithmetic: the number times its multiplier must be a whole number.
    """
    if is_int(value):
        return int(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = re.fullmatch(QUANTITY_PATTERN + (r"B?" if unit else "") + r"\s*", value)
    if not m or (m.group(2) or "") not in QUANTITY_SUFFIXES:
        return None
    whole, _, fraction = m.group(1).replace("_", "").partition(".")
    scale = 10 ** len(fraction)
    n, rest = divmod(int(whole + fraction) * QUANTITY_SUFFIXES[m.group(2) or ""], scale)
    return n if rest == 0 else None


def quantity(unit: str) -> Any:
    """A count (``unit`` "") or a byte size (``unit`` "B"), with an optional suffix."""
    pattern = "^" + QUANTITY_PATTERN + ("B?" if unit else "") + r"\s*$"

    @json_schema({"anyOf": [_COUNT, {"type": "string", "pattern": pattern}]})
    def check(v: Any) -> int:
        n = parse_quantity(v, unit)
        if n is None:
            example = "528MiB, 500MB or 553430176" if unit else "140M, 15.5G or 138357544"
            raise ArgError(
                f"must be an integer >= 0 or a number with a suffix k, M, G, T (10^3 "
                f"steps) or Ki, Mi, Gi, Ti (2^10 steps)"
                f"{' and an optional B' if unit else ''}; received {v!r}",
                hint=f"e.g. {example}",
            )
        return n

    return check


# --- the tables --------------------------------------------------------------------------------
TOP: dict[str, Arg] = {
    "name": Arg(text, None, doc="model name (default: the file name)"),
    "description": Arg(text, None, doc=""),
    "source": Arg(
        text, None, doc="where the expected values come from (a paper, a framework's docs)"
    ),
    "input": Arg(
        sample_shape,
        None,
        doc="one sample's shape, without the batch, e.g. "
        "[224, 224, 3] (channels_last) or [3, 224, 224] (channels_first)",
    ),
    "data_format": Arg(data_format, "channels_last", doc=""),
    "model": Arg(
        model_kind,
        "functional",
        doc="functional: Keras Model (InputLayer row shown); sequential: keras.Sequential",
    ),
    "blocks": Arg(
        mapping("{conv_bn: {args: {filters: ~}, layers: [...]}}", "blocks"),
        None,
        doc="parameterised groups of layers, used in layers: like a layer kind",
    ),
    "layers": Arg(layer_list, doc=""),
    "expect": Arg(mapping("{params: 138357544}", "expect"), None, doc=""),
    "budget": Arg(mapping("{max_params: 140M}", "budget"), None, doc=""),
}

# the keys every layer takes besides its own arguments
COMMON: dict[str, dict[str, Any]] = {
    "name": {"type": "string", "minLength": 1, "description": "unique layer name"},
    "inputs": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}, "minItems": 1},
        ],
        "description": "names of the layers feeding this one (default: the previous layer)",
    },
    "trainable": {"type": "boolean", "default": True},
    "functional": {
        "type": "boolean",
        "default": False,
        "description": "the reference model computes this layer with a function in forward "
        "(torch.flatten, nn.functional.adaptive_avg_pool2d), not a module: the counting tools "
        "that hook modules do not see it (summary --convention)",
    },
    "dtype": {"description": "accepted for Keras compatibility; no effect on counts"},
    "group": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 2,
        "maxItems": 2,
        "description": "[model, class]: the nested model this layer is part of (Keras's "
        "summary shows it as one row)",
    },
    "shares": {
        "type": "string",
        "minLength": 1,
        "description": "a later call of that earlier layer: its arguments and weights (a "
        "shared layer: counted once)",
    },
    "repeat": {
        "anyOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
        "description": "write the layer (or block use) this many times in a row "
        "($repeat: 0, 1, ...)",
    },
}

# a block definition under blocks: (validated by convcalc.spec.expand, described here)
BLOCK: dict[str, dict[str, Any]] = {
    "args": {
        "type": ["object", "null"],
        "description": "argument names and defaults (~ for a required argument), seen in the "
        "block's layers as $name or ${expression}",
    },
    "layers": {
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/$defs/block_layer"},
        "description": "the block's layers; $input is the layer feeding the block, $name the "
        "use's name",
    },
    "output": {
        "type": "string",
        "description": "the layer whose output is the block's (default: its last layer)",
    },
    "description": {"type": "string"},
}

EXPECT: dict[str, Arg] = {
    **{
        key: Arg(
            nonneg_int, None, doc="weight multiply-accumulates per sample" if key == "macs" else ""
        )
        for key in TOTAL_FIELDS
    },
    "output_shape": Arg(shape_value, None, doc=""),
    "layers": Arg(layer_expectations, None, doc="expectations per layer name"),
}

EXPECT_LAYER: dict[str, Arg] = {
    "output_shape": Arg(shape_value, None, doc=""),
    "params": Arg(nonneg_int, None, doc=""),
    "macs": Arg(nonneg_int, None, doc=""),
    "receptive_field": Arg(
        per_axis, None, doc="receptive field size, one int for every spatial axis or one per axis"
    ),
}

BUDGET: dict[str, Arg] = {
    "max_params": Arg(quantity(""), None, doc="e.g. 140M (10^6) or 138357544"),
    "max_macs": Arg(quantity(""), None, doc="e.g. 16G"),
    "max_param_bytes": Arg(
        quantity("B"), None, doc="params x the dtype's size; e.g. 528MiB (2^20) or 554MB (10^6)"
    ),
    "max_activation_bytes": Arg(
        quantity("B"), None, doc="the largest layer output, one sample, at dtype"
    ),
    "dtype": Arg(dtype, "float32", doc=""),
    "max_receptive_field": Arg(per_axis, None, doc=""),
    "min_receptive_field": Arg(per_axis, None, doc=""),
}

TOP_KEYS = tuple(TOP)
COMMON_KEYS = tuple(COMMON)
EXPECT_KEYS = tuple(EXPECT)
EXPECT_LAYER_KEYS = tuple(EXPECT_LAYER)
BUDGET_KEYS = tuple(BUDGET)


def key_schema(arg: Arg) -> dict[str, Any]:
    """A key's JSON Schema: what its validator accepts, its doc and its default."""
    schema = dict(getattr(arg.parse, "json_schema", {}))
    if arg.default is not None and arg.default is not REQUIRED:
        schema["default"] = arg.default
    if arg.doc:
        schema["description"] = arg.doc
    return schema
