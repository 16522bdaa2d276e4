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
is the one :meth:`_Windowed.pads` computes for the actual input size, so TF's input-dependent
SAME padding is exact here.

What each kind of layer does:

* convolutions (also depthwise and separable: the pointwise step is 1×1) and max/average
  pooling: the recurrence above, from ``kernel()``, ``strides``, ``dilation()``, ``pads(sizes)``;
* ZeroPadding / Cropping: move the origin (P grows by ``before·j`` / shrinks by it);
* global pooling, Flatten and Reshape: the output sees the whole input map, as a VALID window
  the size of the map would (r grows by ``(n-1)·j``; j and P are kept, as google-research does
  for VGG's fc6-as-7×7-convolution); from then on every layer sees that whole region;
* transposed convolution with stride 1 is a convolution with left padding ``k_eff-1-p_l`` (its
  crop); with a larger stride, and UpSampling with a factor > 1, the field of an output depends
  on its position (the effective stride becomes a fraction): it is reported as not computable
  (``Field.reason``) for that layer and everything downstream;
* merges (Add, Concatenate, ...): every input must have the same effective stride; the merged
  field is the smallest interval holding every branch's field (for branches whose centres agree,
  "aligned" in google-research's words, that is simply the largest field). google-research raises
  "Graph is not aligned" when centres differ; convcalc keeps the enclosing interval and sets
  ``aligned = False`` so that a report can say so;
* every other layer (activations, normalisation, Dense on a map, Dropout) leaves the field as is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from convcalc import shapes
from convcalc.layers.base import Layer, Shape, canonical_axis, to_canonical

if TYPE_CHECKING:
    from convcalc.report import Report
    from convcalc.spec.model import Spec


@dataclass(frozen=True)
class Field:
    """The receptive field of one layer's outputs, one entry per spatial axis of the input.

    ``reason`` is non-empty when the field cannot be computed (the sizes are then empty).
    ``whole`` is true once a layer has seen its whole input map (global pooling, Flatten).
    """

    size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    aligned: bool = True
    whole: bool = False
    reason: str = ""

    @property
    def known(self) -> bool:
        return not self.reason

    @property
    def start(self) -> tuple[Fraction, ...]:
        """Centre of output unit 0 in input coordinates (pixel i spans [i-1/2, i+1/2])."""
        return tuple(Fraction(r - 1, 2) - p for r, p in zip(self.size, self.padding))

    def interval(self, unit: tuple[int, ...],
                 sizes: tuple[int, ...] | None = None) -> list[tuple[int, int]]:
        """First and last input position seen by output ``unit``, clipped to ``sizes``."""
        spans = []
        for i, u in enumerate(unit):
            first = u * self.stride[i] - self.padding[i]
            last = first + self.size[i] - 1
            if sizes is not None:
                first, last = max(first, 0), min(last, sizes[i] - 1)
            spans.append((first, last))
        return spans


def unknown(reason: str) -> Field:
    return Field((), (), (), reason=reason)


def receptive_fields(spec: Spec, report: Report) -> dict[str, Field]:
    """The field of every layer of an analysed spec, by layer name (spec order)."""
    cf = spec.channels_first
    rows = {r.name: r for r in report.rows}
    fields: dict[str, Field] = {}
    for ls in spec.layers:
        row = rows[ls.name]
        if ls.kind == "InputLayer":
            n = len(row.output_shape) - 1
            fields[ls.name] = Field((1,) * n, (1,) * n, (0,) * n)
            continue
        ins = [fields[name] for name in ls.inputs]
        in_shapes = [to_canonical(s, cf) for s in row.input_shapes]
        fields[ls.name] = step(ls.layer, ls.name, ins, in_shapes)
    return fields


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
        best = Field(tuple(max(a, b) for a, b in zip(best.size, f.size)), best.stride,
                     best.padding, best.aligned and f.aligned, best.whole and f.whole)
    return best


def step(layer: Layer, name: str, ins: list[Field], in_shapes: list[Shape]) -> Field:
    """The field at ``layer``'s output from the fields and (canonical) shapes of its inputs."""
    from convcalc.layers.conv import ConvNDTranspose, _Windowed
    from convcalc.layers.pool import GlobalPoolingND
    from convcalc.layers.reshaping import CroppingND, Flatten, Reshape, UpSamplingND, ZeroPaddingND

    for f in ins:
        if not f.known:
            return f
    if len(ins) > 1:
        return _merge(layer, name, ins, in_shapes)
    f = ins[0]
    if f.whole:
        return f
    sizes = in_shapes[0][:-1]
    n = len(f.size)
    if isinstance(layer, (GlobalPoolingND, Flatten, Reshape)):
        if len(sizes) != n:  # no spatial axes left to cover
            return replace(f, whole=True)
        return replace(f, size=tuple(r + (m - 1) * j for r, m, j in zip(f.size, sizes, f.stride)),
                       whole=True)
    if isinstance(layer, (_Windowed, ZeroPaddingND, CroppingND, UpSamplingND)) and len(sizes) != n:
        return unknown(f"'{name}' ({layer.kind}) slides over {len(sizes)} axes but the input "
                       f"has {n} spatial axes")
    if isinstance(layer, ConvNDTranspose):
        if any(s != 1 for s in layer.strides):
            return unknown(f"'{name}' ({layer.kind}) up-samples (strides "
                           f"{list(layer.strides)}): the field of an output depends on its "
                           f"position")
        return _window(f, layer, _transposed_pads(layer, sizes), (1,) * n)
    if isinstance(layer, _Windowed):
        return _window(f, layer, [p for p, _ in layer.pads(sizes)], layer.strides)
    if isinstance(layer, ZeroPaddingND):
        return replace(f, padding=tuple(p + b * j for p, (b, _), j
                                        in zip(f.padding, layer.padding, f.stride)))
    if isinstance(layer, CroppingND):
        return replace(f, padding=tuple(p - b * j for p, (b, _), j
                                        in zip(f.padding, layer.cropping, f.stride)))
    if isinstance(layer, UpSamplingND) and any(x != 1 for x in layer.size):
        return unknown(f"'{name}' ({layer.kind}) up-samples (size {list(layer.size)}): the "
                       f"field of an output depends on its position")
    return f


def _window(f: Field, layer: Layer, left_pads: list[int], strides: tuple[int, ...]) -> Field:
    kernel, dilation = layer.kernel(), layer.dilation()  # type: ignore[attr-defined]
    size, stride, padding = [], [], []
    for i, (r, j, p) in enumerate(zip(f.size, f.stride, f.padding)):
        size.append(r + (shapes.effective_kernel(kernel[i], dilation[i]) - 1) * j)
        stride.append(j * strides[i])
        padding.append(p + left_pads[i] * j)
    return replace(f, size=tuple(size), stride=tuple(stride), padding=tuple(padding))


def _transposed_pads(layer: Layer, sizes: Shape) -> list[int]:
    """Left padding of the stride-1 convolution that a stride-1 transposed convolution is."""
    kernel, dilation = layer.kernel(), layer.dilation()  # type: ignore[attr-defined]
    pads = []
    for i, n in enumerate(sizes):
        ke = shapes.effective_kernel(kernel[i], dilation[i])
        padding = layer.padding  # type: ignore[attr-defined]
        if padding == "valid":
            crop = 0
        elif padding == "same":
            crop = shapes.keras_transposed_crop(n, kernel[i], 1, dilation[i], "same")
        else:
            crop = padding[i][0]
        pads.append(ke - 1 - crop)
    return pads


def _merge(layer: Layer, name: str, ins: list[Field], in_shapes: list[Shape]) -> Field:
    from convcalc.layers.merge import Concatenate

    if isinstance(layer, Concatenate) and layer.axis is not None:
        rank = len(in_shapes[0])
        if canonical_axis(layer.axis, rank, layer.channels_first) != rank - 1:
            return unknown(f"'{name}' (Concatenate) joins inputs along a spatial axis")
    first = ins[0]
    if any(f.stride != first.stride for f in ins):
        return unknown(f"'{name}' ({layer.kind}) merges branches with different effective "
                       f"strides: " + ", ".join(str(list(f.stride)) for f in ins))
    if any(len(f.size) != len(first.size) for f in ins):
        return unknown(f"'{name}' ({layer.kind}) merges inputs with different spatial ranks")
    size, padding = [], []
    for i in range(len(first.size)):
        lo = min(-f.padding[i] for f in ins)
        hi = max(-f.padding[i] + f.size[i] - 1 for f in ins)
        size.append(hi - lo + 1)
        padding.append(-lo)
    centres = {f.start for f in ins}
    return Field(tuple(size), first.stride, tuple(padding),
                 aligned=all(f.aligned for f in ins) and len(centres) == 1,
                 whole=all(f.whole for f in ins))
