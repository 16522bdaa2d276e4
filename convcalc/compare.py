"""What separable, grouped, bottleneck and spatially separable convolutions really cost.

Two entry points, both returning plain dataclasses of ints (renderers make the text):

* :func:`compare_layer` -- one convolution described by flags (:func:`layer_request`) against
  its variants. Every variant is written as a tiny spec, parsed by the spec loader and counted by
  the engine, so shapes, params and MACs come from the one set of layer formulas. Each variant
  also carries the textbook closed form of its MAC ratio to the standard convolution, computed
  with exact fractions, and whether that closed form equals the measured ratio for this geometry.
* :func:`compare_spec` -- every eligible convolution of a whole spec rewritten at the YAML data
  level (names and everything else kept), re-parsed and re-counted; :func:`write_spec` saves it.

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

import copy
import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from convcalc.errors import SpecError, UsageError
from convcalc.layers.base import Shape, to_canonical
from convcalc.report import LayerRow, Report
from convcalc.spec.model import Spec

RUN_UNAVAILABLE = "error: --run needs the NumPy runtime (issue 4), not available yet"


# --- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One layer of a variant, as the engine counted it (MACs for the whole batch)."""

    name: str
    kind: str
    kernel: tuple[int, ...]
    groups: int
    channels: int                  # output channels
    output_shape: Shape            # display order; the batch first when one was given
    params: int
    params_without_bias: int
    macs: int


@dataclass(frozen=True)
class ClosedForm:
    """A textbook MAC ratio to the standard convolution, evaluated exactly.

    ``formula`` is symbolic (``1/N + 1/K²``); ``symbols`` are the values put in it; the value is
    ``numerator/denominator`` (lowest terms); ``exact`` says whether it equals the measured ratio.
    """

    formula: str
    symbols: tuple[tuple[str, int], ...]
    numerator: int
    denominator: int
    exact: bool

    @property
    def value(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)


@dataclass(frozen=True)
class Variant:
    key: str                        # standard | separable | grouped | bottleneck | spatial
    setting: int                    # G for grouped, B for bottleneck, dm for separable, else 0
    parts: tuple[Part, ...]
    closed_form: ClosedForm
    median_ns: int | None = None    # filled by --run (issue 4)

    @property
    def output_shape(self) -> Shape:
        return self.parts[-1].output_shape

    @property
    def params(self) -> int:
        return sum(p.params for p in self.parts)

    @property
    def params_without_bias(self) -> int:
        return sum(p.params_without_bias for p in self.parts)

    @property
    def macs(self) -> int:
        return sum(p.macs for p in self.parts)


@dataclass(frozen=True)
class LayerComparison:
    request: LayerRequest
    variants: tuple[Variant, ...]   # the standard convolution first

    @property
    def standard(self) -> Variant:
        return self.variants[0]

    def macs_ratio(self, v: Variant) -> Fraction:
        return Fraction(v.macs, self.standard.macs)

    def params_ratio(self, v: Variant) -> Fraction:
        return Fraction(v.params, self.standard.params)


# --- one layer from flags ----------------------------------------------------------------------
@dataclass(frozen=True)
class LayerRequest:
    """One 2-D convolution and the variants to compare it with (see :func:`layer_request`)."""

    input_shape: Shape              # one sample, in data_format order: (H, W, C) or (C, H, W)
    batch: int | None               # N of an NxCxHxW input, else None
    channels_first: bool
    kernel: tuple[int, int]
    filters: int
    strides: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: str | int = "valid"
    use_bias: bool = True
    separable: bool = False
    depth_multiplier: int = 1
    groups: tuple[int, ...] = ()
    bottlenecks: tuple[int, ...] = ()
    spatial: bool = False

    @property
    def in_channels(self) -> int:
        return to_canonical(self.input_shape, self.channels_first)[-1]

    @property
    def data_format(self) -> str:
        return "channels_first" if self.channels_first else "channels_last"

    @property
    def display_input(self) -> Shape:
        return ((self.batch,) if self.batch else ()) + tuple(self.input_shape)


