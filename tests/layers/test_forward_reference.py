"""Every layer kind's forward against an independent naive reference (plain loops, float64).

The references below are written from the frameworks' definitions, one output element at a
time, sharing nothing with convcalc.runtime: padding is an index rule per element (zeros,
reflect, replicate, circular), output sizes are the PyTorch/TF formulas written out again,
average pooling transcribes PyTorch's avg_pool loop, and a transposed convolution scatters
``x[i]·w[t]`` to ``i·s + t·d``. Hypothesis draws small random configurations of every kind;
each must give the reference's values (to 2e-5 of the output's scale, float32 against
float64) and an executed shape equal to both the reference's and the engine's analytic shape.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from convcalc import analyze
from convcalc.analysis import parse_spec
from convcalc.errors import SpecError
from convcalc.layers import REGISTRY
from convcalc.layers.base import Layer
from convcalc.shapes import to_canonical

# too_slow: generation is timed too, and a loaded CI machine must not fail a correct kernel
QUIET = [HealthCheck.too_slow]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=QUIET)
RNG = np.random.default_rng(7)


# --- harness -----------------------------------------------------------------------------------
def build(entry: str, inputs: list[list[int]], channels_first: bool = False):
    """Parse a one-layer spec (several inputs become InputLayers) -> (layer, canonical out)."""
    lines = [f"data_format: {'channels_first' if channels_first else 'channels_last'}", "layers:"]
    names = []
    for i, shape in enumerate(inputs):
        names.append(f"in{i}")
        lines.append(f"  - InputLayer: {{name: in{i}, shape: {shape}}}")
    sep = "" if entry.endswith("{}") else ", "
    body = entry[:-1] + f"{sep}inputs: [{', '.join(names)}]}}"
    lines.append(f"  - {body}")
    spec = parse_spec("\n".join(lines) + "\n", "ref.yaml")
    report = analyze(spec)
    return spec.layers[-1].layer, to_canonical(report.rows[-1].output_shape, channels_first)


def check(
    layer: Layer,
    analytic: tuple[int, ...],
    xs: list[np.ndarray],
    params: dict[str, np.ndarray],
    ref: np.ndarray,
) -> None:
    y = layer.forward(
        [x.astype(np.float32) for x in xs], {k: v.astype(np.float32) for k, v in params.items()}
    )
    assert y.dtype == np.float32
    assert y.shape == ref.shape
    assert y.shape[1:] == analytic
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    np.testing.assert_allclose(y, ref, rtol=2e-5, atol=2e-5 * max(scale, 1e-3))


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32).astype(np.float64)


def tf_same(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def read(x: np.ndarray, b: int, pos: tuple[int, ...], c: int, mode: str = "zeros") -> float:
    """x[b, pos, c] with out-of-range positions resolved by the padding mode."""
    idx = []
    for p, n in zip(pos, x.shape[1:-1]):
        if 0 <= p < n:
            idx.append(p)
        elif mode == "zeros":
            return 0.0
        elif mode == "reflect":
            period = 2 * (n - 1)
            q = p % period if period else 0
            idx.append(q if q < n else period - q)
        elif mode == "replicate":
            idx.append(min(max(p, 0), n - 1))
        else:  # circular
            idx.append(p % n)
    return float(x[(b, *idx, c)])


def positions(sizes: tuple[int, ...]):
    return itertools.product(*(range(n) for n in sizes))


def conv_pads(padding, n, k, s, d):
    if padding == "valid":
        return [(0, 0)] * len(n)
    if padding == "same":
        return [tf_same(*a) for a in zip(n, k, s, d)]
    if padding == "causal":
        return [(d[0] * (k[0] - 1), 0)]
    return padding


def yaml_pads(pads) -> str:
    return pads if isinstance(pads, str) else str([list(p) for p in pads])


# --- references ---------------------------------------------------------------------------------
def ref_conv(x, w, b, s, d, pads, groups, mode="zeros", act=None):
    r = x.ndim - 2
    k = w.shape[:r]
    cg, f = w.shape[r], w.shape[r + 1]
    n = x.shape[1:-1]
    out = [(n[i] + pads[i][0] + pads[i][1] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(r)]
    y = np.zeros((x.shape[0], *out, f))
    fg = f // groups
    for bi in range(x.shape[0]):
        for o in positions(tuple(out)):
            for fo in range(f):
                g = fo // fg
                acc = b[fo] if b is not None else 0.0
                for t in positions(k):
                    pos = tuple(o[i] * s[i] - pads[i][0] + t[i] * d[i] for i in range(r))
                    for ci in range(cg):
                        acc += read(x, bi, pos, g * cg + ci, mode) * w[(*t, ci, fo)]
                y[(bi, *o, fo)] = act(acc) if act else acc
    return y


def ref_depthwise(x, w, b, s, d, pads, mode="zeros"):
    r = x.ndim - 2
    c, dm = w.shape[r], w.shape[r + 1]
    # a depthwise kernel is a grouped conv kernel (k..., 1, C·dm) with groups = C
    dense = w.reshape(w.shape[:r] + (1, c * dm))
    return ref_conv(x, dense, b, s, d, pads, c, mode)


def ref_transposed(x, w, b, s, d, crop, out, groups=1):
    r = x.ndim - 2
    n, k = x.shape[1:-1], w.shape[:r]
    fg, c = w.shape[r], w.shape[r + 1]
    full = [(n[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(r)]
    size = [max(full[i], crop[i] + out[i]) for i in range(r)]
    f = fg * groups
    cg = c // groups
    y = np.zeros((x.shape[0], *size, f))
    for bi in range(x.shape[0]):
        for i in positions(tuple(n)):
            for t in positions(k):
                pos = tuple(i[a] * s[a] + t[a] * d[a] for a in range(r))
                for ci in range(c):
                    g = ci // cg
                    for fo in range(fg):
                        y[(bi, *pos, g * fg + fo)] += x[(bi, *i, ci)] * w[(*t, fo, ci)]
    y = y[(slice(None), *(slice(crop[a], crop[a] + out[a]) for a in range(r)))]
    return y + (b if b is not None else 0.0)


def ref_pool(x, op, k, s, d, pads, ceil, include_pad):
    """PyTorch's max/avg pool loops (and Keras 'same' as include_pad=False)."""
    r = x.ndim - 2
    n = x.shape[1:-1]
    out = []
    for i in range(r):
        o = (
            n[i] + pads[i][0] + pads[i][1] - d[i] * (k[i] - 1) - 1 + (s[i] - 1 if ceil else 0)
        ) // s[i] + 1
        if ceil and (o - 1) * s[i] >= n[i] + pads[i][0]:
            o -= 1
        out.append(o)
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for bi in range(x.shape[0]):
        for o in positions(tuple(out)):
            for ci in range(x.shape[-1]):
                if op == "max":
                    vals = [
                        x[(bi, *p, ci)]
                        for p in itertools.product(
                            *(
                                [
                                    o[a] * s[a] - pads[a][0] + t * d[a]
                                    for t in range(k[a])
                                    if 0 <= o[a] * s[a] - pads[a][0] + t * d[a] < n[a]
                                ]
                                for a in range(r)
                            )
                        )
                    ]
                    y[(bi, *o, ci)] = max(vals)
                    continue
                lo = [o[a] * s[a] - pads[a][0] for a in range(r)]
                hi = [min(lo[a] + k[a], n[a] + pads[a][1]) for a in range(r)]
                pool_size = math.prod(hi[a] - lo[a] for a in range(r))
                lo = [max(v, 0) for v in lo]
                hi = [min(hi[a], n[a]) for a in range(r)]
                total = sum(
                    x[(bi, *p, ci)]
                    for p in itertools.product(*(range(lo[a], hi[a]) for a in range(r)))
                )
                div = pool_size if include_pad else math.prod(hi[a] - lo[a] for a in range(r))
                y[(bi, *o, ci)] = total / div
    return y


