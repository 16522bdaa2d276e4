"""One 2-D layer described by command-line flags (``convcalc conv|pool|transpose``,
``explain``, ``matrix``): built as a one-layer spec, counted by the engine, and explained axis
by axis with the output-size formula written out with its numbers.

The numbers come from the layer classes and :mod:`convcalc.shapes` (the engine's report); the
written-out arithmetic is only the display of the same formulas, and :func:`explain_layer`
checks that it lands on the engine's value on every axis (a difference is a bug and raises).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError, UsageError
from convcalc.layers.base import Layer
from convcalc.report import LayerRow, Report
from convcalc.runtime import inline
from convcalc.spec.model import Spec

KINDS = {  # the calculator's kind -> (Keras class, PyTorch class)
    "conv": ("Conv2D", "Conv2d"),
    "max": ("MaxPooling2D", "MaxPool2d"),
    "avg": ("AveragePooling2D", "AvgPool2d"),
    "transpose": ("Conv2DTranspose", "ConvTranspose2d"),
    "deformable": ("DeformableConv2D", "DeformConv2d"),
}
FLAG_OF = {  # layer argument -> the flag that sets it (for messages)
    "filters": "--filters",
    "kernel_size": "--kernel",
    "pool_size": "--kernel",
    "strides": "--stride",
    "padding": "--padding",
    "dilation_rate": "--dilation",
    "groups": "--groups",
    "output_padding": "--output-padding",
    "ceil_mode": "--ceil-mode",
    "offset_groups": "--offset-groups",
}
_DIMS = re.compile(r"^\d+(x\d+)*$")


@dataclass(frozen=True)
class LayerFlags:
    """The flags as typed (strings where the user types dimensions)."""

    kind: str = "conv"  # a key of KINDS
    input: str | None = None
    filters: int | None = None
    kernel: str | None = None
    stride: str | None = None
    padding: str | None = None
    dilation: str | None = None
    groups: int = 1
    bias: bool = True
    channels_first: bool = False
    framework: str | None = None  # torch | keras (default: torch for channels-first input)
    ceil_mode: bool = False
    output_padding: str | None = None
    offset_groups: int = 1
    mask: bool = False


def dims(flag: str, text: str | None, counts: tuple[int, ...], what: str) -> tuple[int, ...]:
    """``5``, ``3x5`` or ``20x16x50x100`` -> ints, with ``counts`` the allowed lengths."""
    t = str(text).strip().lower().replace("×", "x").replace(" ", "")
    values = tuple(int(x) for x in t.split("x")) if _DIMS.match(t) else ()
    if len(values) not in counts or not all(v >= 1 for v in values):
        raise UsageError(f"{flag} must be {what}; received {text!r}")
    return values


def _pair(flag: str, text: str | None, default: int, minimum: int = 1) -> list[int]:
    if text is None:
        return [default, default]
    t = str(text).strip().lower().replace("×", "x")
    parts = t.split("x")
    if len(parts) not in (1, 2) or not all(p.isdigit() and int(p) >= minimum for p in parts):
        low = "a positive integer" if minimum else "an integer >= 0"
        raise UsageError(f"{flag} must be {low} or two of them as AxB; received {text!r}")
    v = [int(p) for p in parts]
    return [v[0], v[-1]]


def _padding(text: str | None) -> Any:
    """valid | same | P | PhxPw | [[top, bottom], [left, right]] -> the spec's padding value."""
    if text is None:
        return None
    t = str(text).strip().lower()
    if t in ("valid", "same"):
        return t
    if t.startswith("["):
        try:
            return json.loads(t)
        except ValueError:
            pass
    elif re.match(r"^\d+(x\d+)?$", t):
        return _pair("--padding", t, 0, minimum=0)
    raise UsageError(
        f"--padding must be valid, same, P, PhxPw or [[top, bottom], [left, right]]; "
        f"received {text!r}"
    )


class Built(NamedTuple):
    """The layer the flags describe: its spec, report, row and layer object."""

    spec: Spec
    report: Report
    row: LayerRow
    layer: Layer
    batch: int | None
    kernel_values: Any  # the --kernel matrix literal's values (Keras layout), or None
    written: str  # the class name used (Keras's or PyTorch's)


def _input(flags: LayerFlags) -> tuple[list[int], int | None, bool]:
    """(display shape of one sample, batch or None, channels_first)."""
    d = dims(
        "--input",
        flags.input,
        (2, 3, 4),
        "HxW (one channel), HxWxC (CxHxW with --channels-first) or NxCxHxW (a PyTorch batch)",
    )
    if len(d) == 2:
        return ([1, *d] if flags.channels_first else [*d, 1]), None, flags.channels_first
    if len(d) == 4:
        return list(d[1:]), d[0], True
    return list(d), None, flags.channels_first