_DIMS = re.compile(r"^\d+(x\d+)*$")


def _dims(flag: str, text: str, counts: tuple[int, ...], what: str) -> tuple[int, ...]:
    t = str(text).strip().lower().replace("×", "x").replace(" ", "")
    values = tuple(int(x) for x in t.split("x")) if _DIMS.match(t) else ()
    if len(values) not in counts or not all(v >= 1 for v in values):
        raise UsageError(f"error: {flag} must be {what}; received {text!r}")
    return values


def _int_list(flag: str, text: str) -> tuple[int, ...]:
    t = str(text).replace(" ", "")
    if not re.match(r"^\d+(,\d+)*$", t) or any(int(x) < 1 for x in t.split(",")):
        raise UsageError(f"error: {flag} must be a positive integer or a comma-separated list "
                         f"of them (e.g. 2,4,8); received {text!r}")
    return tuple(dict.fromkeys(int(x) for x in t.split(",")))


def layer_request(input_shape: str, kernel: str, filters: int | None, *,
                  padding: str | None = None, strides: str | None = None,
                  dilation: str | None = None, channels_first: bool = False,
                  use_bias: bool = True, separable: bool = False, depth_multiplier: int = 1,
                  groups: str | None = None, bottleneck: str | None = None,
                  spatial: bool = False) -> LayerRequest:
    """Validate the command-line description of one convolution; raise :class:`UsageError`.

    ``input_shape``: ``HxWxC`` (one sample; ``CxHxW`` with ``channels_first``) or ``NxCxHxW``
    (a PyTorch batch: channels-first, shapes shown with N, MACs counted for all N samples).
    ``kernel``, ``strides``, ``dilation``: ``K`` or ``KhxKw``. ``padding``: valid, same or an int
    (zeros on every side, PyTorch's ``padding=p``). ``groups`` and ``bottleneck``: lists like
    ``2,4,8`` (``bottleneck`` is the reduced channel count B).
    """
    if not input_shape or not kernel or filters is None:
        missing = [f for f, v in (("--input", input_shape), ("--kernel", kernel),
                                  ("--filters", filters)) if not v]
        raise UsageError(f"error: without a SPEC, compare needs {', '.join(missing)} "
                         f"(e.g. --input 12x12x3 --kernel 5 --filters 256 --separable)")
    dims = _dims("--input", input_shape, (3, 4), "HxWxC (one sample, e.g. 12x12x3; CxHxW with "
                 "--channels-first) or NxCxHxW (a PyTorch batch, e.g. 20x16x50x100), positive "
                 "integers")
    batch = dims[0] if len(dims) == 4 else None
    shape = dims[1:] if len(dims) == 4 else dims
    channels_first = channels_first or len(dims) == 4
    k = _dims("--kernel", kernel, (1, 2), "K or KhxKw, positive integers")
    s = _dims("--strides", strides or "1", (1, 2), "S or SHxSW, positive integers")
    d = _dims("--dilation", dilation or "1", (1, 2), "D or DHxDW, positive integers")
    pad: str | int = (padding or "valid").lower()
    if pad not in ("valid", "same"):
        if not str(pad).isdigit():
            raise UsageError(f"error: --padding must be valid, same or an integer >= 0 (zeros on "
                             f"every side, as PyTorch's padding=p); received {padding!r}")
        pad = int(pad)
    if filters < 1:
        raise UsageError(f"error: --filters must be a positive integer; received {filters}")
    _check_depth_multiplier(depth_multiplier, separable)
    req = LayerRequest(
        input_shape=shape, batch=batch, channels_first=channels_first,
        kernel=(k * 2)[:2], filters=filters, strides=(s * 2)[:2], dilation=(d * 2)[:2],
        padding=pad, use_bias=use_bias, separable=separable, depth_multiplier=depth_multiplier,
        groups=_int_list("--groups", groups) if groups else (),
        bottlenecks=_int_list("--bottleneck", bottleneck) if bottleneck else (), spatial=spatial)
    _check_request(req)
    return req


