"""The output-size formula of a windowed layer, axis by axis, with its numbers put in.

Each :class:`AxisStep` holds the symbolic formula, the same formula with the numbers
substituted (``floor(51/2) + 1 = 25 + 1 = 26``), the explicit ``(before, after)`` padding, the
effective kernel and notes (PyTorch's ceil-mode rule when it fires, positions no window reads,
how 'same' splits its padding). The result always comes from the layer (the engine's report,
which calls :mod:`convcalc.shapes`); :func:`axis_steps` raises if the written arithmetic
disagrees with it, so the display cannot drift from the rule.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from convcalc import shapes
from convcalc.layers.base import Layer
from convcalc.report import LayerRow


class AxisStep(NamedTuple):
    axis: str  # H or W
    n: int
    k: int
    s: int
    d: int
    k_eff: int
    pads: tuple[int, int]  # explicit (before, after) zero padding
    formula: str  # symbolic
    numbers: str  # with the numbers substituted, ending in "= out"
    out: int
    notes: tuple[str, ...] = ()


def _floor(a: int, b: int) -> str:
    """``floor(51/2) + 1 = 25 + 1`` (``50 + 1`` when b is 1)."""
    return f"floor({a}/{b}) + 1 = {a // b} + 1" if b != 1 else f"{a} + 1"


def _same_note(n: int, k: int, s: int, d: int, pads: tuple[int, int]) -> str:
    out = shapes.ceil_div(n, s)
    total = pads[0] + pads[1]
    return (
        f"'same': out = ceil(n/s) = ceil({n}/{s}) = {out}; total padding = max((out-1)·s + "
        f"k_eff - n, 0) = max({out - 1}·{s} + {shapes.effective_kernel(k, d)} - {n}, 0) = "
        f"{total}, split ({pads[0]}, {pads[1]}) with the odd pixel at the end (TF/Keras)"
    )


def _conv_axis(
    axis: str, n: int, k: int, s: int, d: int, pads: tuple[int, int], pool: bool, ceil: bool
) -> AxisStep:
    ke = shapes.effective_kernel(k, d)
    span = n + pads[0] + pads[1] - ke
    notes: list[str] = []
    if ceil:
        formula = "floor((n + p_l + p_r - k_eff + (s-1)) / s) + 1"
        raw = (span + s - 1) // s + 1
        numbers = (
            f"floor(({n} + {pads[0]} + {pads[1]} - {ke} + {s - 1}) / {s}) + 1 = "
            f"{_floor(span + s - 1, s)} = {raw}"
        )
        out = shapes.pool_out(n, k, s, d, pads, True)
        if out != raw:
            notes.append(
                f"ceil_mode's last window would start at (out-1)·s = {(raw - 1) * s} >= n + p_l "
                f"= {n + pads[0]}, entirely in the right padding, so PyTorch drops it: out = "
                f"{out} (Pool.h; the documented formula omits this)"
            )
            numbers += f" -> {out}"
        elif (raw - 1) * s + ke > n + pads[0] + pads[1]:
            over = (raw - 1) * s + ke - (n + pads[0] + pads[1])
            notes.append(
                f"ceil_mode adds a last window that overhangs the padded input by {over} "
                f"(it starts at {(raw - 1) * s} < n + p_l = {n + pads[0]}, so it is kept)"
            )
    else:
        formula = "floor((n + p_l + p_r - k_eff) / s) + 1"
        out = shapes.pool_out(n, k, s, d, pads) if pool else shapes.conv_out(n, k, s, d, pads)
        numbers = (
            f"floor(({n} + {pads[0]} + {pads[1]} - {ke}) / {s}) + 1 = {_floor(span, s)} = "
            f"{span // s + 1}"
        )
        if span % s:
            notes.append(
                f"the last {span % s} position{'s' if span % s > 1 else ''} of the padded input "
                f"{'are' if span % s > 1 else 'is'} never read (the floor)"
            )
    return AxisStep(axis, n, k, s, d, ke, pads, formula, numbers, out, tuple(notes))


def _transposed_axis(layer: Any, i: int, n: int, out: int) -> AxisStep:
    k, s, d = layer.kernel_size[i], layer.strides[i], layer.dilation()[i]
    ke = shapes.effective_kernel(k, d)
    op = layer.output_padding
    if isinstance(layer.padding, str):
        given = None if op is None else op[i]
        if layer.padding == "valid":
            o = max(ke, s) - ke if given is None else given
            formula = "(n-1)·s + k_eff + output_padding (Keras 'valid'; output_padding "
            formula += "defaults to max(k_eff, s) - k_eff)"
            numbers = f"({n}-1)·{s} + {ke} + {o} = {(n - 1) * s + ke + o}"
        elif given is None:
            formula, numbers = "n·s (Keras 'same')", f"{n}·{s} = {n * s}"
        else:
            formula = "(n-1)·s + k_eff - 2·(k_eff//2) + output_padding (Keras 'same')"
            numbers = f"({n}-1)·{s} + {ke} - 2·{ke // 2} + {given} = {out}"
        crop = shapes.keras_transposed_crop(out, k, s, d, layer.padding)
        pads = (crop, shapes.transposed_out(n, k, s, d) - crop - out)
    else:
        p = layer.padding[i]
        o = 0 if op is None else op[i]
        formula = "(n-1)·s - p_l - p_r + d·(k-1) + output_padding + 1 (PyTorch)"
        value = (n - 1) * s - p[0] - p[1] + d * (k - 1) + o + 1
        numbers = f"({n}-1)·{s} - {p[0]} - {p[1]} + {d}·({k}-1) + {o} + 1 = {value}"
        pads = (p[0], p[1])
    full = shapes.transposed_out(n, k, s, d)
    note = (
        f"the full transposed output has (n-1)·s + k_eff = {full} positions; "
        f"{pads[0]} cropped at the start"
        + (f", {pads[1]} at the end" if pads[1] >= 0 else f", {-pads[1]} added at the end")
    )
    return AxisStep(layer.axis(i), n, k, s, d, ke, pads, formula, numbers, out, (note,))


def axis_steps(layer: Layer, row: LayerRow) -> list[AxisStep]:
    """Per spatial axis of a windowed layer, the formula with its numbers (see module doc)."""
    sizes = row.in_shapes[0][:-1]
    out = row.shape[:-1]
    if hasattr(layer, "output_padding"):
        steps = [_transposed_axis(layer, i, n, out[i]) for i, n in enumerate(sizes)]
    else:
        k, s, d = layer.kernel(), layer.strides, layer.dilation()  # type: ignore[attr-defined]
        pads = layer.pads(sizes)  # type: ignore[attr-defined]
        pool = hasattr(layer, "pool_size")
        ceil = bool(getattr(layer, "ceil_mode", False))
        steps = []
        for i, n in enumerate(sizes):
            step = _conv_axis(layer.axis(i), n, k[i], s[i], d[i], pads[i], pool, ceil)  # type: ignore[attr-defined]
            if layer.padding == "same":  # type: ignore[attr-defined]
                step = step._replace(notes=(_same_note(n, k[i], s[i], d[i], pads[i]),) + step.notes)
            steps.append(step)
    for st, o in zip(steps, out):
        if st.out != o or not st.numbers.endswith(str(o)):
            raise AssertionError(f"axis {st.axis}: written arithmetic {st.numbers} != {o}")
    return steps


def torch_padding(steps: list[AxisStep]) -> str:
    """The PyTorch code that pads like ``steps`` (a 2-D convolution)."""
    (t, b), (left, right) = steps[0].pads, steps[1].pads
    if t == b and left == right:
        return f"padding={t}" if t == left else f"padding=({t}, {left})"
    return f"nn.ZeroPad2d(({left}, {right}, {t}, {b})) then "


def keras_padding(steps: list[AxisStep], layer: Layer) -> str:
    """The Keras code that pads like ``steps``."""
    pads = [st.pads for st in steps]
    if all(p == (0, 0) for p in pads):
        return "padding='valid'"
    sizes = [st.n for st in steps]
    same = [shapes.same_pads(st.n, st.k, st.s, st.d) for st in steps]
    if pads == same and sizes:
        return "padding='same'"
    (t, b), (left, right) = pads
    return f"ZeroPadding2D((({t}, {b}), ({left}, {right}))) then padding='valid'"
