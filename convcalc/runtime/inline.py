"""Tensor values typed on the command line: matrix literals for small, tutorial-sized cases.

A literal is one of

* nested lists of numbers, as Python or NumPy print them: ``[[0, 1], [2, 3]]``;
* rows separated by ``;`` (MATLAB's form): ``[0 1; 2 3]`` or ``0, 1; 2, 3``;
* ``arange(N)``: the numbers 0 .. N-1, as ``numpy.arange`` gives them (d2l's ``arange(9)``);
* ``ones(AxB...)`` / ``zeros(AxB...)``.

Parsing is pure Python (``ast.literal_eval`` evaluates no code); :func:`fit` then shapes the
values for a tensor, accepting a literal that leaves out axes of size 1 (a ``[[0,1],[2,3]]``
kernel for a one-channel, one-filter ``(2, 2, 1, 1)`` convolution) or a flat list of the right
length. Every problem is a :class:`~convcalc.errors.UsageError` naming the flag.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any, NamedTuple

from convcalc.errors import UsageError
from convcalc.report import Report

MAX_TEXT = 100_000  # characters: a literal is for small tensors
MAX_ELEMENTS = 1 << 16

_ARANGE = re.compile(r"^arange\(\s*(\d+)\s*\)$")
_FILL = re.compile(r"^(ones|zeros)\(\s*(\d+(?:\s*[x×,]\s*\d+)*)\s*\)$")


class Literal(NamedTuple):
    """Values in row-major order and the shape the literal was written in."""

    values: tuple[float, ...]
    shape: tuple[int, ...]


def _rows_form(text: str) -> str:
    """``[0 1; 2 3]`` / ``0, 1; 2, 3`` -> ``[[0, 1], [2, 3]]``."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    rows = [r.replace(",", " ").split() for r in body.split(";")]
    return "[" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]"


def _shape_of(value: Any, flag: str) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        if not value:
            raise UsageError(f"{flag}: empty list in the literal")
        inner = [_shape_of(v, flag) for v in value]
        if any(s != inner[0] for s in inner):
            raise UsageError(
                f"{flag}: the rows of the literal differ in length ({', '.join(map(str, inner))})",
                hint="every row of a matrix needs the same number of entries",
            )
        return (len(value),) + inner[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{flag}: {value!r} is not a number")
    if not math.isfinite(value):
        raise UsageError(f"{flag}: {value!r} is not a finite number")
    return ()


def _flatten(value: Any) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flatten(v)]
    return [float(value)]


def parse(text: str, flag: str) -> Literal:
    """The values and written shape of a literal (see the module docstring)."""
    t = str(text).strip()
    if not t:
        raise UsageError(f"{flag}: empty value", hint="e.g. '[[0, 1], [2, 3]]' or 'arange(9)'")
    if len(t) > MAX_TEXT:
        raise UsageError(f"{flag}: the literal has {len(t)} characters; at most {MAX_TEXT}")
    m = _ARANGE.match(t)
    if m:
        n = int(m.group(1))
        if not 1 <= n <= MAX_ELEMENTS:
            raise UsageError(f"{flag}: arange(N) needs 1 <= N <= {MAX_ELEMENTS}; received {n}")
        return Literal(tuple(float(i) for i in range(n)), (n,))
    m = _FILL.match(t)
    if m:
        dims = tuple(int(x) for x in re.split(r"\s*[x×,]\s*", m.group(2)))
        if not all(d >= 1 for d in dims) or math.prod(dims) > MAX_ELEMENTS:
            raise UsageError(f"{flag}: {t} has a size of 0 or more than {MAX_ELEMENTS} elements")
        fill = 1.0 if m.group(1) == "ones" else 0.0
        return Literal((fill,) * math.prod(dims), dims)
    source = _rows_form(t) if ";" in t else t
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        shown = t if len(t) <= 60 else t[:57] + "..."
        raise UsageError(
            f"{flag}: cannot read {shown!r} as numbers",
            hint="write nested lists like '[[0, 1], [2, 3]]', rows like '[0 1; 2 3]', "
            "or 'arange(9)'",
        ) from None
    shape = _shape_of(value, flag)
    values = _flatten(value)
    if len(values) > MAX_ELEMENTS:
        raise UsageError(f"{flag}: {len(values)} values; a literal holds at most {MAX_ELEMENTS}")
    return Literal(tuple(values), shape)