def _check_depth_multiplier(dm: int, separable: bool) -> None:
    if dm < 1 or (dm != 1 and not separable):
        raise UsageError(f"error: --depth-multiplier is a positive integer that goes with "
                         f"--separable; received {dm}" + ("" if separable else " without it"))


def _check_request(req: LayerRequest) -> None:
    m, n = req.in_channels, req.filters
    if not (req.separable or req.groups or req.bottlenecks or req.spatial):
        raise UsageError("error: choose at least one variant to compare with the standard "
                         "convolution: --separable, --groups G[,G...], --bottleneck B[,B...], "
                         "--spatial")
    for g in req.groups:
        if m % g or n % g:
            both = [x for x in range(1, min(m, n) + 1) if m % x == 0 and n % x == 0]
            raise UsageError(f"error: --groups {g} must divide the input channels ({m}) and "
                             f"--filters ({n}); groups that divide both: "
                             + ", ".join(map(str, both)))
    for b in req.bottlenecks:
        if b >= m:
            raise UsageError(f"error: --bottleneck {b} must be smaller than the input channels "
                             f"({m}): the 1x1 convolution reduces them to B before the "
                             f"{req.kernel[0]}x{req.kernel[1]} one")
    if req.spatial and min(req.kernel) < 2:
        raise UsageError(f"error: --spatial needs a kernel larger than 1 on both axes; received "
                         f"--kernel {req.kernel[0]}x{req.kernel[1]}")


def _conv(name: str, filters: int, kernel: tuple[int, int], strides: tuple[int, int] = (1, 1),
          padding: Any = "valid", dilation: tuple[int, int] = (1, 1), groups: int = 1,
          use_bias: bool = True) -> dict[str, Any]:
    args: dict[str, Any] = {"name": name, "filters": filters, "kernel_size": list(kernel),
                            "strides": list(strides), "padding": padding,
                            "dilation_rate": list(dilation), "use_bias": use_bias}
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
        ("standard", 0, [_conv("conv", n, k, s, p, d, use_bias=b)])]
    if req.separable:
        dw = {"DepthwiseConv2D": {"name": "depthwise", "kernel_size": list(k), "strides": list(s),
                                  "padding": p, "dilation_rate": list(d),
                                  "depth_multiplier": req.depth_multiplier, "use_bias": False}}
        out.append(("separable", req.depth_multiplier,
                    [dw, _conv("pointwise", n, (1, 1), use_bias=b)]))
    for g in req.groups:
        out.append(("grouped", g, [_conv("conv", n, k, s, p, d, groups=g, use_bias=b)]))
    for width in req.bottlenecks:
        out.append(("bottleneck", width, [_conv("reduce", width, (1, 1), use_bias=b),
                                          _conv("conv", n, k, s, p, d, use_bias=b)]))
    if req.spatial:
        out.append(("spatial", 0, [
            _conv("conv_kx1", min(m, n), (k[0], 1), (s[0], 1), _axis_padding(p, 0), (d[0], 1),
                  use_bias=b),
            _conv("conv_1xk", n, (1, k[1]), (1, s[1]), _axis_padding(p, 1), (1, d[1]),
                  use_bias=b)]))
    return out


def variant_spec(req: LayerRequest, key: str, layers: list[dict[str, Any]]) -> Spec:
    """A variant as a spec, through the real loader (YAML text -> parse_spec)."""
    import yaml

    from convcalc.spec.loader import parse_spec

    doc = {"name": f"compare_{key}", "input": list(req.input_shape),
           "data_format": req.data_format, "model": "sequential", "layers": layers}
    return parse_spec(yaml.safe_dump(doc, sort_keys=False), f"<compare {key}>")


