"""``convcalc conv|pool|transpose``: one layer from flags, with every number explained.

:func:`calculate` returns a :class:`Calculation`: the layer as PyTorch and Keras code, the
input and output shapes (with the batch when one was given), the per-axis formulas
(:mod:`convcalc.tools.axes`), the weights in the framework's order, and the parameter and MAC
counts written as the products they are. Every count is the engine's; the written products
are checked against it.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from convcalc.tools.axes import AxisStep, axis_steps, keras_padding, torch_padding
from convcalc.tools.onelayer import Built, LayerFlags, build


class Calculation(NamedTuple):
    built: Built
    steps: list[AxisStep]
    torch_code: str
    keras_code: str
    code_notes: tuple[str, ...]
    weights: list[tuple[str, tuple[int, ...]]]  # framework order
    params_text: str  # "33·16·3·5 + 33 = 7,953"
    macs_formula: str  # symbolic
    macs_text: str  # with the numbers
    field: str  # what one output sees
    sampling_ops: int | None  # deformable: bilinear sampling multiply-adds (not MACs)

    @property
    def batch(self) -> int:
        return self.built.batch or 1


def _pair(v: tuple[int, ...]) -> str:
    return f"({v[0]}, {v[1]})" if v[0] != v[1] else str(v[0])


def _torch_pads(
    layer: Any, steps: list[AxisStep], kind: str, parts: list[str], notes: list[str]
) -> str:
    """Append the padding arguments to ``parts``; return the code to run before the layer."""
    if kind == "transpose":
        if isinstance(layer.padding, str):
            notes.append(
                "Keras 'valid'/'same' transposed padding has no single PyTorch padding= value; "
                "crop the full output as the axis notes say"
            )
            return ""
        p = tuple(st.pads[0] for st in steps)
        if p != (0, 0):
            parts.append(f"padding={_pair(p)}")
        op = layer.output_padding
        if op is not None and tuple(op) != (0, 0):
            parts.append(f"output_padding={_pair(tuple(op))}")
        return ""
    pad = torch_padding(steps)
    if pad.startswith("padding="):
        if pad != "padding=0":
            parts.append(pad)
        return ""
    if kind == "max":
        (t, b), (left, right) = steps[0].pads, steps[1].pads
        return f"F.pad(x, ({left}, {right}, {t}, {b}), value=-inf) then "
    notes.append("PyTorch pads both sides alike (padding='same' only at stride 1)")
    return pad


def _torch_code(b: Built, steps: list[AxisStep], kind: str) -> tuple[str, tuple[str, ...]]:
    layer = b.layer
    c = b.row.in_shapes[0][-1]
    k = _pair(layer.kernel())  # type: ignore[attr-defined]
    parts: list[str] = []
    s, d = tuple(layer.strides), tuple(layer.dilation())  # type: ignore[attr-defined]
    notes: list[str] = []
    if kind in ("max", "avg"):
        name = "MaxPool2d" if kind == "max" else "AvgPool2d"
        parts = [f"kernel_size={k}", f"stride={_pair(s)}"]
    else:
        name = {"conv": "Conv2d", "transpose": "ConvTranspose2d", "deformable": "DeformConv2d"}[
            kind
        ]
        parts = [str(c), str(b.row.shape[-1]), f"kernel_size={k}"]
        if s != (1, 1):
            parts.append(f"stride={_pair(s)}")
    pre = _torch_pads(layer, steps, kind, parts, notes)
    if d != (1, 1):
        parts.append(f"dilation={_pair(d)}")
    groups = getattr(layer, "groups", 1)
    if groups != 1:
        parts.append(f"groups={groups}")
    if getattr(layer, "ceil_mode", False):
        parts.append("ceil_mode=True")
    if kind not in ("max", "avg") and not layer.use_bias:  # type: ignore[attr-defined]
        parts.append("bias=False")
    prefix = "torchvision.ops." if kind == "deformable" else "nn."
    return f"{pre}{prefix}{name}({', '.join(parts)})", tuple(notes)


def _keras_conv_args(
    b: Built, s: tuple[int, ...], d: tuple[int, ...], k: str, pad: str
) -> list[str]:
    layer = b.layer
    parts = [str(b.row.shape[-1]), k]
    if s != (1, 1):
        parts.append(f"strides={_pair(s)}")
    parts.append(pad)
    if d != (1, 1):
        parts.append(f"dilation_rate={_pair(d)}")
    if getattr(layer, "groups", 1) != 1:
        parts.append(f"groups={layer.groups}")  # type: ignore[attr-defined]
    if not layer.use_bias:  # type: ignore[attr-defined]
        parts.append("use_bias=False")
    return parts


def _keras_code(b: Built, steps: list[AxisStep], kind: str) -> tuple[str, tuple[str, ...]]:
    layer = b.layer
    s, d = tuple(layer.strides), tuple(layer.dilation())  # type: ignore[attr-defined]
    k = _pair(layer.kernel())  # type: ignore[attr-defined]
    notes: list[str] = []
    if kind == "deformable":
        return "(no Keras layer: deformable convolution is not in Keras)", ()
    if kind == "transpose":
        pad = layer.padding  # type: ignore[attr-defined]
        if not isinstance(pad, str):
            return "(PyTorch padding: Keras has only 'valid' and 'same' here)", ()
        parts = [str(b.row.shape[-1]), k, f"strides={_pair(s)}", f"padding='{pad}'"]
        op = layer.output_padding  # type: ignore[attr-defined]
        if op is not None:
            parts.append(f"output_padding={_pair(tuple(op))}")
        return f"layers.Conv2DTranspose({', '.join(parts)})", ()
    pad = keras_padding(steps, layer)
    pre = ""
    if pad.startswith("ZeroPadding2D"):
        pre, pad = pad.split(" then ")[0] + " then ", "padding='valid'"
        if kind == "max":
            notes.append("Keras pads with zeros here; PyTorch's max pooling pads with -inf")
    if kind in ("max", "avg"):
        name = "MaxPooling2D" if kind == "max" else "AveragePooling2D"
        parts = [k, f"strides={_pair(s)}", pad]
        if getattr(layer, "ceil_mode", False):
            notes.append("Keras has no ceil_mode")
        if d != (1, 1):
            notes.append("Keras pooling has no dilation")
    else:
        name, parts = "Conv2D", _keras_conv_args(b, s, d, k, pad)
    return f"{pre}layers.{name}({', '.join(parts)})", tuple(notes)


def _products(weights: list[tuple[str, tuple[int, ...]]], total: int) -> str:
    if not weights:
        return "0 (no weights)"
    terms = ["·".join(map(str, shape)) for _, shape in weights]
    text = " + ".join(terms)
    assert sum(math.prod(shape) for _, shape in weights) == total
    return text + f" = {total:,}" if len(weights) > 1 or "·" in text else f"{total:,}"


def _macs(b: Built, kind: str) -> tuple[str, str]:
    row, layer = b.row, b.layer
    if kind in ("max", "avg"):
        return "0 (pooling is not a multiply-accumulate)", "0"
    (hi, wi, c), (ho, wo, f) = row.in_shapes[0], row.shape
    kh, kw = layer.kernel()  # type: ignore[attr-defined]
    g = getattr(layer, "groups", 1)
    if kind == "transpose":
        formula = "H_in·W_in·C_in·(F/groups)·kh·kw (on the input grid)"
        terms = [hi, wi, c, f // g, kh, kw]
    else:
        formula = "H_out·W_out·F·(C_in/groups)·kh·kw"
        terms = [ho, wo, f, c // g, kh, kw]
    value = math.prod(terms)
    text = "·".join(map(str, terms))
    if kind == "deformable" and len(row.in_shapes) == 1:
        kk, og = kh * kw, layer.offset_groups  # type: ignore[attr-defined]
        per = (3 if layer.use_mask else 2) * kk * og  # type: ignore[attr-defined]
        extra = [ho, wo, per, c, kh, kw]
        formula += " + H_out·W_out·(offset and mask channels)·C_in·kh·kw"
        text += " + " + "·".join(map(str, extra))
        value += math.prod(extra)
    assert value == row.macs, (value, row.macs)
    return formula, f"{text} = {value:,}"


def calculate(flags: LayerFlags) -> Calculation:
    b = build(flags)
    kind = flags.kind
    steps = axis_steps(b.layer, b.row)
    torch_code, tn = _torch_code(b, steps, kind)
    keras_code, kn = _keras_code(b, steps, kind)
    weights = b.row.weight_shapes()
    formula, text = _macs(b, kind)
    if kind == "deformable":
        field = "data dependent: the offsets move every sampling point"
        ops = b.layer.sampling_ops(list(b.row.in_shapes), b.row.shape)  # type: ignore[attr-defined]
    elif kind == "transpose" and any(st.s > 1 for st in steps):
        field = "depends on the output position (strided transposed convolution)"
        ops = None
    else:
        field = " x ".join(str(st.k_eff) for st in steps) + " input positions (k_eff per axis)"
        ops = None
    return Calculation(
        b,
        steps,
        torch_code,
        keras_code,
        tn + kn,
        weights,
        _products(weights, b.row.params),
        formula,
        text,
        field,
        ops,
    )