SCALAR_ACTS = {
    "relu": lambda v: max(v, 0.0),
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
    "tanh": math.tanh,
    "softplus": lambda v: math.log1p(math.exp(v)),
    "softsign": lambda v: v / (1 + abs(v)),
    "selu": lambda v: 1.0507009873554805 * (v if v > 0 else 1.6732632423543772 * (math.exp(v) - 1)),
    "elu": lambda v: v if v > 0 else math.exp(v) - 1,
    "exponential": math.exp,
    "gelu": lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))),
    "silu": lambda v: v / (1 + math.exp(-v)),
    "swish": lambda v: v / (1 + math.exp(-v)),
    "hard_sigmoid": lambda v: min(max(v + 3, 0), 6) / 6,
    "hard_silu": lambda v: v * min(max(v + 3, 0), 6) / 6,
    "hard_swish": lambda v: v * min(max(v + 3, 0), 6) / 6,
    "leaky_relu": lambda v: v if v >= 0 else 0.2 * v,
    "mish": lambda v: v * math.tanh(math.log1p(math.exp(v))),
    "celu": lambda v: v if v > 0 else math.exp(v) - 1,
    "hard_tanh": lambda v: min(max(v, -1), 1),
    "log_sigmoid": lambda v: -math.log1p(math.exp(-v)),
    "squareplus": lambda v: (v + math.sqrt(v * v + 4)) / 2,
    "tanh_shrink": lambda v: v - math.tanh(v),
    "hard_shrink": lambda v: v if abs(v) > 0.5 else 0.0,
    "soft_shrink": lambda v: math.copysign(max(abs(v) - 0.5, 0), v),
    "sparse_plus": lambda v: 0.0 if v <= -1 else v if v >= 1 else (v + 1) ** 2 / 4,
    "linear": lambda v: v,
}


def ref_along(name: str, row: list[float]) -> list[float]:
    if name == "softmax":
        m = max(row)
        e = [math.exp(v - m) for v in row]
        return [v / sum(e) for v in e]
    if name == "log_softmax":
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        return [v - lse for v in row]
    if name == "glu":
        h = len(row) // 2
        return [row[i] / (1 + math.exp(-row[h + i])) for i in range(h)]
    # sparsemax (Martins & Astudillo 2016): project onto the simplex
    z = sorted(row, reverse=True)
    k = max(j for j in range(1, len(z) + 1) if 1 + j * z[j - 1] > sum(z[:j]))
    tau = (sum(z[:k]) - 1) / k
    return [max(v - tau, 0.0) for v in row]


# --- strategies ---------------------------------------------------------------------------------
rank_st = st.sampled_from([1, 2])


