"""The PyTorch side of bench_run.py: a spec as a torch.nn model with the runtime's weights.

The model is the code ``convcalc export --to pytorch`` writes (each layer kind's own
``torch_code``), plus the benchmark's code for the kinds the exporter refuses (Rescaling,
Normalization, LocalResponseNorm, AdaptiveAvgPool2d, BatchNorm without gamma). It computes in
NCHW; the weights go in through each Weight's own PyTorch name and layout (the same mapping
``--weights-layout torch`` reads), and every parameter and buffer must be set.

The generated class has a second forward, ``forward_profiled``, that wraps every layer in
``RF(<convcalc kind>)``: a clock around the layer's line (PyTorch's CPU ops are synchronous),
so that its time is summed per layer kind exactly as the runtime's per-layer times are.
PyTorch's own profiler was tried first and dropped: on the Zen 5 VM it made a 15 ms MobileNet
forward take 45 ms (ReLU alone 13 ms), so its per-kind figures said more about the profiler
than about the kernels; the clocks cost about 5%.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

DEFAULT_TORCH_FORMAT = "nhwc"


def _fallback(layer: Any, inputs: list[tuple[int, ...]]) -> Any:
    """Code for the kinds ``convcalc export`` does not write (None: no fallback either)."""
    from convcalc.layers.export import Code

    kind = layer.kind
    if kind == "LocalResponseNormalization":
        ctor = f"nn.LocalResponseNorm({layer.size}, {layer.alpha!r}, {layer.beta!r}, {layer.k!r})"
        return Code((("", ctor),), "{m}({x})")
    if kind == "Rescaling":
        return Code((("", f"BenchRescale({layer.scale!r}, {layer.offset!r})"),), "{m}({x})")
    if kind == "Normalization" and layer.mean is None and layer.axis in (-1, None):
        c = inputs[0][-1] if layer.axis is not None else 1
        return Code((("", f"BenchNormalize({c}, {len(inputs[0])})"),), "{m}({x})")
    if kind == "AdaptiveAveragePooling2D":
        return Code((("", f"nn.AdaptiveAvgPool2d({tuple(layer.output_size)!r})"),), "{m}({x})")
    if kind == "BatchNormalization" and layer.center and not layer.scale:
        r = min(max(len(inputs[0]) - 1, 1), 3)
        ctor = f"nn.BatchNorm{r}d({inputs[0][-1]}, eps={layer.epsilon!r})"
        return Code((("", ctor),), "{m}({x})")
    return None


def _transposed(layer: Any, inputs: list[tuple[int, ...]], out: tuple[int, ...]) -> Any:
    """nn.ConvTransposeNd's full output, cropped as the layer crops it (``convcalc export``
    writes a transposed convolution as an nn.ConvNd: its bug, left to its owner)."""
    from convcalc.layers.export import Code, kwargs, torch_activation

    r, sizes = layer.rank, out[:-1]
    full = [
        (n - 1) * s + d * (k - 1) + 1
        for n, s, d, k in zip(inputs[0][:-1], layer.strides, layer.dilation(), layer.kernel_size)
    ]
    crops = layer.crops(sizes)
    if any(c + o > f for c, o, f in zip(crops, sizes, full)):
        return None  # a zero-extended output: not needed by the zoo
    ctor = f"nn.ConvTranspose{r}d({inputs[0][-1]}, {out[-1]}, " + kwargs(
        kernel_size=layer.kernel_size,
        stride=layer.strides,
        dilation=layer.dilation(),
        groups=layer.groups,
        bias=layer.use_bias,
    )
    cut = ", ".join(f"{c}:{c + o}" for c, o in zip(crops, sizes))
    call = torch_activation(layer.activation, "{m}({x})[:, :, " + cut + "]", r + 1, False)
    return Code((("", ctor + ")"),), call)


def model_source(spec: Any, report: Any) -> tuple[str, dict[str, str]]:
    """The module's source and {layer name: attribute} of every layer."""
    from convcalc.errors import LayerError
    from convcalc.tools.export import Exporter

    class BenchExporter(Exporter):
        def code_of(self, ls: Any) -> object:
            row = self.report.row(ls.name)
            if ls.kind.endswith("Transpose"):
                return _transposed(ls.layer, list(row.in_shapes), row.shape)
            try:
                return ls.layer.torch_code(list(row.in_shapes))
            except LayerError as err:
                code = _fallback(ls.layer, list(row.in_shapes))
                if code is None:
                    self.problems.append(ls.problem(err))
                return code

    ex = BenchExporter(spec, report, "pytorch")
    text = ex.render()
    kind_of = {ex.var[ls.name]: ls.kind for ls in spec.layers}
    name_of = {ex.var[ls.name]: ls.name for ls in spec.layers}
    head, rest = text.split("    def forward(", 1)
    sig, rest = rest.split("\n", 1)
    body, tail = rest.split("\n\n\n", 1)
    # forward_profiled: each layer's line inside record_function(kind); forward_all: every
    # layer's output (its local variable), for the comparison layer by layer
    prof = []
    for line in body.splitlines():
        m = re.match(r"        (\w+) = ", line)
        if m and m.group(1) in kind_of:
            clock = f"RF({kind_of[m.group(1)]!r}, {name_of[m.group(1)]!r})"
            prof += [f"        with {clock}:", "    " + line]
        else:
            prof.append(line)
    every = [line for line in body.splitlines() if not line.startswith("        return ")]
    text = "\n".join(
        [
            head + "    def forward(" + sig,
            body,
            "",
            "    def forward_profiled(" + sig,
            *prof,
            "",
            "    def forward_all(" + sig,
            *every,
            "        return dict(locals())",
            "\n\n" + tail,
        ]
    )
    return text, {ls.name: ex.var[ls.name] for ls in spec.layers}


