"""Receptive field, effective stride and effective padding of every layer, per spatial axis.

The recurrences of Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
Networks" (Distill 2019, and google-research/receptive_field), walked forward from the input.
For a windowed layer with effective kernel k_eff = d·(k-1)+1, stride s and left padding p_l, on
an input whose field is (r, j, P):

    r_out = r + (k_eff - 1)·j        receptive field size (input positions)
    j_out = j·s                      effective stride: input positions between adjacent outputs
    P_out = P + p_l·j                effective padding: output unit u sees input positions
                                     [u·j_out - P_out, u·j_out - P_out + r_out - 1]

so the centre of unit 0 is ``(r-1)/2 - P`` (Dang Ha The Hien's ``start``, minus the 0.5 offset
that his pixel-centre convention adds). All arithmetic is on ints; the padding of 'same' layers
is the one the layer computes for the actual input size, so TF's input-dependent SAME padding
is exact here.

Each layer kind says what it does with its ``rf_step()`` (:mod:`convcalc.layers.base`):

* :class:`Window` (convolutions, pooling; a stride-1 transposed convolution is a convolution
  with left padding ``k_eff-1-p_l``): the recurrence above;
* :class:`Shift` (ZeroPadding / Cropping): the origin moves (P grows by ``before·j``);
* :class:`Whole` (global pooling, Flatten, Reshape): the output sees the whole input map, as a
  VALID window the size of the map would (r grows by ``(n-1)·j``; j and P are kept, as
  google-research does for VGG's fc6-as-7×7-convolution); from then on every layer sees that
  whole region;
* :class:`Merge` (Add, Concatenate on channels, ...): every input must have the same effective
  stride; the merged field is the smallest interval holding every branch's field (for branches
  whose centres agree, "aligned" in google-research's words, that is simply the largest field).
  google-research raises "Graph is not aligned" when centres differ; convcalc keeps the
  enclosing interval and sets ``aligned = False`` so that a report can say so;
* :class:`Unknown` (a strided transposed convolution, UpSampling by a factor > 1: the field of an
  output depends on its position): reported as not computable, with the reason, for that layer
  and everything downstream;
* :class:`Unchanged` (activations, normalisation, Dense on a map, Dropout): the field as is.
"""

from __future__ import annotations

from convcalc import shapes
from convcalc.errors import LayerError
from convcalc.layers.base import Layer, Merge, RFStep, Shift, Unknown, Whole, Window
from convcalc.report import Field, Report, unknown_field
from convcalc.shapes import Shape
from convcalc.spec.model import LayerSpec, Spec

__all__ = ["Field", "FieldWalk", "model_field", "reach", "receptive_fields", "rf_step", "step"]


class FieldWalk:
    """The fields of the layers seen so far, in spec order (the engine drives it: ``start``
    for an input, then ``next_field`` for each layer with its step)."""

    def __init__(self) -> None:
        self.fields: dict[str, Field] = {}

    def start(self, name: str, shape: Shape) -> Field:
        """An input: one position per position on each spatial axis."""
        n = len(shape) - 1
        self.fields[name] = Field((1,) * n, (1,) * n, (0,) * n)
        return self.fields[name]

    def next_field(
        self, ls: LayerSpec, in_shapes: tuple[Shape, ...], rf: RFStep, reach: Shape = ()
    ) -> Field:
        """The field of ``ls``'s output, from its inputs' fields and its step ``rf``
        (:func:`rf_step`; ``reach``: :func:`reach` of it, which layers alike share); the
        common case, one input through a window, is computed here directly, everything else
        by :func:`step`."""
        names = ls.inputs
        if reach and len(names) == 1:
            f = self.fields[names[0]]
            size, jump, pad, aligned, whole, reason = f
            if not reason and not whole and len(size) == 2 and len(in_shapes[0]) == 3:
                w: Window = rf  # type: ignore[assignment]
                (r0, r1), (j0, j1), (p0, p1) = size, jump, pad
                (s0, s1), (l0, l1) = w.strides, w.left_pads
                found = tuple.__new__(  # as _window computes it, 2 axes
                    Field,
                    (
                        (r0 + reach[0] * j0, r1 + reach[1] * j1),
                        jump if s0 == s1 == 1 else (j0 * s0, j1 * s1),  # equal tuples shared
                        pad if l0 == l1 == 0 else (p0 + l0 * j0, p1 + l1 * j1),
                        aligned,
                        False,
                        "",
                    ),
                )
                self.fields[ls.name] = found
                return found
        found = step(ls.layer, ls.name, [self.fields[n] for n in names], list(in_shapes), rf)
        self.fields[ls.name] = found
        return found