@st.composite
def conv_case(draw, kind: str):
    r = draw(rank_st) if kind != "Conv3D" else 3
    k = [draw(st.integers(1, 3)) for _ in range(r)]
    d = [draw(st.integers(1, 2)) for _ in range(r)]
    s = [draw(st.integers(1, 3)) for _ in range(r)]
    n = [draw(st.integers(d[i] * (k[i] - 1) + 1, 7 if r < 3 else 5)) for i in range(r)]
    modes = ["valid", "same", "explicit"] + (["causal"] if r == 1 and kind == "Conv" else [])
    padding = draw(st.sampled_from(modes))
    if padding == "explicit":
        padding = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(r)]
    mode = "zeros"
    if (kind == "Conv" and not isinstance(padding, str)) or (padding == "same" and kind == "Conv"):
        mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    groups = draw(st.sampled_from([1, 2])) if kind in ("Conv", "Transposed") else 1
    c = groups * draw(st.integers(1, 3))
    f = groups * draw(st.integers(1, 3))
    dm = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    act = draw(st.sampled_from([None, "relu", "tanh", "gelu"]))
    batch = draw(st.integers(1, 2))
    op = None
    if kind == "Transposed":
        op = [draw(st.integers(0, max(s[i], d[i]) - 1)) for i in range(r)]
        if isinstance(padding, str) and draw(st.booleans()):
            op = None
    return dict(
        r=r,
        k=k,
        d=d,
        s=s,
        n=n,
        padding=padding,
        mode=mode,
        groups=groups,
        c=c,
        f=f,
        dm=dm,
        bias=bias,
        act=act,
        batch=batch,
        op=op,
    )


def _spec_or_reject(entry, shapes, cf=False):
    from hypothesis import reject

    try:
        return build(entry, shapes, cf)
    except SpecError:
        reject()


# --- tests: convolutions ------------------------------------------------------------------------
@SETTINGS
@given(conv_case("Conv"))
def test_conv(case) -> None:
    check_conv(case)


