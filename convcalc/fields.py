"""Arguments and their validators: one table per layer kind (and per document section), from
which the loader validates, ``convcalc layers`` documents and ``convcalc schema`` describes.

A validator takes the YAML value and returns the normalised one (``3`` -> ``(3, 3)``) or raises
:class:`~convcalc.errors.ArgError` with a message in Keras's "...; received x" idiom. Each
carries the JSON Schema of what it accepts (:func:`json_schema`), so the schema is generated
from the validators themselves.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from convcalc.errors import ArgError

REQUIRED: Any = object()


@dataclass(frozen=True)
class Arg:
    """One argument of a layer kind: validator, default, PyTorch alias, one-line doc."""

    parse: Callable[[Any], Any]
    default: Any = REQUIRED
    torch: str | None = None
    doc: str = ""
    shape_relevant: bool = True
    torch_default: Any = REQUIRED  # the default when the layer is written with PyTorch's name

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def default_for(self, torch_spelling: bool) -> Any:
        """The default a layer gets: PyTorch's where it differs and the layer is written with
        its PyTorch name (``padding=0``, BatchNorm's ``eps=1e-5``), else Keras's."""
        if torch_spelling and self.torch_default is not REQUIRED:
            return self.torch_default
        return self.default


def _typename(v: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing (null)",
    }.get(type(v), type(v).__name__)


V = TypeVar("V", bound=Callable[[Any], Any])


def json_schema(schema: dict[str, Any]) -> Callable[[V], V]:
    """Attach the JSON Schema of the values a validator accepts (``convcalc schema`` reads it),
    so that the schema is generated from the validators themselves."""

    def attach(f: V) -> V:
        f.json_schema = schema  # type: ignore[attr-defined]
        return f

    return attach


def schema_of(parse: Callable[[Any], Any]) -> dict[str, Any]:
    """The JSON Schema a validator carries (empty: anything)."""
    schema: dict[str, Any] = getattr(parse, "json_schema", {})
    return schema


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@json_schema({"type": "integer", "minimum": 1})
def pos_int(v: Any) -> int:
    if not is_int(v) or v < 1:
        raise ArgError(
            f"must be a positive integer; received {v!r}"
            + ("" if is_int(v) else f" ({_typename(v)})")
        )
    return int(v)


@json_schema({"type": "integer", "minimum": 0})
def nonneg_int(v: Any) -> int:
    if not is_int(v) or v < 0:
        raise ArgError(f"must be an integer >= 0; received {v!r}")
    return int(v)


@json_schema({"type": "boolean"})
def boolean(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ArgError(f"must be true or false; received {v!r} ({_typename(v)})")
    return v


@json_schema({})
def any_value(v: Any) -> Any:
    return v


def optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        return None if v is None else parse(v)

    inner = getattr(parse, "json_schema", {"type": "string"} if parse is str else None)
    return json_schema({"anyOf": [inner, {"type": "null"}]} if inner else {})(check)


@json_schema({"type": "string", "minLength": 1})
def name_str(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise ArgError(f"must be a non-empty string; received {v!r}")
    return v


@json_schema({"type": "number", "minimum": 0, "exclusiveMaximum": 1})
def rate(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v < 1:
        raise ArgError(f"must be a number in [0, 1); received {v!r}")
    return float(v)


@json_schema({"type": "integer"})
def integer(v: Any) -> int:
    """Any integer, negatives included (axes counted from the end)."""
    if not is_int(v):
        raise ArgError(f"must be an integer (negatives count from the end); received {v!r}")
    return int(v)


@json_schema({"type": "number"})
def number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ArgError(f"must be a number; received {v!r}" + _kind(v))
    return float(v)


def _kind(v: Any) -> str:
    return "" if isinstance(v, (int, float)) and not isinstance(v, bool) else f" ({_typename(v)})"


NUMBER_TEXT = r"^\s*([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"


@json_schema(
    {
        "anyOf": [
            {"type": "number", "exclusiveMinimum": 0},
            {"type": "string", "pattern": NUMBER_TEXT},
        ]
    }
)
def positive_number(v: Any) -> float:
    """A finite number > 0 (a normalisation's epsilon). ``1e-5`` is accepted although YAML 1.1
    reads it as a string (its floats need a dot: ``1.0e-5``)."""

    x = v
    if isinstance(v, str):
        x = float(v) if re.match(NUMBER_TEXT, v) else None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x < float("inf"):
        raise ArgError(
            f"must be a number > 0; received {v!r}" + _kind(v),
            hint="e.g. 0.001 (Keras's default) or 1.0e-5 (PyTorch's)",
        )
    return float(x)


@json_schema(
    {
        "anyOf": [
            {"type": "integer"},
            {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 1},
        ]
    }
)
def axis_value(v: Any) -> int:
    """One Keras axis (the batch is axis 0; negatives count from the end), or a list holding one,
    as Keras writes BatchNormalization's ``axis: [3]`` in a config."""
    if is_int(v):
        return int(v)
    if isinstance(v, (list, tuple)) and len(v) == 1 and is_int(v[0]):
        return int(v[0])
    raise ArgError(
        f"must be an integer (a Keras axis: the batch is axis 0, negatives count from the end) "
        f"or a list of one such integer; received {v!r}" + _kind(v),
        hint="e.g. axis: -1 (the last axis) or axis: [3]",
    )


def exactly(value: int | bool, why: str) -> Callable[[Any], Any]:
    """Only ``value`` (of its own type: ``true`` is not 1), e.g. Keras's ``groups: 1``."""

    def check(v: Any) -> Any:
        if type(v) is not type(value) or v != value:
            raise ArgError(f"must be {str(value).lower()} ({why}); received {v!r}")
        return v

    kind = "boolean" if isinstance(value, bool) else "integer"
    return json_schema({"type": kind, "enum": [value]})(check)


def choice(*options: Any) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if v not in options:
            raise ArgError(f"must be one of {', '.join(repr(o) for o in options)}; received {v!r}")
        return v

    return json_schema({"enum": list(options)})(check)


def ints(rank: int, minimum: int = 1) -> Callable[[Any], tuple[int, ...]]:
    """An int (repeated over ``rank`` axes) or a list of ``rank`` ints, each >= ``minimum``."""

    def check(v: Any) -> tuple[int, ...]:
        values = [v] * rank if is_int(v) else v
        if (
            not isinstance(values, (list, tuple))
            or len(values) != rank
            or not all(is_int(x) and x >= minimum for x in values)
        ):
            what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise ArgError(f"must be {what} or a list of {rank} such integers; received {v!r}")
        return tuple(values)

    one = {"type": "integer", "minimum": minimum}
    return json_schema(
        {"anyOf": [one, {"type": "array", "items": one, "minItems": rank, "maxItems": rank}]}
    )(check)


def pairs(rank: int, what: str) -> Callable[[Any], tuple[tuple[int, int], ...]]:
    """Per-side widths: ``p`` | ``[p_axis, ...]`` (symmetric) | ``[[before, after], ...]``.

    For one spatial axis, ``[before, after]`` is accepted too (Keras's 1D layers)."""

    def check(v: Any) -> tuple[tuple[int, int], ...]:
        if is_int(v) and v >= 0:
            return ((v, v),) * rank
        if (
            rank == 1
            and isinstance(v, (list, tuple))
            and len(v) == 2
            and all(is_int(x) and x >= 0 for x in v)
        ):
            return ((v[0], v[1]),)  # Keras 1D: (before, after)
        if isinstance(v, (list, tuple)) and len(v) == rank:
            out = []
            for x in v:  # each axis: a symmetric width or a [before, after] pair
                if is_int(x) and x >= 0:
                    out.append((x, x))
                elif (
                    isinstance(x, (list, tuple))
                    and len(x) == 2
                    and all(is_int(y) and y >= 0 for y in x)
                ):
                    out.append((x[0], x[1]))
                else:
                    break
            else:
                return tuple(out)
        example = ", ".join(["[1, 1]"] * rank)
        raise ArgError(
            f"{what} must be an integer >= 0, a list of {rank} such integers (one per spatial "
            f"axis) or a list of {rank} [before, after] pairs; received {v!r}",
            hint=f"e.g. 1, or [{example}]",
        )

    width = {"type": "integer", "minimum": 0}
    pair = {"type": "array", "items": width, "minItems": 2, "maxItems": 2}
    per_axis = {
        "type": "array",
        "items": {"anyOf": [width, pair]},
        "minItems": rank,
        "maxItems": rank,
    }
    return json_schema({"anyOf": [width, per_axis] + ([pair] if rank == 1 else [])})(check)


def padding(rank: int, *modes: str) -> Callable[[Any], Any]:
    """'valid' | 'same' | ... (the given string ``modes``), or explicit widths (:func:`pairs`)."""
    explicit = pairs(rank, "padding")

    def check(v: Any) -> Any:
        if isinstance(v, str):
            low = v.lower()
            if low in modes:
                return low
            raise ArgError(
                f"must be one of {', '.join(repr(m) for m in modes)} or explicit "
                f"widths; received {v!r}"
            )
        try:
            return explicit(v)
        except ArgError as exc:
            raise ArgError(
                f"must be one of {', '.join(repr(m) for m in modes)}, "
                + exc.message.removeprefix("padding must be "),
                exc.hint,
            ) from None

    names = [m for mode in modes for m in (mode, mode.upper())]  # any case is accepted
    return json_schema({"anyOf": [{"enum": names}] + schema_of(explicit)["anyOf"]})(check)


@json_schema(
    {
        "type": "array",
        "minItems": 1,
        "items": {"anyOf": [{"type": "integer", "minimum": 1}, {"const": -1}]},
    }
)
def shape_list(v: Any) -> tuple[int, ...]:
    if (
        not isinstance(v, (list, tuple))
        or not v
        or not all(is_int(x) and (x >= 1 or x == -1) for x in v)
    ):
        raise ArgError(
            f"must be a non-empty list of positive integers (one entry may be -1); received {v!r}"
        )
    return tuple(v)


def suggest(name: str, choices: list[str]) -> str | None:
    """The closest of ``choices`` to ``name`` (case-insensitive), for "did you mean" hints;
    on equal spellings the later choice wins."""
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:
        return lowered[name.lower()]
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None