def _kernel(flags: LayerFlags) -> tuple[list[int], inline.Literal | None]:
    if flags.kernel is None:
        raise UsageError("--kernel is required (K, KhxKw or a matrix literal '[[0, 1], [2, 3]]')")
    text = str(flags.kernel).strip()
    if text.startswith("[") or text.startswith("arange") or ";" in text:
        lit = inline.parse(text, "--kernel")
        if len(inline.squeeze(lit.shape)) > 2 or len(lit.shape) > 2:
            raise UsageError(
                f"--kernel: a matrix literal is one kh x kw kernel; received shape {lit.shape}"
            )
        shape = list(lit.shape) if len(lit.shape) == 2 else [1, lit.shape[0]]
        return shape, lit
    return _pair("--kernel", text, 1), None


def layer_args(flags: LayerFlags, kernel: list[int], channels: int) -> dict[str, Any]:
    """The spec arguments (Keras spellings) of the layer the flags describe."""
    kind = flags.kind
    args: dict[str, Any] = {"name": "layer"}
    pool = kind in ("max", "avg")
    if pool:
        if flags.filters is not None:
            raise UsageError("--filters does not apply to pooling (it keeps the channels)")
        args["pool_size"] = kernel
    else:
        args["filters"] = flags.filters if flags.filters is not None else channels
        args["kernel_size"] = kernel
        args["use_bias"] = flags.bias
        if flags.groups != 1:
            args["groups"] = flags.groups
    args.update(_geometry(flags))
    return args


def _geometry(flags: LayerFlags) -> dict[str, Any]:
    """Strides, padding, dilation and the kind-specific flags."""
    kind = flags.kind
    pool = kind in ("max", "avg")
    args: dict[str, Any] = {}
    if flags.stride is not None:
        args["strides"] = _pair("--stride", flags.stride, 1)
    padding = _padding(flags.padding)
    if padding is not None:
        args["padding"] = padding
    if flags.dilation is not None:
        if kind == "avg":
            raise UsageError("--dilation does not apply to average pooling (PyTorch has none)")
        args["dilation_rate"] = _pair("--dilation", flags.dilation, 1)
    if flags.ceil_mode:
        if not pool:
            raise UsageError("--ceil-mode applies to pooling only (PyTorch's Conv2d has none)")
        args["ceil_mode"] = True
    if flags.output_padding is not None:
        if kind != "transpose":
            raise UsageError("--output-padding applies to transposed convolutions only")
        args["output_padding"] = _pair("--output-padding", flags.output_padding, 0, minimum=0)
    if kind == "deformable":
        args["offset_groups"] = flags.offset_groups
        args["use_mask"] = flags.mask
    elif flags.mask or flags.offset_groups != 1:
        raise UsageError("--mask and --offset-groups apply to deformable convolutions only")
    return args


def _usage(err: SpecError) -> UsageError:
    first = min(err.problems, key=lambda q: q.loc)
    message = first.message
    for arg, flag in FLAG_OF.items():
        message = re.sub(rf"\b{arg}\b", flag, message)
    return UsageError(message, hint=re.sub(r"\bpadding: same\b", "--padding same", first.hint))


def build(flags: LayerFlags) -> Built:
    """The one-layer spec of ``flags``, analysed; a problem is a UsageError naming the flag."""
    if flags.kind not in KINDS:
        raise UsageError(f"unknown layer kind {flags.kind!r}; one of {', '.join(KINDS)}")
    shape, batch, cf = _input(flags)
    kernel, lit = _kernel(flags)
    torch = flags.framework == "torch" or (flags.framework is None and cf)
    written = KINDS[flags.kind][1 if torch else 0]
    channels = shape[0] if cf else shape[-1]
    doc = {
        "name": written,
        "input": shape,
        "data_format": "channels_first" if cf else "channels_last",
        "model": "sequential",
        "layers": [{written: layer_args(flags, kernel, channels)}],
    }
    try:
        spec = parse_spec(yaml.safe_dump(doc, sort_keys=False), "<flags>")
        report = analyze(spec)
    except SpecError as err:
        raise _usage(err) from None
    row = report.rows[-1]
    values = None
    if lit is not None:
        kw = [w for w in row.weights if w.flip]
        if not kw:
            raise UsageError("--kernel: a matrix literal needs a layer with a kernel, not pooling")
        values = inline.fit(lit, kw[0].shape, "--kernel", "the kernel")
    return Built(spec, report, row, spec.layers[-1].layer, batch, values, written)