def check_conv(case) -> None:
    r, k, d, s, n = case["r"], case["k"], case["d"], case["s"], case["n"]
    pads = conv_pads(case["padding"], n, k, s, d)
    if case["mode"] == "reflect" and any(max(p) >= nn for p, nn in zip(pads, n)):
        return  # PyTorch requires reflect padding < input size
    entry = (
        f"Conv{r}D: {{filters: {case['f']}, kernel_size: {k}, strides: {s}, "
        f"dilation_rate: {d}, padding: {yaml_pads(case['padding'])}, groups: "
        f"{case['groups']}, use_bias: {str(case['bias']).lower()}, padding_mode: "
        f"{case['mode']}, activation: {case['act'] or 'linear'}}}"
    )
    layer, analytic = _spec_or_reject(entry, [n + [case["c"]]])
    x = rand(case["batch"], *n, case["c"])
    w = rand(*k, case["c"] // case["groups"], case["f"])
    b = rand(case["f"]) if case["bias"] else None
    act = SCALAR_ACTS[case["act"]] if case["act"] else None
    ref = ref_conv(x, w, b, s, d, pads, case["groups"], case["mode"], act)
    check(layer, analytic, [x], {"kernel": w, **({"bias": b} if case["bias"] else {})}, ref)


@settings(max_examples=8, deadline=None, suppress_health_check=QUIET)
@given(conv_case("Conv3D"))
def test_conv3d(case) -> None:
    k, d, s, n = case["k"], case["d"], case["s"], case["n"]
    pads = conv_pads(case["padding"], n, k, s, d)
    entry = (
        f"Conv3D: {{filters: {case['f']}, kernel_size: {k}, strides: {s}, dilation_rate: "
        f"{d}, padding: {yaml_pads(case['padding'])}, groups: {case['groups']}}}"
    )
    layer, analytic = _spec_or_reject(entry, [n + [case["c"]]])
    x = rand(1, *n, case["c"])
    w, b = rand(*k, case["c"] // case["groups"], case["f"]), rand(case["f"])
    check(
        layer,
        analytic,
        [x],
        {"kernel": w, "bias": b},
        ref_conv(x, w, b, s, d, pads, case["groups"]),
    )


@pytest.fixture(params=[True, False], ids=["compiled", "numpy"])
def depthwise_path(request, monkeypatch: pytest.MonkeyPatch):
    """Each depthwise test twice: with the compiled kernel (numba, from the test extras) for
    the 2-D depth-multiplier-1 cases, and with the NumPy path, its reference and fallback."""
    from convcalc.ops.base import TUNING

    monkeypatch.setattr(TUNING, "jit", request.param)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[*QUIET, HealthCheck.function_scoped_fixture],
)  # the fixture is constant
@given(conv_case("Depthwise"), st.booleans())
def test_depthwise_and_separable(depthwise_path, case, separable: bool) -> None:
    check_depthwise(case, separable)


def check_depthwise(case, separable: bool) -> None:
    r, k, d, s, n, c, dm = (
        case["r"],
        case["k"],
        case["d"],
        case["s"],
        case["n"],
        case["c"],
        case["dm"],
    )
    if separable:
        s = [1] * r  # Keras: strides > 1 with dilation > 1 is not allowed; keep it simple
    pads = conv_pads(case["padding"], n, k, s, d)
    kind = f"SeparableConv{r}D" if separable else f"DepthwiseConv{r}D"
    filters = f"filters: {case['f']}, " if separable else ""
    entry = (
        f"{kind}: {{{filters}kernel_size: {k}, strides: {s}, dilation_rate: {d}, "
        f"padding: {yaml_pads(case['padding'])}, depth_multiplier: {dm}}}"
    )
    layer, analytic = _spec_or_reject(entry, [n + [c]])
    x = rand(case["batch"], *n, c)
    dw = rand(*k, c, dm)
    if separable:
        pw, b = rand(*([1] * r), c * dm, case["f"]), rand(case["f"])
        mid = ref_depthwise(x, dw, None, s, d, pads)
        ref = ref_conv(mid, pw, b, [1] * r, [1] * r, [(0, 0)] * r, 1)
        params = {"depthwise_kernel": dw, "pointwise_kernel": pw, "bias": b}
    else:
        b = rand(c * dm)
        ref = ref_depthwise(x, dw, b, s, d, pads)
        params = {"depthwise_kernel": dw, "bias": b}
    check(layer, analytic, [x], params, ref)


@SETTINGS
@given(conv_case("Transposed"))
def test_transposed(case) -> None:
    r, k, d, s, n, c, f, g = (
        case["r"],
        case["k"],
        case["d"],
        case["s"],
        case["n"],
        case["c"],
        case["f"],
        case["groups"],
    )
    padding, op = case["padding"], case["op"]
    ke = [d[i] * (k[i] - 1) + 1 for i in range(r)]
    if padding == "valid":  # Keras deconv_output_length
        out = [
            (n[i] - 1) * s[i] + ke[i] + (max(ke[i], s[i]) - ke[i] if op is None else op[i])
            for i in range(r)
        ]
        crop = [0] * r
    elif padding == "same":
        out = [
            n[i] * s[i] if op is None else (n[i] - 1) * s[i] + ke[i] % 2 + op[i] for i in range(r)
        ]
        crop = [tf_same(out[i], k[i], s[i], d[i])[0] for i in range(r)]
    else:
        opp = op or [0] * r
        out = [(n[i] - 1) * s[i] - padding[i][0] - padding[i][1] + ke[i] + opp[i] for i in range(r)]
        crop = [p[0] for p in padding]
    op_yaml = "null" if op is None else str(op)
    entry = (
        f"Conv{r}DTranspose: {{filters: {f}, kernel_size: {k}, strides: {s}, "
        f"dilation_rate: {d}, padding: {yaml_pads(padding)}, groups: {g}, "
        f"output_padding: {op_yaml}}}"
    )
    layer, analytic = _spec_or_reject(entry, [n + [c]])
    x = rand(case["batch"], *n, c)
    w, b = rand(*k, f // g, c), rand(f)
    ref = ref_transposed(x, w, b, s, d, crop, out, g)
    check(layer, analytic, [x], {"kernel": w, "bias": b}, ref)


# --- tests: pooling ------------------------------------------------------------------------------
@st.composite
def pool_case(draw):
    r = draw(rank_st)
    op = draw(st.sampled_from(["max", "avg"]))
    k = [draw(st.integers(1, 3)) for _ in range(r)]
    s = [draw(st.integers(1, 3)) for _ in range(r)]
    d = [draw(st.integers(1, 2)) for _ in range(r)] if op == "max" else [1] * r
    n = [draw(st.integers(d[i] * (k[i] - 1) + 1, 8)) for i in range(r)]
    padding = draw(st.sampled_from(["valid", "same", "explicit"]))
    ceil = False
    if padding == "explicit":
        padding = [(p, p) for p in (draw(st.integers(0, kk // 2)) for kk in k)]
        ceil = draw(st.booleans())
    include = draw(st.booleans())
    return dict(
        r=r,
        op=op,
        k=k,
        s=s,
        d=d,
        n=n,
        padding=padding,
        ceil=ceil,
        include=include,
        c=draw(st.integers(1, 3)),
        batch=draw(st.integers(1, 2)),
    )


def _pool(r=1, op="avg", k=3, s=2, d=1, n=6, p=0, ceil=True, include=True):
    return dict(
        r=r,
        op=op,
        k=[k] * r,
        s=[s] * r,
        d=[d] * r,
        n=[n] * r,
        padding=[(p, p)] * r,
        ceil=ceil,
        include=include,
        c=2,
        batch=1,
    )


@SETTINGS
@given(pool_case())
# ceil_mode windows that overhang the padded input: the divisor stops at n + p_r
@example(_pool(n=6)).via("overhang, no padding")
@example(_pool(r=2, k=3, s=2, n=4, p=1)).via("overhang past the padding")
@example(_pool(r=2, k=3, s=3, n=2, p=1)).via("pytorch#71549: 2 -> 1")
@example(_pool(r=2, k=4, s=4, n=9, p=2)).via("pytorch#116420: 9 -> 3")
@example(_pool(r=2, k=4, s=4, n=9, p=2, include=False)).via("the same, padding excluded")
@example(_pool(r=2, op="max", k=2, s=2, n=5, p=1)).via("burn#5791: 5 -> 3")
def test_pooling(case) -> None:
    r, k, s, d, n = case["r"], case["k"], case["s"], case["d"], case["n"]
    kind = f"{'Max' if case['op'] == 'max' else 'Average'}Pooling{r}D"
    extra = (
        f", dilation_rate: {d}"
        if case["op"] == "max"
        else f", count_include_pad: {str(case['include']).lower()}"
    )
    entry = (
        f"{kind}: {{pool_size: {k}, strides: {s}, padding: {yaml_pads(case['padding'])}, "
        f"ceil_mode: {str(case['ceil']).lower()}{extra}}}"
    )
    layer, analytic = _spec_or_reject(entry, [n + [case["c"]]])
    pads = conv_pads(case["padding"], n, k, s, d)
    include = case["include"] and not isinstance(case["padding"], str)
    x = rand(case["batch"], *n, case["c"])
    check(layer, analytic, [x], {}, ref_pool(x, case["op"], k, s, d, pads, case["ceil"], include))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[*QUIET, HealthCheck.function_scoped_fixture],
)
@given(pool_case(), st.integers(1, 12))
@example(_pool(r=2, op="max", k=3, s=2, n=7, p=1), 1).via("a block per output row")
def test_max_pooling_in_blocks(monkeypatch: pytest.MonkeyPatch, case, block: int) -> None:
    """Max pooling sample by sample in blocks of a few output rows (each block padded on its
    own, the first and last with the padding and ceil_mode overhang): the NumPy path, which 2-D
    pools take without the compiled kernel (test_pool_compiled tests that one)."""
    from convcalc.ops.base import TUNING

    monkeypatch.setattr(TUNING, "pool_block", block)
    monkeypatch.setattr(TUNING, "jit", False)
    test_pooling.hypothesis.inner_test(case)  # type: ignore[attr-defined]


@settings(max_examples=20, deadline=None, suppress_health_check=QUIET)
@given(rank_st, st.sampled_from(["Max", "Average"]), st.booleans(), st.integers(1, 5))
def test_global_pooling(r: int, op: str, keepdims: bool, n: int) -> None:
    layer, analytic = build(
        f"Global{op}Pooling{r}D: {{keepdims: {str(keepdims).lower()}}}", [[n] * r + [3]]
    )
    x = rand(2, *([n] * r), 3)
    flat = x.reshape(2, -1, 3)
    ref = np.array(
        [
            [
                (max if op == "Max" else lambda v: sum(v) / len(v))(list(flat[b, :, c]))
                for c in range(3)
            ]
            for b in range(2)
        ]
    )
    if keepdims:
        ref = ref.reshape((2,) + (1,) * r + (3,))
    check(layer, analytic, [x], {}, ref)


# --- tests: the rest --------------------------------------------------------------------------
@settings(max_examples=20, deadline=None, suppress_health_check=QUIET)
@given(st.integers(1, 4), st.integers(1, 5), st.booleans(), st.booleans(), st.booleans())
def test_batch_norm(c: int, n: int, scale: bool, center: bool, channels_first: bool) -> None:
    shape = [c, n, n] if channels_first else [n, n, c]
    layer, analytic = build(
        f"BatchNormalization: {{scale: {str(scale).lower()}, center: "
        f"{str(center).lower()}, epsilon: 0.01}}",
        [shape],
        channels_first,
    )
    x = rand(2, n, n, c)
    gamma, beta, mean, var = rand(c), rand(c), rand(c), np.abs(rand(c)) + 0.1
    ref = np.empty_like(x)
    for idx in itertools.product(*(range(v) for v in x.shape)):
        ci = idx[-1]
        v = (x[idx] - mean[ci]) / math.sqrt(var[ci] + 0.01)
        ref[idx] = v * (gamma[ci] if scale else 1) + (beta[ci] if center else 0)
    params = {"moving_mean": mean, "moving_variance": var}
    if scale:
        params["gamma"] = gamma
    if center:
        params["beta"] = beta
    check(layer, analytic, [x], params, ref)


def test_batch_norm_fold_is_reused_only_while_the_weights_stay() -> None:
    """The folded scale and shift are cached across forwards (convcalc.ops.elementwise): a
    second forward, a forward after the weights changed in place, and one of another width all
    match the reference loop (float64, per element)."""
    from convcalc.ops.elementwise import batch_norm

    c = 3
    gamma, beta, mean, var = (v.astype(np.float32) for v in (rand(c), rand(c), rand(c), rand(c)))
    var = np.abs(var) + np.float32(0.1)

    def ref(x: np.ndarray) -> np.ndarray:
        out = (x.astype(np.float64) - mean) / np.sqrt(var.astype(np.float64) + 1e-3)
        return out * gamma + beta

    for shape in ((2, 4, 5, c), (2, 4, 5, c), (1, 3, 7, c)):
        x = rand(*shape).astype(np.float32)
        np.testing.assert_allclose(
            batch_norm(x, 3, gamma, beta, mean, var, 1e-3), ref(x), rtol=1e-5, atol=1e-6
        )
        gamma *= 2  # in place: the next forward must see it
        var += np.float32(1)


@settings(max_examples=20, deadline=None, suppress_health_check=QUIET)
@given(
    st.integers(1, 6),
    st.integers(1, 5),
    st.booleans(),
    st.sampled_from(sorted(SCALAR_ACTS) + ["softmax", "log_softmax", "sparsemax"]),
)
def test_dense(n_in: int, units: int, bias: bool, act: str) -> None:
    layer, analytic = build(
        f"Dense: {{units: {units}, use_bias: {str(bias).lower()}, activation: {act}}}", [[n_in]]
    )
    x, w, b = rand(3, n_in), rand(n_in, units), rand(units)
    pre = [
        [sum(x[i, j] * w[j, u] for j in range(n_in)) + (b[u] if bias else 0) for u in range(units)]
        for i in range(3)
    ]
    if act in SCALAR_ACTS:
        ref = np.array([[SCALAR_ACTS[act](v) for v in row] for row in pre])
    else:
        ref = np.array([ref_along(act, row) for row in pre])
    check(layer, analytic, [x], {"kernel": w, **({"bias": b} if bias else {})}, ref)


@settings(max_examples=40, deadline=None, suppress_health_check=QUIET)
@given(
    st.sampled_from(sorted(SCALAR_ACTS) + ["softmax", "log_softmax", "sparsemax"]), st.booleans()
)
def test_activation_layer(act: str, channels_first: bool) -> None:
    """Axis-wise activations act on the last axis of the spec's data_format, as Keras does."""
    shape = [4, 3, 5]
    layer, analytic = build(f"Activation: {{activation: {act}}}", [shape], channels_first)
    canon = to_canonical(tuple(shape), channels_first)
    x = rand(2, *canon) * 2
    shown = np.moveaxis(x, -1, 1) if channels_first else x
    if act in SCALAR_ACTS:
        ref_shown = np.vectorize(SCALAR_ACTS[act], otypes=[float])(shown)
    else:
        ref_shown = np.apply_along_axis(lambda row: ref_along(act, list(row)), -1, shown)
    ref = np.moveaxis(ref_shown, 1, -1) if channels_first else ref_shown
    check(layer, analytic, [x], {}, ref)


@settings(max_examples=30, deadline=None, suppress_health_check=QUIET)
@given(
    st.sampled_from(["ReLU", "LeakyReLU", "ELU", "Softmax"]),
    st.sampled_from([0.0, 0.1, 0.5]),
    st.sampled_from([-0.5, 0.0, 0.3]),
    st.sampled_from([None, 1.0, 6.0]),
)
def test_activation_kinds(kind: str, slope: float, threshold: float, max_value) -> None:
    args = {
        "ReLU": f"negative_slope: {slope}, threshold: {threshold}, max_value: "
        f"{'null' if max_value is None else max_value}",
        "LeakyReLU": f"negative_slope: {slope}",
        "ELU": f"alpha: {slope}",
        "Softmax": "axis: 1",
    }[kind]
    layer, analytic = build(f"{kind}: {{{args}}}", [[3, 4]])
    x = rand(2, 3, 4) * 2

    def relu(v: float) -> float:
        y = v if v >= threshold else slope * (v - threshold)
        return y if max_value is None else min(y, max_value)

    if kind == "Softmax":  # axis 1 (batch = 0) is the first sample axis
        ref = np.moveaxis(
            np.apply_along_axis(lambda r: ref_along("softmax", list(r)), -1, np.moveaxis(x, 1, -1)),
            -1,
            1,
        )
    else:
        fn = {
            "ReLU": relu,
            "LeakyReLU": lambda v: v if v >= 0 else slope * v,
            "ELU": lambda v: v if v > 0 else slope * (math.exp(v) - 1),
        }[kind]
        ref = np.vectorize(fn, otypes=[float])(x)
    check(layer, analytic, [x], {}, ref)


@settings(max_examples=30, deadline=None, suppress_health_check=QUIET)
@given(
    st.sampled_from(
        ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]
    ),
    st.integers(2, 3),
)
def test_merges(kind: str, count: int) -> None:
    if kind == "Subtract":
        count = 2
    layer, analytic = build(f"{kind}: {{}}", [[3, 2]] * count)
    xs = [rand(2, 3, 2) for _ in range(count)]
    fold = {
        "Add": lambda a, b: a + b,
        "Subtract": lambda a, b: a - b,
        "Multiply": lambda a, b: a * b,
        "Average": lambda a, b: a + b,
        "Maximum": max,
        "Minimum": min,
    }
    if kind == "Concatenate":
        ref = np.zeros((2, 3, 2 * count))
        for idx in itertools.product(range(2), range(3), range(2 * count)):
            ref[idx] = xs[idx[2] // 2][idx[0], idx[1], idx[2] % 2]
    else:
        ref = np.zeros((2, 3, 2))
        for idx in itertools.product(range(2), range(3), range(2)):
            v = xs[0][idx]
            for x in xs[1:]:
                v = fold[kind](v, x[idx])
            ref[idx] = v / count if kind == "Average" else v
    check(layer, analytic, xs, {}, ref)


@settings(max_examples=20, deadline=None, suppress_health_check=QUIET)
@given(rank_st, st.integers(1, 3), st.integers(1, 3), st.sampled_from(["nearest", "bilinear"]))
def test_upsampling(r: int, n: int, f: int, interpolation: str) -> None:
    if r == 1:
        interpolation = "nearest"
    extra = f", interpolation: {interpolation}" if r == 2 else ""
    layer, analytic = build(f"UpSampling{r}D: {{size: {f}{extra}}}", [[n] * r + [2]])
    x = rand(1, *([n] * r), 2)
    ref = np.zeros((1, *([n * f] * r), 2))
    for o in positions((n * f,) * r):
        for c in range(2):
            if interpolation == "nearest":
                ref[(0, *o, c)] = x[(0, *(v // f for v in o), c)]
                continue
            # half-pixel centres: source (o + 0.5)/f - 0.5, clamped, linear per axis
            weights = []
            for v in o:
                src = max((v + 0.5) / f - 0.5, 0.0)
                i0 = math.floor(src)
                i1 = min(i0 + 1, n - 1)
                weights.append(((i0, 1 - (src - i0)), (i1, src - i0)))
            ref[(0, *o, c)] = sum(
                wa * wb * x[0, ia, ib, c] for (ia, wa), (ib, wb) in itertools.product(*weights)
            )
    check(layer, analytic, [x], {}, ref)


@settings(max_examples=20, deadline=None, suppress_health_check=QUIET)
@given(rank_st, st.integers(5, 6), st.lists(st.integers(0, 2), min_size=4, max_size=4))
def test_padding_and_cropping(r: int, n: int, widths: list[int]) -> None:
    pairs = [(widths[2 * i], widths[2 * i + 1]) for i in range(r)]
    x = rand(2, *([n] * r), 2)
    layer, analytic = build(f"ZeroPadding{r}D: {{padding: {yaml_pads(pairs)}}}", [[n] * r + [2]])
    ref = np.zeros((2, *(n + a + b for a, b in pairs), 2))
    for i in positions((n,) * r):
        ref[(slice(None), *(i[a] + pairs[a][0] for a in range(r)), slice(None))] = x[
            (slice(None), *i, slice(None))
        ]
    check(layer, analytic, [x], {}, ref)
    layer, analytic = build(f"Cropping{r}D: {{cropping: {yaml_pads(pairs)}}}", [[n] * r + [2]])
    out = [n - a - b for a, b in pairs]
    ref = np.zeros((2, *out, 2))
    for o in positions(tuple(out)):
        ref[(slice(None), *o, slice(None))] = x[
            (slice(None), *(o[a] + pairs[a][0] for a in range(r)), slice(None))
        ]
    check(layer, analytic, [x], {}, ref)


@pytest.mark.parametrize("channels_first", [False, True])
def test_flatten_reshape_dropout(channels_first: bool) -> None:
    """Flatten and Reshape follow the spec's data_format order: (C, H, W) for channels_first."""
    shown = (2, 3, 4)  # as the user wrote the input
    x_shown = rand(1, *shown)
    x = np.moveaxis(x_shown, 1, -1) if channels_first else x_shown
    layer, analytic = build("Flatten: {}", [list(shown)], channels_first)
    ref = np.array([[x_shown[(0, *i)] for i in positions(shown)]])  # row-major, shown order
    check(layer, analytic, [x], {}, ref)
    layer, analytic = build("Reshape: {target_shape: [4, 6]}", [list(shown)], channels_first)
    flat = ref[0]
    ref_shown = np.array([[[flat[6 * i + j] for j in range(6)] for i in range(4)]])
    ref = np.moveaxis(ref_shown, 1, -1) if channels_first else ref_shown
    check(layer, analytic, [x], {}, ref)
    layer, analytic = build("Dropout: {rate: 0.5}", [list(shown)], channels_first)
    check(layer, analytic, [x], {}, x)


def test_every_kind_has_a_forward() -> None:
    """Adding a layer kind means adding its forward (and a case above)."""
    missing = [
        kind
        for kind, cls in REGISTRY.items()
        if kind != "InputLayer" and cls.forward is Layer.forward
    ]
    assert missing == []


@pytest.fixture(params=[False, True], ids=["blas-threads", "split-gemms"])
def fast_paths(request, monkeypatch: pytest.MonkeyPatch):
    """Winograd for every 3x3 stride-1 convolution, thread slabs and scratch chunks for tiny
    arrays, so the small hypothesis cases take the paths that large layers take; and again
    with the GEMMs split over the workers too (the executor's batch-1 passes)."""
    from convcalc.ops.base import TUNING, WORKERS

    monkeypatch.setattr(TUNING, "winograd_min_channels", 1)

    monkeypatch.setattr(TUNING, "winograd_min_channels_compiled", 1)
    monkeypatch.setattr(TUNING, "winograd_min_tiles", 1)
    monkeypatch.setattr(TUNING, "parallel_min", 4)
    monkeypatch.setattr(TUNING, "chunk", 64)  # several slabs of im2col rows and Winograd tiles
    monkeypatch.setattr(TUNING, "im2col_slab", 16)  # slabs that cross from sample to sample
    monkeypatch.setattr(TUNING, "gemm_min_rows", 5)
    monkeypatch.setattr(TUNING, "winograd_slab", 16)
    monkeypatch.setattr(TUNING, "winograd_gemm_rows", 0)
    monkeypatch.setattr(TUNING, "depthwise_block", 8)  # blocks of one row, or part of one
    monkeypatch.setattr(TUNING, "depthwise_samples", 1)  # the window einsum sample by sample
    monkeypatch.setattr(TUNING, "group_loop_min", 1)  # grouped convolutions group by group
    old = WORKERS.n
    WORKERS.set(3)
    WORKERS.gemms = request.param
    yield
    WORKERS.gemms = False
    WORKERS.set(old)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[*QUIET, HealthCheck.function_scoped_fixture],
)  # the fixture is constant
@given(
    st.integers(1, 2),
    st.integers(1, 9),
    st.integers(1, 9),
    st.integers(1, 4),
    st.integers(1, 4),
    st.sampled_from(["same", "valid", "explicit"]),
    st.sampled_from([None, "relu", "tanh", "softmax"]),
    st.booleans(),
)
def test_conv3x3_fast_paths(
    fast_paths,
    batch: int,
    h: int,
    w: int,
    c: int,
    f: int,
    padding: str,
    act: str | None,
    channels_first: bool,
) -> None:
    """Winograd F(2x2, 3x3) (odd and even sizes, any padding) and the threaded slabs give the
    reference's values."""
    if padding == "valid" and min(h, w) < 3:
        return
    pads = (
        [(2, 0), (1, 1)]
        if padding == "explicit"
        else conv_pads(padding, [h, w], [3, 3], [1, 1], [1, 1])
    )
    shape = [c, h, w] if channels_first else [h, w, c]
    entry = (
        f"Conv2D: {{filters: {f}, kernel_size: 3, padding: "
        f"{yaml_pads(pads) if padding == 'explicit' else padding}, activation: "
        f"{act or 'linear'}}}"
    )
    layer, analytic = build(entry, [shape], channels_first)
    x = rand(batch, h, w, c)
    k, b = rand(3, 3, c, f), rand(f)
    ref = ref_conv(x, k, b, [1, 1], [1, 1], pads, 1)
    if act == "softmax":  # along the last axis of the spec's data_format
        axis = 2 if channels_first else -1
        ref = np.apply_along_axis(lambda row: ref_along("softmax", list(row)), axis, ref)
    elif act:
        ref = np.vectorize(SCALAR_ACTS[act], otypes=[float])(ref)
    check(layer, analytic, [x], {"kernel": k, "bias": b}, ref)


def test_winograd_sees_a_kernel_changed_in_place(fast_paths) -> None:
    """The transformed Winograd kernel is cached only for a read-only kernel: a writable one
    changed in place (same array) gives the new kernel's values, not the old one's."""
    from convcalc.ops.base import _DERIVED
    from convcalc.ops.conv import conv

    x, k = rand(1, 6, 6, 2), rand(3, 3, 2, 3)
    pads = ((1, 1), (1, 1))
    before = conv(x, k, None, (6, 6), (1, 1), (1, 1), pads)
    k *= 2  # in place
    after = conv(x, k, None, (6, 6), (1, 1), (1, 1), pads)
    np.testing.assert_allclose(after, 2 * before, rtol=1e-5)
    want = ref_conv(x, k, np.zeros(3), [1, 1], [1, 1], pads, 1)
    # absolute to the output's scale: a sum that cancels to near 0 keeps float32's absolute error
    np.testing.assert_allclose(after, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())
    assert (id(k), "winograd", 1) not in _DERIVED
    k.flags.writeable = False  # read-only: computed once, then cached while k lives
    conv(x, k, None, (6, 6), (1, 1), (1, 1), pads)
    key = (id(k), "winograd", 1)
    assert key in _DERIVED
    del k
    assert key not in _DERIVED


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[*QUIET, HealthCheck.function_scoped_fixture],
)
@given(
    st.integers(1, 2),
    st.integers(2, 9),
    st.integers(2, 9),
    st.sampled_from([2, 3]),
    st.integers(2, 3),  # (one channel per group is a depthwise convolution)
    st.integers(1, 3),
    st.booleans(),
    st.booleans(),
)
def test_grouped_conv3x3_by_winograd(
    fast_paths, batch: int, h: int, w: int, g: int, cg: int, fg: int, relu: bool, frozen: bool
) -> None:
    """A grouped 3x3 stride-1 convolution group by group through Winograd (each group's
    transformed kernel cached with the whole read-only kernel) gives the reference's values."""
    from convcalc.ops.base import _DERIVED
    from convcalc.ops.conv import conv

    x = rand(batch, h, w, g * cg).astype(np.float32)
    k, b = rand(3, 3, cg, g * fg).astype(np.float32), rand(g * fg).astype(np.float32)
    k.flags.writeable = not frozen
    pads = ((1, 1), (0, 1))
    out = (h, w - 1)
    act = (lambda v: np.maximum(v, 0, out=v)) if relu else None
    if act is not None:
        act.elementwise = True  # type: ignore[attr-defined]
    got = conv(x, k, b, out, (1, 1), (1, 1), pads, g, "zeros", act)
    want = ref_conv(x, k, b, [1, 1], [1, 1], pads, g, act=(lambda v: max(v, 0.0)) if relu else None)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * max(np.abs(want).max(), 1))
    assert ((id(k), "winograd", g) in _DERIVED) == frozen


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[*QUIET, HealthCheck.function_scoped_fixture],
)
@given(conv_case("Conv"))
def test_conv_fast_paths(fast_paths, case) -> None:
    """Every convolution again with im2col in several row slabs and threaded copies."""
    check_conv(case)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[*QUIET, HealthCheck.function_scoped_fixture],
)
@given(conv_case("Depthwise"), st.booleans())
def test_depthwise_fast_paths(fast_paths, depthwise_path, case, separable: bool) -> None:
    """Every depthwise convolution again with the tap loop in cache blocks of a row or less,
    over several samples, in threaded slabs."""
    check_depthwise(case, separable)


@pytest.mark.parametrize("units", [1, 64, 130])
def test_dense_split_over_workers(monkeypatch: pytest.MonkeyPatch, units: int) -> None:
    """Dense in slabs of output units over the workers: the one-call product's values."""
    from convcalc.ops import conv
    from convcalc.ops.base import TUNING, WORKERS

    monkeypatch.setattr(TUNING, "parallel_min", 4)
    x, w, b = (rand(*s).astype(np.float32) for s in [(1, 40), (40, units), (units,)])
    want = conv.dense(x, w, b, np.tanh)
    with WORKERS.splitting(3):
        got = conv.dense(x, w, b, np.tanh)
    np.testing.assert_array_equal(got, want)
    assert got.shape == (1, units) and not WORKERS.gemms
