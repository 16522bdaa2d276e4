"""One convolution against its variants: each written as a tiny spec, parsed by the spec loader
and counted by the engine, so shapes, params and MACs come from the one set of layer formulas.
Each variant also carries the textbook closed form of its MAC ratio to the standard convolution,
computed with exact fractions, and whether it equals the measured ratio for this geometry.

Variants of one ``Kh x Kw`` convolution with M input and N output channels (P output positions):

* standard:   ``Conv2D`` -- P·N·M·Kh·Kw MACs.
* separable:  ``DepthwiseConv2D`` Kh x Kw (depth multiplier dm, no bias) then ``Conv2D`` 1x1
  (bias), i.e. Keras's ``SeparableConv2D`` as two layers; ratio dm/N + dm/(Kh·Kw) (MobileNet,
  arXiv 1704.04861, section 3.1), always exact.
* grouped G:  ``Conv2D(groups=G)``; ratio 1/G, always exact.
* bottleneck B: ``Conv2D`` 1x1 M -> B at stride 1, then the Kh x Kw convolution B -> N with the
  original strides, padding and dilation; ratio (M·B + K²·B·N)/(K²·M·N) (Inception, arXiv
  1409.4842), exact when the 1x1 runs on as many positions as the Kh x Kw one (stride 1 and
  'same' padding); otherwise the 1x1 costs more than the formula says.
* spatial:    ``Conv2D`` Kh x 1 (M -> C = min(M, N) channels, strides and dilation on H) then
  ``Conv2D`` 1 x Kw (C -> N, on W); ratio C/(M·Kh) + C/(N·Kw), i.e. C·(M + N)/(K·M·N) for a
  square kernel (2/3 for 3x3 with M = N: the "33% cheaper" of Szegedy et al., arXiv
  1512.00567, section 3.2); exact when the first step keeps the output width (stride 1 and
  'same' padding on W). It computes the same function as the Kh x Kw convolution only for
  rank-1 kernels (a column times a row, like Sobel): the counts are those of a cheaper layer,
  not of an exact rewrite.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import yaml

from convcalc.analysis import analyze, parse_spec
from convcalc.errors import SpecError, UsageError
from convcalc.report import LayerRow, Report
from convcalc.spec.model import Spec
from convcalc.tools.compare.results import ClosedForm, LayerComparison, LayerRequest, Part, Variant


def _conv(
    name: str,
    filters: int,
    kernel: tuple[int, int],
    strides: tuple[int, int] = (1, 1),
    padding: Any = "valid",
    dilation: tuple[int, int] = (1, 1),
    groups: int = 1,
    use_bias: bool = True,
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "name": name,
        "filters": filters,
        "kernel_size": list(kernel),
        "strides": list(strides),
        "padding": padding,
        "dilation_rate": list(dilation),
        "use_bias": use_bias,
    }
    if groups != 1:
        args["groups"] = groups
    return {"Conv2D": args}


def _axis_padding(padding: str | int, axis: int) -> Any:
    """``padding`` on one spatial axis only (for the Kh x 1 and 1 x Kw steps)."""
    if isinstance(padding, str):
        return padding  # valid/same on a size-1 kernel axis at stride 1 adds nothing
    return [[padding, padding] if a == axis else [0, 0] for a in range(2)]


def variant_layers(req: LayerRequest) -> list[tuple[str, int, list[dict[str, Any]]]]:
    """``(key, setting, layer entries)`` of every requested variant, the standard one first."""
    k, s, d, p, b = req.kernel, req.strides, req.dilation, req.padding, req.use_bias
    m, n = req.in_channels, req.filters
    out: list[tuple[str, int, list[dict[str, Any]]]] = [
        ("standard", 0, [_conv("conv", n, k, s, p, d, use_bias=b)])
    ]
    if req.separable:
        dw = {
            "DepthwiseConv2D": {
                "name": "depthwise",
                "kernel_size": list(k),
                "strides": list(s),
                "padding": p,
                "dilation_rate": list(d),
                "depth_multiplier": req.depth_multiplier,
                "use_bias": False,
            }
        }
        out.append(
            ("separable", req.depth_multiplier, [dw, _conv("pointwise", n, (1, 1), use_bias=b)])
        )
    for g in req.groups:
        out.append(("grouped", g, [_conv("conv", n, k, s, p, d, groups=g, use_bias=b)]))
    for width in req.bottlenecks:
        out.append(
            (
                "bottleneck",
                width,
                [
                    _conv("reduce", width, (1, 1), use_bias=b),
                    _conv("conv", n, k, s, p, d, use_bias=b),
                ],
            )
        )
    if req.spatial:
        out.append(
            (
                "spatial",
                0,
                [
                    _conv(
                        "conv_kx1",
                        min(m, n),
                        (k[0], 1),
                        (s[0], 1),
                        _axis_padding(p, 0),
                        (d[0], 1),
                        use_bias=b,
                    ),
                    _conv(
                        "conv_1xk",
                        n,
                        (1, k[1]),
                        (1, s[1]),
                        _axis_padding(p, 1),
                        (1, d[1]),
                        use_bias=b,
                    ),
                ],
            )
        )
    return out


def variant_spec(req: LayerRequest, key: str, layers: list[dict[str, Any]]) -> Spec:
    """A variant as a spec, through the real loader (YAML text -> parse_spec)."""
    doc = {
        "name": f"compare_{key}",
        "input": list(req.input_shape),
        "data_format": req.data_format,
        "model": "sequential",
        "layers": layers,
    }
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), f"<compare {key}>")


def _without_bias(row: LayerRow) -> int:
    return sum(w.size for w in row.weights if w.name != "bias")


def _analyze_variant(
    req: LayerRequest, key: str, layers: list[dict[str, Any]]
) -> tuple[Spec, Report]:
    spec = variant_spec(req, key, layers)
    try:
        return spec, analyze(spec)
    except SpecError as exc:
        if key != "standard":
            raise  # the standard convolution fits, so every variant does: a bug, shown as is
        first = min(exc.problems, key=lambda q: q.loc)
        k = req.kernel
        raise UsageError(
            f"--kernel {k[0]}x{k[1]} does not fit --input "
            f"{'x'.join(map(str, req.display_input))} with --padding {req.padding}: "
            f"{first.message}",
            hint="use a smaller --kernel or --dilation, or --padding same",
        ) from None


def _closed_form(req: LayerRequest, key: str, setting: int, measured: Fraction) -> ClosedForm:
    m, n = req.in_channels, req.filters
    kh, kw = req.kernel
    k2 = kh * kw
    square = kh == kw
    ksym: tuple[tuple[str, int], ...] = (("K", kh),) if square else (("Kh", kh), ("Kw", kw))
    kk = "K²" if square else "(Kh·Kw)"
    symbols: tuple[tuple[str, int], ...]
    if key == "standard":
        formula, symbols, value = "1", (), Fraction(1)
    elif key == "separable":
        dm = setting
        formula = f"1/N + 1/{kk}" if dm == 1 else f"dm/N + dm/{kk}"
        symbols = (("N", n),) + ksym + ((("dm", dm),) if dm != 1 else ())
        value = Fraction(dm, n) + Fraction(dm, k2)
    elif key == "grouped":
        formula, symbols, value = "1/G", (("G", setting),), Fraction(1, setting)
    elif key == "bottleneck":
        b = setting
        kk = "K²" if square else "Kh·Kw"
        formula = f"(M·B + {kk}·B·N)/({kk}·M·N)"
        symbols = (("M", m), ("B", b), ("N", n)) + ksym
        value = Fraction(m * b + k2 * b * n, k2 * m * n)
    else:  # spatial, through C = min(M, N) channels
        c = min(m, n)
        formula = "C·(M + N)/(K·M·N)" if square else "C/(M·Kh) + C/(N·Kw)"
        symbols = (("C", c), ("M", m), ("N", n)) + ksym
        value = Fraction(c, m * kh) + Fraction(c, n * kw)
    return ClosedForm(formula, symbols, value.numerator, value.denominator, value == measured)


def compare_layer(req: LayerRequest) -> LayerComparison:
    """Count the standard convolution and every requested variant with the engine."""
    counted = []
    for key, setting, layers in variant_layers(req):
        spec, report = _analyze_variant(req, key, layers)
        counted_parts = tuple(
            p for p, r in zip(parts(report, spec, req.batch), report.rows) if not r.is_input
        )
        counted.append((key, setting, counted_parts))
    std_macs = sum(p.macs for p in counted[0][2])
    variants = tuple(
        Variant(
            key,
            setting,
            ps,
            _closed_form(req, key, setting, Fraction(sum(p.macs for p in ps), std_macs)),
        )
        for key, setting, ps in counted
    )
    return LayerComparison(req, variants)


def parts(report: Report, spec: Spec, batch: int | None = None) -> list[Part]:
    """Every row of ``report`` as a :class:`Part`, with MACs and shapes for ``batch`` samples."""
    layers = {ls.name: ls.layer for ls in spec.layers}
    lead = (batch,) if batch else ()
    return [
        Part(
            r.name,
            r.kind,
            tuple(getattr(layers[r.name], "kernel_size", None) or ()),
            getattr(layers[r.name], "groups", None) or 1,
            r.channels,
            lead + tuple(r.output_shape),
            r.params,
            _without_bias(r),
            r.macs * (batch or 1),
            "filters" in type(layers[r.name]).args,
        )
        for r in report.rows
    ]