def _without_bias(row: LayerRow) -> int:
    return sum(w.size for w in row.weights if w.name != "bias")


def _analyze_variant(req: LayerRequest, key: str, layers: list[dict[str, Any]]
                     ) -> tuple[Spec, Report]:
    from convcalc.engine import analyze

    spec = variant_spec(req, key, layers)
    try:
        return spec, analyze(spec)
    except SpecError as exc:
        if key != "standard":
            raise  # the standard convolution fits, so every variant does: a bug, shown as is
        first = min(exc.problems, key=lambda q: q.loc)
        k = req.kernel
        raise UsageError(
            f"error: --kernel {k[0]}x{k[1]} does not fit --input "
            f"{'x'.join(map(str, req.display_input))} with --padding {req.padding}: "
            f"{first.message}\n  hint: use a smaller --kernel or --dilation, or --padding same"
        ) from None


def _closed_form(req: LayerRequest, key: str, setting: int, measured: Fraction) -> ClosedForm:
    m, n = req.in_channels, req.filters
    kh, kw = req.kernel
    k2 = kh * kw
    square = kh == kw
    ksym: tuple[tuple[str, int], ...] = (("K", kh),) if square else (("Kh", kh), ("Kw", kw))
    kk = "K²" if square else "(Kh·Kw)"
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
        parts = tuple(p for p in _parts(report, spec, req.batch) if p.kind != "InputLayer")
        counted.append((key, setting, parts))
    std_macs = sum(p.macs for p in counted[0][2])
    variants = tuple(
        Variant(key, setting, parts, _closed_form(req, key, setting,
                                                  Fraction(sum(p.macs for p in parts), std_macs)))
        for key, setting, parts in counted)
    return LayerComparison(req, variants)


def _parts(report: Report, spec: Spec, batch: int | None = None) -> list[Part]:
    """Every row of ``report`` as a :class:`Part`, with MACs and shapes for ``batch`` samples."""
    specs = {ls.name: ls.layer for ls in spec.layers}
    lead = (batch,) if batch else ()
    cf = spec.channels_first
    return [Part(r.name, r.kind, tuple(getattr(specs[r.name], "kernel_size", None) or ()),
                 getattr(specs[r.name], "groups", None) or 1, to_canonical(r.output_shape, cf)[-1],
                 lead + tuple(r.output_shape), r.params, _without_bias(r), r.macs * (batch or 1))
            for r in report.rows]


def reject_flags(context: str, flags: dict[str, Any]) -> None:
    """UsageError naming every flag given (truthy) that does not apply in ``context``."""
    given = [name for name, value in flags.items() if value]
    if given:
        raise UsageError(f"error: {', '.join(given)} cannot be used {context}")


# --- --run seam (issue 4) ----------------------------------------------------------------------
def runtime_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("convcalc.runtime") is not None
    except (ImportError, ValueError):
        return False


def require_runtime() -> None:
    """Fail early (before any counting or output) when ``--run`` cannot be honoured."""
    if not runtime_available():
        raise UsageError(RUN_UNAVAILABLE)


def timed_spec(cmp: SpecComparison, spec: Spec, *, repeats: int = 5,
               seed: int = 0) -> SpecComparison:
    """``cmp`` with the median whole-network forward time before and after the rewrite
    (``compare SPEC --run``): the same seeded input, each network's own seeded weights."""
    from convcalc.spec.loader import parse_spec

    rewritten = parse_spec(dump_spec(cmp.data), f"{spec.file} (rewritten)")
    before, after = time_variants([("before", spec), ("after", rewritten)], repeats=repeats,
                                  seed=seed)
    return replace(cmp, forward_ns=(before, after))