def _helpers() -> dict[str, Any]:
    import torch
    from torch import nn

    class BenchRescale(nn.Module):
        def __init__(self, scale: Any, offset: Any) -> None:
            super().__init__()
            self.scale, self.offset = scale, offset

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.scale + self.offset

    class BenchNormalize(nn.Module):
        """Keras Normalization on the channel axis: (x - mean) / max(sqrt(var), 1e-7)."""

        def __init__(self, c: int, rank: int) -> None:
            super().__init__()
            self.view = (1, c) + (1,) * (rank - 1)
            self.register_buffer("mean", torch.zeros(c))
            self.register_buffer("variance", torch.ones(c))
            self.register_buffer("count", torch.zeros(1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            std = self.variance.sqrt().clamp_min(1e-7)
            return (x - self.mean.view(self.view)) / std.view(self.view)

    return {"BenchRescale": BenchRescale, "BenchNormalize": BenchNormalize, "RF": KindClock}


class KindClock:
    """``with KindClock(kind, layer):`` adds the block's wall time to ``KindClock.spent[kind]``
    and to ``KindClock.spent[LAYER + layer]``."""

    spent: dict[str, float] = {}

    def __init__(self, kind: str, layer: str = "") -> None:
        self.kind, self.layer = kind, layer

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        dt = time.perf_counter() - self.t0
        for key in (self.kind, LAYER + self.layer) if self.layer else (self.kind,):
            KindClock.spent[key] = KindClock.spent.get(key, 0.0) + dt


LAYER = "layer:"  # the per-layer keys of profile_by_kind's result


def torch_model(spec: Any, report: Any, params: dict[str, dict[str, Any]]) -> tuple[Any, Any]:
    """The eval-mode torch model of ``spec`` holding ``params`` (Keras layout, numpy), and the
    {layer name: attribute} of its layers."""
    import numpy as np
    import torch

    text, var = model_source(spec, report)
    ns: dict[str, Any] = _helpers()
    exec(compile(text, f"<export {spec.name}>", "exec"), ns)
    model = ns["build"]().eval()
    state = model.state_dict()
    loaded: set[str] = set()
    for ls in spec.layers:
        if ls.is_input or ls.shares:
            continue
        for w in report.row(ls.name).weights:
            head, _, tail = w.torch_name.rpartition(".")
            key = f"{var[ls.name]}__{head}.{tail}" if head else f"{var[ls.name]}.{tail}"
            if key not in state:
                raise SystemExit(f"bench: {ls.name}/{w.name}: no {key} in the torch model")
            value = np.ascontiguousarray(w.to_torch(params[ls.name][w.name]))
            if tuple(value.shape) != tuple(state[key].shape):
                raise SystemExit(
                    f"bench: {ls.name}/{w.name}: {value.shape} for {key} {tuple(state[key].shape)}"
                )
            state[key] = torch.from_numpy(value)
            loaded.add(key)
    unset = [
        k
        for k in state
        if k not in loaded and not k.endswith("num_batches_tracked") and not _default_ok(k, state)
    ]
    if unset:
        raise SystemExit(f"bench: torch parameters not set from the spec's weights: {unset[:5]}")
    model.load_state_dict(state)
    return model, var


def _default_ok(key: str, state: dict[str, Any]) -> bool:
    """A BatchNorm weight (gamma) of a layer without one: PyTorch's default, 1, is Keras's."""
    return key.endswith(".weight") and key[: -len("weight")] + "running_mean" in state


def profile_by_kind(model: Any, x: Any, passes: int = 7) -> dict[str, float]:
    """Seconds per forward in each convcalc layer kind over ``passes`` uncontended forwards
    of ``model.forward_profiled`` (medians); '(total)': the whole clocked forward."""
    import statistics

    import bench_common as bc
    import torch

    samples: list[dict[str, float]] = []
    every: list[dict[str, float]] = []  # contended ones too: used when too few were quiet
    with torch.inference_mode():
        model.forward_profiled(x)
        for _ in range(4 * passes):
            KindClock.spent = {}
            b0, c0, t0 = bc.busy_s(), os.times(), time.perf_counter()
            model.forward_profiled(x)
            total = time.perf_counter() - t0
            b1, c1 = bc.busy_s(), os.times()
            own = (c1.user + c1.system) - (c0.user + c0.system)
            every.append({**KindClock.spent, "(total)": total})
            if (b1 - b0) - own <= bc.FOREIGN_LIMIT:
                samples.append(every[-1])
                if len(samples) == passes:
                    break
    samples = samples if len(samples) == passes else every
    keys = {k for s in samples for k in s}
    return {k: statistics.median(s.get(k, 0.0) for s in samples) for k in keys}


def compare_layers(
    model: Any, x: Any, var: dict[str, str], path: str, spec: Any, params: dict[str, Any]
) -> dict[str, Any]:
    """Every layer's output against the runtime's (``path``: its saved activations, .npz, in
    the spec's layout): the worst max |runtime - torch| / max |torch| and its layer; and both
    against the same torch model in float64 (``f64_cc``, ``f64_pt``: the worst of each), which
    says whose rounding a difference is. Each layer's error is relative to that layer's
    largest magnitude, and errors compound: each side feeds its own previous output on.
    ``same_input``: each layer alone instead, the runtime's op fed PyTorch's outputs of the
    layers before it (``params``: the runtime's weights), so that nothing compounds."""
    import copy

    import numpy as np
    import torch

    cf = spec.channels_first
    saved = np.load(path)
    with torch.inference_mode():
        outs = model.forward_all(x)
        exact = copy.deepcopy(model).double().forward_all(x.double())
    worst, where, n = 0.0, "", 0
    f64 = {"cc": 0.0, "pt": 0.0}

    def rel(a: Any, b: Any) -> float:
        scale = float(np.max(np.abs(b))) if b.size else 0.0
        return float(np.max(np.abs(a - b))) / scale if scale else 0.0

    def canonical(t: Any) -> Any:
        if not cf and t.dim() >= 3:
            t = t.permute(0, *range(2, t.dim()), 1)
        return t.double().numpy()

    for name in saved.files:
        t = outs.get(var.get(name, ""))
        if not isinstance(t, torch.Tensor):
            continue
        b, a = canonical(t), saved[name].astype(np.float64)
        if a.shape != b.shape:
            return {"worst": float("inf"), "layer": f"{name}: {a.shape} vs {b.shape}", "n": n}
        e = canonical(exact[var[name]])
        f64["cc"], f64["pt"] = max(f64["cc"], rel(a, e)), max(f64["pt"], rel(b, e))
        err = rel(a, b)
        n += 1
        if err > worst:
            worst, where = err, name
    alone = same_input(outs, x, var, spec, params, canonical, rel)
    return {
        "worst": worst,
        "layer": where,
        "n": n,
        "f64_cc": f64["cc"],
        "f64_pt": f64["pt"],
        "same_input": alone,
    }


def same_input(
    outs: dict[str, Any],
    x: Any,
    var: dict[str, str],
    spec: Any,
    params: Any,
    canonical: Any,
    rel: Any,
) -> tuple[float, str]:
    """The worst error of one layer of the runtime given PyTorch's outputs of the layers before
    it (a layer without a PyTorch counterpart passes the runtime's own output on), and where."""
    import numpy as np

    from convcalc.ops.elementwise import to_canonical

    cf = spec.channels_first
    inputs = [ls for ls in spec.layers if ls.is_input]
    acts = {ls.name: to_canonical(canonical(x).astype(np.float32), cf) for ls in inputs[:1]}
    worst, where = 0.0, ""
    for ls in spec.layers:
        if ls.is_input or not all(i in acts for i in ls.inputs):
            continue
        y = ls.layer.forward([acts[i] for i in ls.inputs], params[ls.name])
        t = outs.get(var.get(ls.name, ""))
        if t is None or not hasattr(t, "dim"):
            acts[ls.name] = y
            continue
        ref = canonical(t)
        err = rel(np.asarray(y, dtype=np.float64), to_canonical(ref, cf))
        if err > worst:
            worst, where = err, ls.name
        acts[ls.name] = to_canonical(ref.astype(np.float32), cf)
    return worst, where
