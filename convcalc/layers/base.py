"""The layer contract and the argument validators every layer kind shares.

A layer kind is one class with:

* ``kind`` (the Keras class name), ``aliases`` (PyTorch class names);
* ``args``: ``{keras_name: Arg}``; an :class:`Arg` knows its PyTorch spelling, its default and
  its validator, so the spec loader can normalise aliases from this one table;
* ``output_shape(inputs)``, ``weights(inputs)``, ``macs(inputs, output)``: pure integer
  arithmetic on shapes (channels-last, one sample, no batch), calling :mod:`convcalc.shapes`.

Layers raise :class:`LayerError` for a rule that a given input breaks; the engine attaches the
layer's name, index and ``file:line:col``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from convcalc.errors import Location

Shape = tuple[int, ...]
REQUIRED = object()


class ArgError(ValueError):
    """An argument value is invalid in itself (wrong type, out of range)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class LayerError(ValueError):
    """A layer cannot accept its inputs; ``arg`` names the argument to point the user at."""

    def __init__(self, message: str, arg: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.arg = arg
        self.hint = hint


@dataclass(frozen=True)
class Arg:
    """One argument of a layer kind: validator, default, PyTorch alias, one-line doc."""

    parse: Callable[[Any], Any]
    default: Any = REQUIRED
    torch: str | None = None
    doc: str = ""
    shape_relevant: bool = True

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(frozen=True)
class Weight:
    """A weight tensor: its name, shape (in Keras layout) and whether training updates it."""

    name: str
    shape: Shape
    trainable: bool = True

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _typename(v: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping", type(None): "nothing (null)"}.get(type(v), type(v).__name__)


def json_schema(schema: dict[str, Any]) -> Callable[[Any], Any]:
    """Attach the JSON Schema of the values a validator accepts (``convcalc schema`` reads it),
    so that the schema is generated from the validators themselves."""
    def attach(f: Any) -> Any:
        f.json_schema = schema
        return f
    return attach


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


@json_schema({"type": "integer", "minimum": 1})
def pos_int(v: Any) -> int:
    if not is_int(v) or v < 1:
        raise ArgError(f"must be a positive integer; received {v!r}"
                       + ("" if is_int(v) else f" ({_typename(v)})"))
    return v


@json_schema({"type": "integer", "minimum": 0})
def nonneg_int(v: Any) -> int:
    if not is_int(v) or v < 0:
        raise ArgError(f"must be an integer >= 0; received {v!r}")
    return v


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


@json_schema({"type": "number"})
def number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ArgError(f"must be a number; received {v!r}")
    return float(v)


def choice(*options: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if v not in options:
            raise ArgError(f"must be one of {', '.join(repr(o) for o in options)}; received {v!r}")
        return v
    return json_schema({"enum": list(options)})(check)


def ints(rank: int, minimum: int = 1) -> Callable[[Any], tuple[int, ...]]:
    """An int (repeated over ``rank`` axes) or a list of ``rank`` ints, each >= ``minimum``."""

    def check(v: Any) -> tuple[int, ...]:
        values = [v] * rank if is_int(v) else v
        if (not isinstance(values, (list, tuple)) or len(values) != rank
                or not all(is_int(x) and x >= minimum for x in values)):
            what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
            raise ArgError(f"must be {what} or a list of {rank} such integers; received {v!r}")
        return tuple(values)
    one = {"type": "integer", "minimum": minimum}
    return json_schema({"anyOf": [one, {"type": "array", "items": one, "minItems": rank,
                                        "maxItems": rank}]})(check)


def pairs(rank: int, what: str) -> Callable[[Any], tuple[tuple[int, int], ...]]:
    """Per-side widths: ``p`` | ``[p_axis, ...]`` (symmetric) | ``[[before, after], ...]``.

    For one spatial axis, ``[before, after]`` is accepted too (Keras's 1D layers)."""

    def check(v: Any) -> tuple[tuple[int, int], ...]:
        if is_int(v) and v >= 0:
            return ((v, v),) * rank
        if (rank == 1 and isinstance(v, (list, tuple)) and len(v) == 2
                and all(is_int(x) and x >= 0 for x in v)):
            return ((v[0], v[1]),)  # Keras 1D: (before, after)
        if isinstance(v, (list, tuple)) and len(v) == rank:
            out = []
            for x in v:  # each axis: a symmetric width or a [before, after] pair
                if is_int(x) and x >= 0:
                    out.append((x, x))
                elif (isinstance(x, (list, tuple)) and len(x) == 2
                      and all(is_int(y) and y >= 0 for y in x)):
                    out.append((x[0], x[1]))
                else:
                    break
            else:
                return tuple(out)
        example = ", ".join(["[1, 1]"] * rank)
        raise ArgError(
            f"{what} must be an integer >= 0, a list of {rank} such integers (one per spatial "
            f"axis) or a list of {rank} [before, after] pairs; received {v!r}",
            hint=f"e.g. 1, or [{example}]")
    width = {"type": "integer", "minimum": 0}
    pair = {"type": "array", "items": width, "minItems": 2, "maxItems": 2}
    per_axis = {"type": "array", "items": {"anyOf": [width, pair]}, "minItems": rank,
                "maxItems": rank}
    return json_schema({"anyOf": [width, per_axis] + ([pair] if rank == 1 else [])})(check)


def padding(rank: int, *modes: str) -> Callable[[Any], Any]:
    """'valid' | 'same' | ... (the given string ``modes``) or explicit widths (see :func:`pairs`)."""
    explicit = pairs(rank, "padding")

    def check(v: Any) -> Any:
        if isinstance(v, str):
            low = v.lower()
            if low in modes:
                return low
            raise ArgError(f"must be one of {', '.join(repr(m) for m in modes)} or explicit "
                           f"widths; received {v!r}")
        try:
            return explicit(v)
        except ArgError as exc:
            raise ArgError(f"must be one of {', '.join(repr(m) for m in modes)}, "
                           + exc.message.removeprefix("padding must be "), exc.hint) from None
    names = [m for mode in modes for m in (mode, mode.upper())]  # any case is accepted
    return json_schema({"anyOf": [{"enum": names}] + explicit.json_schema["anyOf"]})(check)


@json_schema({"type": "array", "minItems": 1,
              "items": {"anyOf": [{"type": "integer", "minimum": 1}, {"const": -1}]}})
def shape_list(v: Any) -> tuple[int, ...]:
    if (not isinstance(v, (list, tuple)) or not v
            or not all(is_int(x) and (x >= 1 or x == -1) for x in v)):
        raise ArgError(f"must be a non-empty list of positive integers; received {v!r}")
    return tuple(v)


def spatial(shape: Shape) -> Shape:
    return shape[:-1]


def channels(shape: Shape) -> int:
    return shape[-1]


class Layer:
    """Base of every layer kind. Subclasses set ``kind``, ``args`` and the three formulas."""

    kind: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    args: ClassVar[dict[str, Arg]] = {}
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    input_rank: ClassVar[int | None] = None   # exact rank of each input (with channels), if fixed
    min_input_rank: ClassVar[int] = 1

    def __init__(self, values: dict[str, Any], *, name: str = "", channels_first: bool = False,
                 loc: Location | None = None, arg_locs: dict[str, Location] | None = None,
                 index: int = -1) -> None:
        self.name = name
        self.channels_first = channels_first
        self.loc = loc or Location("<spec>")
        self.arg_locs = arg_locs or {}
        self.index = index
        self.values = values
        for key, arg in self.args.items():
            if key in values:
                setattr(self, key, values[key])
            elif arg.required or arg.default is None:
                setattr(self, key, None)
            else:  # defaults go through the validator too: strides=1 becomes (1, 1)
                setattr(self, key, arg.parse(arg.default))
        self.post_init()

    def post_init(self) -> None:
        """Derive defaults that depend on other arguments (e.g. strides = pool_size)."""

    # --- checks that need no input shape -------------------------------------------------------
    def validate(self) -> list[LayerError]:
        """Cross-argument rules (e.g. groups dividing filters). Override; return every failure."""
        return []

    # --- the formulas --------------------------------------------------------------------------
    def output_shape(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return []

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return 0

    # --- execution (--run) ---------------------------------------------------------------------
    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Execute on float32 arrays: ``xs`` batch-first, canonical channels-last
        ``(N, spatial..., C)``; ``params`` weight name -> array in the Keras layout of
        :meth:`weights`. Implementations import ``convcalc.runtime.kernels`` lazily, so that
        importing the layers never imports numpy."""
        raise NotImplementedError(f"{self.kind} has no forward")

    # --- helpers -------------------------------------------------------------------------------
    def check_rank(self, inputs: list[Shape]) -> None:
        for shape in inputs:
            if self.input_rank is not None and len(shape) != self.input_rank:
                nsp = self.input_rank - 1
                raise LayerError(
                    f"expects an input with {nsp} spatial axis{'es' if nsp != 1 else ''} and a "
                    f"channel axis (rank {self.input_rank}); received shape {self.show(shape)}",
                    hint="check the spec's input shape, or add Reshape/Flatten before this layer")
            if len(shape) < self.min_input_rank:
                raise LayerError(f"expects an input of rank >= {self.min_input_rank}; "
                                 f"received shape {self.show(shape)}")

    def show(self, shape: Shape) -> str:
        """A shape as the user sees it (in the spec's data_format), for messages."""
        return str(to_display(shape, self.channels_first))

    def axis_name(self, axis: int, rank: int) -> str:
        return ("H", "W")[axis] if rank == 2 else ("D", "H", "W")[axis] if rank == 3 else "L"


def to_display(shape: Shape, channels_first: bool) -> Shape:
    """Canonical (channels-last) shape -> the spec's data_format."""
    if channels_first and len(shape) >= 2:
        return (shape[-1],) + tuple(shape[:-1])
    return tuple(shape)


def to_canonical(shape: Shape, channels_first: bool) -> Shape:
    """A shape written in the spec's data_format -> canonical channels-last."""
    if channels_first and len(shape) >= 2:
        return tuple(shape[1:]) + (shape[0],)
    return tuple(shape)


def canonical_axis(axis: int, rank: int, channels_first: bool) -> int:
    """A Keras axis (counting the batch as axis 0, negatives from the end) in the displayed
    layout -> index into the canonical per-sample shape of length ``rank``."""
    full = rank + 1
    if not -full <= axis < full or axis in (0, -full):
        raise LayerError(f"axis {axis} is out of range for a rank-{rank} sample "
                         f"(the batch is axis 0, so valid axes are 1..{rank} or -1..-{rank})",
                         arg="axis")
    i = (axis % full) - 1  # index in the displayed per-sample shape
    if channels_first and rank >= 2:
        return rank - 1 if i == 0 else i - 1
    return i