def time_variants(specs: list[tuple[str, Spec]], *, batch: int = 1, repeats: int = 7,
                  seed: int = 0) -> list[int]:
    """Median wall time (ns) of each spec on a seeded random float32 batch: the NumPy runtime
    runs a warm-up and then ``repeats`` forwards (weight creation excluded); :func:`timed` puts
    the medians in :attr:`Variant.median_ns` and renderers add a "Median time" column."""
    require_runtime()
    import statistics

    from convcalc.engine import analyze
    from convcalc.runtime.executor import Execution, RunOptions

    medians = []
    for _, spec in specs:
        ex = Execution(spec, analyze(spec), RunOptions(batch=batch, seed=seed))
        ex.forward()
        medians.append(round(statistics.median(ex.forward() for _ in range(repeats)) * 1e9))
    return medians


def timed(cmp: LayerComparison, *, repeats: int = 7, seed: int = 0) -> LayerComparison:
    """``cmp`` with the measured median time of every variant (``--run``)."""
    req = cmp.request
    specs = [(key, variant_spec(req, key, layers)) for key, _, layers in variant_layers(req)]
    medians = time_variants(specs, batch=req.batch or 1, repeats=repeats, seed=seed)
    return replace(cmp, variants=tuple(replace(v, median_ns=t)
                                       for v, t in zip(cmp.variants, medians)))


# --- a whole architecture ----------------------------------------------------------------------
_REWRITABLE = {"separable": ("Conv1D", "Conv2D"), "grouped": ("Conv1D", "Conv2D", "Conv3D"),
               "bottleneck": ("Conv1D", "Conv2D", "Conv3D")}
_CONV_FAMILY = ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                "SeparableConv2D")


@dataclass(frozen=True)
class Transform:
    """What to rewrite: ``separable`` (value = depth multiplier), ``grouped`` (value = G) or
    ``bottleneck`` (value = RATIO: the 1x1 reduces C_in input channels to C_in / RATIO)."""

    kind: str
    value: int


@dataclass(frozen=True)
class Skip:
    """Why a convolution was not rewritten: a reason code and the numbers it needs."""

    code: str        # transposed | depthwise | separable | no_separable_3d | pointwise |
    #                  grouped | channels | filters
    values: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LayerChange:
    name: str
    kind: str
    after: tuple[Part, ...]         # the layers that replace it (itself if unchanged)
    params_before: int
    macs_before: int
    rewritten: bool
    skip: Skip | None = None        # set for a convolution that was not rewritten

    @property
    def params_after(self) -> int:
        return sum(p.params for p in self.after)

    @property
    def macs_after(self) -> int:
        return sum(p.macs for p in self.after)


@dataclass(frozen=True)
class SpecComparison:
    transform: Transform
    before: Report
    after: Report
    changes: tuple[LayerChange, ...]   # every layer with params or MACs, in spec order
    data: dict[str, Any] = field(compare=False, repr=False)   # the rewritten YAML data
    forward_ns: tuple[int, int] | None = None   # median forward before / after (--run)

    @property
    def rewritten(self) -> tuple[LayerChange, ...]:
        return tuple(c for c in self.changes if c.rewritten)

    @property
    def skipped(self) -> tuple[LayerChange, ...]:
        return tuple(c for c in self.changes if c.skip is not None)


def arch_transform(separable: bool, groups: str | None, bottleneck: str | None,
                   depth_multiplier: int = 1) -> Transform:
    """The one rewrite asked for on the command line (exactly one of the three)."""
    given = [f for f, v in (("--separable", separable), ("--groups", groups),
                            ("--bottleneck", bottleneck)) if v]
    if len(given) != 1:
        raise UsageError("error: with a SPEC, give exactly one of --separable, --groups G, "
                         "--bottleneck RATIO" + (f"; received {' and '.join(given)}" if given
                                                 else ""))
    _check_depth_multiplier(depth_multiplier, separable)
    if separable:
        return Transform("separable", depth_multiplier)
    flag, text = ("--groups", groups) if groups else ("--bottleneck", bottleneck)
    values = _int_list(flag, str(text))
    if len(values) != 1 or values[0] < 2:
        meaning = ("the number of channel groups" if groups else
                   "the reduction factor: the 1x1 convolution maps C input channels to C/RATIO")
        raise UsageError(f"error: with a SPEC, {flag} takes one integer >= 2 ({meaning}); "
                         f"received {text!r}")
    return Transform("grouped" if groups else "bottleneck", values[0])