def reach(rf: RFStep) -> Shape:
    """How much further a window's field reaches than its input's, per axis, in the input's
    steps (the effective kernel minus one; ``()`` for every other step)."""
    if type(rf) is not Window:
        return ()
    return tuple(shapes.effective_kernel(k, d) - 1 for k, d in zip(rf.kernel, rf.dilation))


def receptive_fields(spec: Spec, report: Report) -> dict[str, Field]:
    """The field of every layer of an analysed spec, by layer name (spec order)."""
    return report.fields


def model_field(fields: dict[str, Field], outputs: tuple[str, ...]) -> Field:
    """The model's field: the largest field of its outputs on each axis."""
    chosen = [fields[name] for name in outputs]
    for f in chosen:
        if not f.known:
            return f
    if len(chosen) == 1:
        return chosen[0]
    best = chosen[0]
    for f in chosen[1:]:
        best = Field(
            tuple(max(a, b) for a, b in zip(best.size, f.size)),
            best.stride,
            best.padding,
            best.aligned and f.aligned,
            best.whole and f.whole,
        )
    return best


def rf_step(layer: Layer, in_shapes: list[Shape]) -> RFStep:
    """What ``layer`` does to a receptive field on these inputs (:class:`Unknown` with the
    reason when it cannot say)."""
    try:
        return layer.rf_step(in_shapes)
    except LayerError as err:  # e.g. an axis out of range, which the run reports too
        return Unknown(err.message)


def step(
    layer: Layer, name: str, ins: list[Field], in_shapes: list[Shape], rf: RFStep | None = None
) -> Field:
    """The field at ``layer``'s output from the fields and (canonical) shapes of its inputs
    (``rf``: the layer's step, when the caller already has it)."""
    for f in ins:
        if not f.known:
            return f
    if rf is None:
        rf = rf_step(layer, in_shapes)
    if isinstance(rf, Unknown) and (len(ins) > 1 or not ins[0].whole):
        return unknown_field(f"'{name}' ({layer.kind}) {rf.reason}")
    if len(ins) > 1 or isinstance(rf, Merge):
        return _merge(layer, name, ins)
    f = ins[0]
    if f.whole:
        return f
    sizes = in_shapes[0][:-1]
    n = len(f.size)
    if isinstance(rf, Whole):
        if len(sizes) != n:  # no spatial axes left to cover
            return f._replace(whole=True)
        return f._replace(
            size=tuple(r + (m - 1) * j for r, m, j in zip(f.size, sizes, f.stride)), whole=True
        )
    if isinstance(rf, (Window, Shift)) and len(sizes) != n:
        return unknown_field(
            f"'{name}' ({layer.kind}) slides over {len(sizes)} axes but the "
            f"input has {n} spatial axes"
        )
    if isinstance(rf, Window):
        return _window(f, rf)
    if isinstance(rf, Shift):
        return f._replace(
            padding=tuple(p + b * j for p, b, j in zip(f.padding, rf.before, f.stride))
        )
    return f  # Unchanged


def _window(f: Field, w: Window) -> Field:
    size, stride, padding = [], [], []
    for i, (r, j, p) in enumerate(zip(f.size, f.stride, f.padding)):
        size.append(r + (shapes.effective_kernel(w.kernel[i], w.dilation[i]) - 1) * j)
        stride.append(j * w.strides[i])
        padding.append(p + w.left_pads[i] * j)
    return Field(tuple(size), tuple(stride), tuple(padding), f.aligned, f.whole, f.reason)


def _merge(layer: Layer, name: str, ins: list[Field]) -> Field:
    first = ins[0]
    if any(f.stride != first.stride for f in ins):
        return unknown_field(
            f"'{name}' ({layer.kind}) merges branches with different effective "
            f"strides: " + ", ".join(str(list(f.stride)) for f in ins)
        )
    if any(len(f.size) != len(first.size) for f in ins):
        return unknown_field(f"'{name}' ({layer.kind}) merges inputs with different spatial ranks")
    size, padding = [], []
    for i in range(len(first.size)):
        lo = min(-f.padding[i] for f in ins)
        hi = max(-f.padding[i] + f.size[i] - 1 for f in ins)
        size.append(hi - lo + 1)
        padding.append(-lo)
    centres = {f.start for f in ins}
    return Field(
        tuple(size),
        first.stride,
        tuple(padding),
        aligned=all(f.aligned for f in ins) and len(centres) == 1,
        whole=all(f.whole for f in ins),
    )