def squeeze(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(s for s in shape if s != 1)


def fits(lit: Literal, shape: tuple[int, ...]) -> bool:
    """Whether ``lit`` can fill a tensor of ``shape``: the same shape, the same shape once axes
    of size 1 are left out, or one flat list of as many values."""
    if math.prod(shape) != len(lit.values):
        return False
    return lit.shape == shape or squeeze(lit.shape) == squeeze(shape) or len(lit.shape) == 1


def fit(lit: Literal, shape: tuple[int, ...], flag: str, what: str) -> Any:
    """``lit`` as a float32 array of ``shape`` (row-major), or a UsageError saying why not."""
    import numpy as np

    if not fits(lit, shape):
        raise UsageError(
            f"{flag}: the literal has shape {lit.shape} ({len(lit.values)} values); {what} "
            f"has shape {shape} ({math.prod(shape)} values)",
            hint="axes of size 1 may be left out; a flat list or arange(N) of the right length "
            "fills the tensor in row-major order",
        )
    return np.asarray(lit.values, dtype=np.float32).reshape(shape)


# --- run: inline inputs and weights -----------------------------------------------------------
def _split(text: str, flag: str) -> tuple[str, str]:
    """``name=LITERAL`` -> (name, literal); a bare literal -> ("", literal)."""
    head, sep, tail = str(text).partition("=")
    if sep and re.match(r"^\s*[A-Za-z_][\w./-]*\s*$", head):
        return head.strip(), tail
    return "", str(text)


def input_arrays(report: Report, texts: list[str]) -> dict[str, Any]:
    """``--input-values`` for a run: input name -> float32 array ``(1, *sample)`` in the spec's
    layout. One literal for a one-input spec, or ``NAME=LITERAL`` per input."""
    rows = {r.name: r for r in report.input_rows}
    given: dict[str, str] = {}
    for text in texts:
        name, body = _split(text, "--input-values")
        if not name:
            if len(rows) != 1:
                raise UsageError(
                    f"--input-values: the spec has {len(rows)} inputs "
                    f"({', '.join(rows)}); write NAME=LITERAL for each"
                )
            name = next(iter(rows))
        if name not in rows:
            raise UsageError(
                f"--input-values: the spec has no input {name!r} (inputs: {', '.join(rows)})"
            )
        given[name] = body
    missing = [n for n in rows if n not in given]
    if missing:
        raise UsageError(f"--input-values gives no values for input {', '.join(missing)}")
    out = {}
    for name, body in given.items():
        shape = tuple(rows[name].output_shape)
        out[name] = fit(parse(body, "--input-values"), shape, "--input-values", f"input {name!r}")[
            None
        ]
    return out


def weight_arrays(report: Report, texts: list[str], layout: str) -> dict[str, Any]:
    """``--weight LAYER[/NAME]=LITERAL`` for a run: '<layer>/<weight>' -> float32 array in the
    ``layout``'s shape (Keras or PyTorch); without ``/NAME``, the layer's first weight (its
    kernel)."""
    out: dict[str, Any] = {}
    for text in texts:
        key, body = _split(text, "--weight")
        if not key:
            raise UsageError(
                f"--weight needs LAYER=LITERAL or LAYER/WEIGHT=LITERAL; received {text!r}",
                hint="e.g. --weight 'conv2d/kernel=[[0, 1], [2, 3]]'",
            )
        layer, _, wname = key.partition("/")
        try:
            row = report.row(layer)
        except KeyError:
            raise UsageError(
                f"--weight {key}: the spec has no layer {layer!r}",
                hint="layers with weights: " + ", ".join(r.name for r in report.rows if r.weights),
            ) from None
        names = {(w.torch_name if layout == "torch" else w.name): w for w in row.weights}
        if not names:
            raise UsageError(f"--weight {key}: layer {layer!r} ({row.kind}) has no weights")
        if not wname:
            wname = next(iter(names))
        if wname not in names:
            raise UsageError(
                f"--weight {key}: layer {layer!r} has no weight {wname!r} in the {layout} layout",
                hint="its weights: " + ", ".join(names),
            )
        w = names[wname]
        shape = w.torch_shape if layout == "torch" else w.shape
        out[f"{layer}/{wname}"] = fit(
            parse(body, "--weight"), tuple(shape), f"--weight {key}", f"{layer}/{wname}"
        )
    return out