def _eligible(ls: Any, row: LayerRow, cf: bool, t: Transform) -> Skip | None:
    kind, layer = ls.kind, ls.layer
    if kind not in _REWRITABLE[t.kind]:
        code = ("transposed" if "Transpose" in kind else "depthwise" if "Depthwise" in kind
                else "separable" if "Separable" in kind else "no_separable_3d")
        return Skip(code)
    c_in = to_canonical(row.input_shapes[0], cf)[-1]
    groups = getattr(layer, "groups", 1)
    if groups != 1:
        return Skip("grouped", (("groups", groups),))
    if t.kind in ("separable", "bottleneck") and math.prod(layer.kernel_size) == 1:
        return Skip("pointwise")
    if c_in % t.value:
        return Skip("channels", (("channels", c_in), ("by", t.value)))
    if t.kind == "grouped" and layer.filters % t.value:
        return Skip("filters", (("filters", layer.filters), ("by", t.value)))
    return None


def _unique(name: str, taken: set[str]) -> str:
    candidate, i = name, 1
    while candidate in taken:
        candidate, i = f"{name}_{i}", i + 1
    taken.add(candidate)
    return candidate


def _rewrite(kind: str, written: str, args: dict[str, Any], t: Transform, c_in: int,
             layer: Any, taken: set[str]) -> list[dict[str, Any]]:
    """The entries that replace one eligible convolution entry (``args``: a copy of its own);
    a kind that stays keeps its spelling (``Conv2d`` stays ``Conv2d``)."""
    rank = kind[-2]  # Conv2D -> "2"
    if t.kind == "separable":
        args.pop("groups", None)
        if t.value != 1:
            args["depth_multiplier"] = t.value
        return [{f"SeparableConv{rank}D": args}]
    if t.kind == "grouped":
        args["groups"] = t.value
        return [{written: args}]
    width = c_in // t.value
    reduce: dict[str, Any] = {"name": _unique(f"{args['name']}_reduce", taken), "filters": width,
                              "kernel_size": 1}
    if getattr(layer, "activation", None):
        reduce["activation"] = layer.activation
    if not layer.use_bias:
        reduce["use_bias"] = False
    if "inputs" in args:
        reduce["inputs"] = args["inputs"]
        args["inputs"] = reduce["name"]
    if "trainable" in args:
        reduce["trainable"] = args["trainable"]
    if "in_channels" in args:
        args["in_channels"] = width
    return [{f"Conv{rank}D": reduce}, {written: args}]


_STALE_EXPECT = ("params", "trainable_params", "non_trainable_params", "macs")


def rewrite_data(spec: Spec, before: Report, t: Transform
                 ) -> tuple[dict[str, Any], dict[str, Skip | None], dict[str, str]]:
    """The spec's YAML data with every eligible convolution rewritten.

    Returns ``(data, verdicts, owner)``: verdicts maps each convolution's name to ``None``
    (rewritten) or its :class:`Skip`; ``owner`` maps every new layer name to the original one.
    Every layer name is written out explicitly, so that automatic names and ``inputs:``
    references stay as they were; expectations of totals (no longer true) are dropped.
    """
    data = copy.deepcopy(spec.source.data)
    cf = spec.channels_first
    by_index = {ls.index: ls for ls in spec.layers if ls.index >= 0}
    taken = {ls.name for ls in spec.layers}
    verdicts: dict[str, Skip | None] = {}
    owner: dict[str, str] = {}
    new_layers: list[Any] = []
    for i, entry in enumerate(data["layers"]):
        ls = by_index[i]
        written, args = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        args = {"name": ls.name, **{k: v for k, v in (args or {}).items() if k != "name"}}
        if ls.kind not in _CONV_FAMILY:
            new_layers.append({written: args})
            continue
        row = before.row(ls.name)
        verdicts[ls.name] = skip = _eligible(ls, row, cf, t)
        if skip is not None:
            new_layers.append({written: args})
            continue
        c_in = to_canonical(row.input_shapes[0], cf)[-1]
        for new in _rewrite(ls.kind, written, args, t, c_in, ls.layer, taken):
            owner[next(iter(new.values()))["name"]] = ls.name
            new_layers.append(new)
    data["layers"] = new_layers
    if any(v is None for v in verdicts.values()):
        suffix = {"separable": "separable", "grouped": f"groups{t.value}",
                  "bottleneck": f"bottleneck{t.value}"}[t.kind]
        data["name"] = f"{spec.name}_{suffix}"
        expect = data.get("expect")
        if isinstance(expect, dict):
            for key in _STALE_EXPECT:
                expect.pop(key, None)
            for lname, lexp in list((expect.get("layers") or {}).items()):
                if lname in verdicts and verdicts[lname] is None and isinstance(lexp, dict):
                    lexp.pop("params", None)
                    lexp.pop("macs", None)
                    if not lexp:
                        del expect["layers"][lname]
            if expect.get("layers") == {}:
                del expect["layers"]
            if not expect:
                del data["expect"]
    return data, verdicts, owner


def dump_spec(data: dict[str, Any], header: str = "") -> str:
    """YAML text of a spec's data: keys in their order, one flow mapping per layer."""
    import yaml

    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120,
                          allow_unicode=True)
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    return lines + body


def compare_spec(spec: Spec, t: Transform) -> SpecComparison:
    """Rewrite every eligible convolution of ``spec`` with ``t``; count before and after."""
    from convcalc.engine import analyze
    from convcalc.spec.loader import parse_spec

    before = analyze(spec)
    data, verdicts, owner = rewrite_data(spec, before, t)
    new_spec = parse_spec(dump_spec(data), f"{spec.file} (rewritten)")
    after = analyze(new_spec)
    replaced: dict[str, list[Part]] = {}
    for part in _parts(after, new_spec):
        replaced.setdefault(owner.get(part.name, part.name), []).append(part)
    changes = []
    for r in before.rows:
        is_conv = r.name in verdicts
        if r.kind == "InputLayer" or (r.params == 0 and r.macs == 0 and not is_conv):
            continue
        skip = verdicts.get(r.name)
        changes.append(LayerChange(r.name, r.kind, tuple(replaced[r.name]), r.params, r.macs,
                                   is_conv and skip is None, skip))
    return SpecComparison(t, before, after, tuple(changes), data)


def transform_flags(t: Transform) -> str:
    """The command-line flags that ask for ``t``."""
    if t.kind == "separable":
        return "--separable" + (f" --depth-multiplier {t.value}" if t.value != 1 else "")
    return f"--{'groups' if t.kind == 'grouped' else 'bottleneck'} {t.value}"


def write_spec(result: SpecComparison, path: str | Path, force: bool = False) -> None:
    """Save the rewritten spec; never replace an existing file unless ``force``."""
    p = Path(path)
    if p.exists() and not force:
        raise UsageError(f"error: {path} already exists; pass --force to overwrite it")
    header = (f"{result.after.name}: {result.before.name} with every eligible convolution "
              f"rewritten by\n  convcalc compare {result.before.file} "
              f"{transform_flags(result.transform)}")
    try:
        p.write_text(dump_spec(result.data, header), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"error: cannot write {path}: {exc.strerror}") from None
