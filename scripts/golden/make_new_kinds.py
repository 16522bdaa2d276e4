#!/usr/bin/env python3
"""Generate golden values for four layer kinds from real PyTorch and real Keras 3.

Kinds: ReLU6, AdaptiveAveragePooling1D/2D + AdaptiveMaxPooling1D/2D (PyTorch aliases
AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d) and LayerNormalization (PyTorch alias
LayerNorm).  Writes, relative to the repository root:

  tests/golden/new_kinds.json          shape / params / MACs per case (and error cases)
  tests/golden/new_kinds_forward.npz   forward values for the valid cases

Every number is MEASURED by running the layer in real PyTorch or real Keras 3 (torch
backend); nothing is derived from convcalc's formulas, and convcalc never imports torch
or keras.  The files are committed; this script is only re-run when cases are added.  It
is NOT part of the test suite.

How to run (in a throwaway venv outside the repository):

    python3 -m venv /tmp/goldenv
    /tmp/goldenv/bin/pip install torch==2.13.0 numpy keras
    KERAS_BACKEND=torch /tmp/goldenv/bin/python scripts/golden/make_new_kinds.py

(KERAS_BACKEND defaults to "torch" if unset.)  It prints a summary and the cross-checks to
stderr and runs in a few seconds on a CPU.

Versions used for the committed files: torch 2.13.0 (CPU wheel), keras 3.15.1 on the torch
backend, numpy 2.4.6, Python 3.11.  The exact versions are recorded in the JSON's
"versions" field; the script warns if they differ.

JSON format: {"generator", "versions", "cases": [...]}, one case per line, sorted keys,
as tests/golden/layer_cases.json.  Each case:
  id            unique readable id: <source>_<layer>_<args>_in<shape>[_cf]
                (a one-element list argument is written "list5", an int "5")
                ("_cf": a Keras case run with data_format="channels_first")
  source        "torch" or "keras"
  data_format   "channels_first" for every torch case; Keras cases are "channels_last"
                unless the id ends in "_cf" (the Keras adaptive pooling layers take a
                data_format argument; it is NOT repeated in "layer", since in convcalc
                data_format is a spec-level key)
  input         one sample's shape, no batch dim, in that data_format
  layer         {Kind: {args}} exactly as a user would write it for that source:
                torch cases use the PyTorch names and argument names (ReLU6, LayerNorm
                with normalized_shape / eps / elementwise_affine / bias, AdaptiveAvgPool2d
                ... with output_size), Keras cases the Keras ones (LayerNormalization with
                axis / epsilon / center / scale, AdaptiveAveragePooling2D ... with
                output_size, and ReLU with max_value 6, Keras' spelling of ReLU6 -- Keras
                has no ReLU6 layer).  output_size None entries are JSON null.
  and either
  output, params, trainable_params, non_trainable_params, macs
  or (the framework rejected the config)
  error         the exception message (ANSI codes and Keras' call wrapper removed)
  error_type    the exception class name
  plus
  epsilon       LayerNorm / LayerNormalization cases: the epsilon the layer really used
  weight_shapes valid cases with weights: {name: shape} as the framework built them
                (torch: weight / bias; keras: gamma / beta)
  note          a few cases: where the config comes from (torchvision, PyTorch docs) or
                why it is odd

Conventions:
  * Shapes, params and MACs are for ONE sample (batch size 1).
  * macs = torch.utils.flop_counter.FlopCounterMode total // 2 (as layer_cases.json).  All
    four kinds measure 0: the counter has no formula for clamp/hardtanh, adaptive pooling
    or layer_norm (and Keras' torch backend dispatches to the same aten ops).
  * torch params = sum(p.numel()) over module.parameters() (all trainable; LayerNorm has no
    buffers).  keras params = layer.count_params(); trainable / non-trainable from
    layer.trainable_weights / layer.non_trainable_weights.
  * Error cases are what THAT framework rejects.  torch ACCEPTS output_size 0 (it returns
    an empty axis; those cases are valid here, with a note), Keras rejects it; Keras
    rejects None entries in output_size, torch keeps that axis.

Forward values (new_kinds_forward.npz, np.savez_compressed), for every valid case whose
sample has at most MAX_FORWARD_ELEMS elements (the big torchvision-sized "note" cases are
shape-only; each has a small twin with forward values):
  <id>/input    float32 batch of 2, in the case's data_format with the batch first
                (torch: NCL / NCHW; keras: NLC / NHWC, or NCL / NCHW for "_cf" cases)
  <id>/output   what the framework returned for it (eval mode, no grad)
  <id>/weight, <id>/bias     torch LayerNorm affine parameters (shape normalized_shape)
  <id>/gamma, <id>/beta      keras LayerNormalization parameters (shape: the sizes of the
                             normalised axes, in sorted-axis order)
  Inputs come from np.random.default_rng(seed) with seed = SEED ^ crc32(id): normal
  values (mean 0.5, std 2) for LayerNorm, uniform in [-4, 10) for ReLU6 (both clips hit),
  and a random permutation of distinct values for the pooling layers (no ties in max
  pooling).  LayerNorm weights are set to RANDOM values (gamma/weight ~ 1 + 0.5 N(0,1),
  beta/bias ~ 0.5 N(0,1)) before the forward pass, so the affine part is exercised.  The
  torch ReLU6(inplace=True) case stores the input as it was BEFORE the call.

Cross-checks (printed on stderr, not stored): adaptive pooling outputs vs a NumPy
reference with PyTorch's windows (start = floor(i*L/out), end = ceil((i+1)*L/out)),
LayerNorm outputs vs a NumPy reference (biased variance, eps inside the sqrt), ReLU6 vs
np.clip(x, 0, 6), Keras compute_output_shape vs the shape produced, and every Keras
adaptive pooling output vs torch.nn.functional on the same data.

Findings about Keras 3.15.1 (recorded here because they shape the case list):
  * keras.layers has AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D,
    __init__(self, output_size, data_format=None).  output_size: int or tuple/list of
    exactly 1 (1D) / 2 (2D) positive ints -- None entries and 0 are rejected at call
    time (ValueError), a wrong-length tuple at construction (TypeError / ValueError).  On
    the torch backend they call torch's adaptive_{avg,max}_pool on the permuted
    (channels_last -> channels_first) tensor, so they agree with PyTorch: bit for bit
    except a float32 rounding difference (~1e-7) in a few averages, from summing the
    non-contiguous permuted tensor in another order.  The numpy backend's own
    "two-pool gather" implementation uses the same windows and agreed on every L 1..12 x
    out 1..14.  The jax backend does NOT: it computes the window ends in float32 with
    XLA's reciprocal division, so e.g. ceil(21/7) gives 4 and AdaptiveAveragePooling1D(7)
    on L=7 returns wrong windows and a NaN in the last position (also 14->7, 3->7 ...).
    Only the torch backend is used here.
  * LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True, ...): gamma and
    beta have shape tuple(input_shape[a] for a in sorted(axis)); a deprecated
    rms_scaling=True kwarg is still accepted (warns; gamma only, no mean subtraction).
    On the torch backend a contiguous axis list goes straight to F.layer_norm with those
    sizes as normalized_shape, which assumes TRAILING axes: axis=1 or [1, 2] on a rank-4
    input raises (or silently normalises the last axes when the sizes happen to match),
    so only trailing-axis Keras cases are stored (measured: axis=1 on a (3, 4, 3) sample
    returns the last-axis normalisation; the numpy backend normalises axis 1 as
    documented).  axis [1, -1] sorts to
    [-1, 1], giving gamma shape (C, H) that is then reshaped (not transposed) to
    (1, H, 1, C): that case is stored shape/params only.
"""

import json
import os
import re
import sys
import zlib
from math import prod
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import keras  # noqa: E402

EXPECTED_VERSIONS = {"torch": "2.13.0", "keras": "3.15.1"}
SEED = 20250611
MAX_FORWARD_ELEMS = 1024  # per sample; larger cases are shape-only
ROOT = Path(__file__).resolve().parents[2]
OUT_JSON = ROOT / "tests" / "golden" / "new_kinds.json"
OUT_NPZ = ROOT / "tests" / "golden" / "new_kinds_forward.npz"
GENERATOR = "scripts/golden/make_new_kinds.py"

TORCH_POOLS = {"AdaptiveAvgPool1d": nn.AdaptiveAvgPool1d, "AdaptiveAvgPool2d": nn.AdaptiveAvgPool2d,
               "AdaptiveMaxPool1d": nn.AdaptiveMaxPool1d, "AdaptiveMaxPool2d": nn.AdaptiveMaxPool2d}
KERAS_POOLS = ("AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D",
               "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D")
KIND_OF = {"ReLU6": "ReLU6", "ReLU": "ReLU6", "LayerNorm": "LayerNormalization",
           "LayerNormalization": "LayerNormalization"}
for _n in TORCH_POOLS:
    KIND_OF[_n] = _n.replace("Avg", "Average").replace("Pool", "Pooling").replace("1d", "1D").replace("2d", "2D")
for _n in KERAS_POOLS:
    KIND_OF[_n] = _n


def is_max(name):
    return "Max" in name


def is_pool(name):
    return name in TORCH_POOLS or name in KERAS_POOLS


def is_norm(name):
    return name in ("LayerNorm", "LayerNormalization")


def tupled(v):
    return tuple(v) if isinstance(v, list) else v


def clean_error(e):
    s = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    m = re.search(r"Exception encountered when calling [^\n]*\n\n(.*?)\n\nArguments received", s, re.S)
    if m:
        s = m.group(1)
    return s.strip()


# --------------------------------------------------------------------------- inputs / weights
def case_rng(cid):
    return np.random.default_rng(SEED ^ zlib.crc32(cid.encode()))


def make_input(rng, name, shape):
    if is_pool(name):  # distinct values: no ties in max pooling
        n = prod(shape)
        return ((rng.permutation(n) - n / 2) / max(n, 1) * 8.0).astype(np.float32).reshape(shape)
    if is_norm(name):
        return (rng.standard_normal(shape) * 2.0 + 0.5).astype(np.float32)
    return rng.uniform(-4.0, 10.0, shape).astype(np.float32)  # ReLU6: both clips hit


def rand_affine(rng, shape, kind):
    if kind == "scale":
        return (1.0 + 0.5 * rng.standard_normal(shape)).astype(np.float32)
    return (0.5 * rng.standard_normal(shape)).astype(np.float32)


# --------------------------------------------------------------------------- torch
def torch_module(name, a):
    if name == "ReLU6":
        return nn.ReLU6(inplace=a.get("inplace", False))
    if name in TORCH_POOLS:
        return TORCH_POOLS[name](tupled(a["output_size"]))
    if name == "LayerNorm":
        kw = {k: a[k] for k in ("eps", "elementwise_affine", "bias") if k in a}
        return nn.LayerNorm(a["normalized_shape"], **kw)
    raise NotImplementedError(name)


def run_torch(cid, name, a, inp, df, forward):
    assert df == "channels_first"
    torch.manual_seed(SEED)
    mod = torch_module(name, a).eval()
    x = torch.zeros((1, *inp))
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        y = mod(x)
    params = sum(p.numel() for p in mod.parameters())
    trainable = sum(p.numel() for p in mod.parameters() if p.requires_grad)
    res = {"output": list(y.shape[1:]), "params": params, "trainable_params": trainable,
           "non_trainable_params": params - trainable, "macs": fc.get_total_flops() // 2}
    if params:
        res["weight_shapes"] = {n: list(p.shape) for n, p in mod.named_parameters()}
    arrays = {}
    if forward:
        rng = case_rng(cid)
        xb = make_input(rng, name, (2, *inp))
        arrays["input"] = xb.copy()
        for pname, p in mod.named_parameters():
            arr = rand_affine(rng, tuple(p.shape), "scale" if pname == "weight" else "shift")
            with torch.no_grad():
                p.copy_(torch.from_numpy(arr))
            arrays[pname] = arr
        with torch.no_grad():
            arrays["output"] = mod(torch.from_numpy(xb.copy())).numpy().copy()
    return res, arrays, mod


# --------------------------------------------------------------------------- keras
KERAS_SHAPE_MISMATCHES, KERAS_SHAPE_CHECKS = [], []


def keras_layer(name, a, df):
    cls = getattr(keras.layers, name)
    kw = dict(a)
    if name in KERAS_POOLS:
        kw["output_size"] = tupled(kw["output_size"])
        kw["data_format"] = df
    return cls(**kw)


def run_keras(cid, name, a, inp, df, forward):
    keras.utils.set_random_seed(SEED)
    layer = keras_layer(name, a, df)
    x = torch.zeros((1, *inp))
    layer(x)  # builds the weights outside the counter
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        y = layer(x)
    out = list(y.shape[1:])
    try:
        static = list(layer.compute_output_shape((1, *inp))[1:])
    except Exception as e:  # noqa: BLE001
        static = f"{type(e).__name__}: {e}"
    KERAS_SHAPE_CHECKS.append(cid)
    if static != out:
        KERAS_SHAPE_MISMATCHES.append((cid, out, static))
    tw = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    ntw = sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights)
    params = layer.count_params()
    assert params == tw + ntw, (cid, params, tw, ntw)
    res = {"output": out, "params": params, "trainable_params": tw,
           "non_trainable_params": ntw, "macs": fc.get_total_flops() // 2}
    if layer.weights:
        res["weight_shapes"] = {w.path.split("/")[-1]: list(w.shape) for w in layer.weights}
    arrays = {}
    if forward:
        rng = case_rng(cid)
        xb = make_input(rng, name, (2, *inp))
        arrays["input"] = xb.copy()
        for w in layer.weights:
            wname = w.path.split("/")[-1]
            arr = rand_affine(rng, tuple(w.shape), "scale" if wname == "gamma" else "shift")
            w.assign(arr)
            arrays[wname] = arr
        with torch.no_grad():
            arrays["output"] = np.asarray(keras.ops.convert_to_numpy(layer(torch.from_numpy(xb.copy()))))
    return res, arrays, layer


# --------------------------------------------------------------------------- NumPy references
def np_adaptive(x, out_size, spatial_axes, mode):
    """PyTorch's adaptive windows: start = floor(i*L/o), end = ceil((i+1)*L/o)."""
    for ax, o in zip(spatial_axes, out_size):
        L = x.shape[ax]
        if o is None:
            continue
        pieces = []
        for i in range(o):
            s, e = (i * L) // o, -(-((i + 1) * L) // o)
            win = np.take(x, range(s, e), axis=ax)
            pieces.append(win.max(axis=ax, keepdims=True) if mode == "max"
                          else win.astype(np.float64).mean(axis=ax, keepdims=True))
        shape = list(x.shape)
        shape[ax] = 0
        x = np.concatenate(pieces, axis=ax) if pieces else np.zeros(shape, x.dtype)
    return x


def np_layernorm(x, axes, eps, scale, shift, bshape):
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x64 - mean) / np.sqrt(var + eps)
    if scale is not None:
        y = y * scale.reshape(bshape)
    if shift is not None:
        y = y + shift.reshape(bshape)
    return y


def reference(source, name, a, df, arrays, eps):
    """NumPy reference output for a forward case, or None when not applicable."""
    x = arrays["input"]
    if name in ("ReLU6", "ReLU"):
        return np.clip(x, 0.0, 6.0)
    if is_pool(name):
        nsp = 1 if name.endswith(("1d", "1D")) else 2
        o = a["output_size"]
        o = [o] * nsp if isinstance(o, int) else list(o)
        sp = list(range(2, 2 + nsp)) if df == "channels_first" else list(range(1, 1 + nsp))
        return np_adaptive(x, o, sp, "max" if is_max(name) else "avg")
    if name == "LayerNorm":
        ns = a["normalized_shape"]
        ns = [ns] if isinstance(ns, int) else list(ns)
        axes = tuple(range(x.ndim - len(ns), x.ndim))
        bshape = (1,) * (x.ndim - len(ns)) + tuple(ns)
        return np_layernorm(x, axes, eps, arrays.get("weight"), arrays.get("bias"), bshape)
    if name == "LayerNormalization":
        ax = a.get("axis", -1)
        ax = sorted([ax] if isinstance(ax, int) else ax)
        axes = tuple(sorted(d % x.ndim for d in ax))
        bshape = [1] * x.ndim
        for d in axes:
            bshape[d] = x.shape[d]
        return np_layernorm(x, axes, eps, arrays.get("gamma"), arrays.get("beta"), tuple(bshape))
    return None


def torch_functional_pool(name, a, df, x):
    """The torch op a Keras adaptive pooling layer should match, on the Keras-layout data."""
    nsp = 1 if name.endswith("1D") else 2
    t = torch.from_numpy(x)
    if df == "channels_last":
        t = t.permute(0, nsp + 1, *range(1, nsp + 1))
    fn = {(1, False): F.adaptive_avg_pool1d, (2, False): F.adaptive_avg_pool2d,
          (1, True): F.adaptive_max_pool1d, (2, True): F.adaptive_max_pool2d}[(nsp, is_max(name))]
    y = fn(t, tupled(a["output_size"]))
    if df == "channels_last":
        y = y.permute(0, *range(2, nsp + 2), 1)
    return y.numpy()


# --------------------------------------------------------------------------- case list
ABBR = {"output_size": "o", "normalized_shape": "ns", "axis": "ax", "eps": "eps",
        "epsilon": "eps", "max_value": "max"}
FLAGS = {("inplace", True): "inplace", ("inplace", False): "noinplace", ("elementwise_affine", False): "noaffine",
         ("bias", False): "nobias", ("center", False): "nocenter", ("scale", False): "noscale"}


def fmt(v):
    if v is None:
        return "none"
    if isinstance(v, (list, tuple)):
        if len(v) == 1:  # [5] differs from 5 in the id: "list5"
            return "list" + fmt(v[0])
        return "x".join(fmt(x) for x in v) if v else "empty"
    return str(v)


def make_id(source, name, a, inp, df):
    parts = [source, name.lower()]
    for k, v in a.items():
        if isinstance(v, bool) and (k, v) in FLAGS:
            parts.append(FLAGS[(k, v)])
        elif k in ABBR:
            parts.append(ABBR[k] + fmt(v))
        else:
            parts.append(f"{k}{fmt(v)}")
    parts.append("in" + "x".join(str(d) for d in inp))
    if source == "keras" and df == "channels_first":
        parts.append("cf")
    return "_".join(parts)


SPECS = []  # (source, name, args, input, data_format, expect, note, forward_ok)


def T(inp, name, expect="ok", note=None, forward=True, **a):
    SPECS.append(("torch", name, a, list(inp), "channels_first", expect, note, forward))


def K(inp, name, expect="ok", note=None, df="channels_last", forward=True, **a):
    SPECS.append(("keras", name, a, list(inp), df, expect, note, forward))


def define_cases():
    # ---------------- ReLU6
    T([3, 5], "ReLU6")
    T([2, 4, 4], "ReLU6")
    T([7], "ReLU6")
    T([3, 5], "ReLU6", inplace=True)
    T([2, 4, 4], "ReLU6", inplace=False)
    T([32, 112, 112], "ReLU6", inplace=True,
      note="torchvision mobilenet_v2: features[0] Conv2dNormActivation(3, 32, stride 2, ReLU6) at 224")
    T([1280, 7, 7], "ReLU6", inplace=True,
      note="torchvision mobilenet_v2: last Conv2dNormActivation(320, 1280, 1x1, ReLU6) at 224")
    K([5, 3], "ReLU", max_value=6)
    K([4, 4, 2], "ReLU", max_value=6)
    K([7], "ReLU", max_value=6)

    # ---------------- torch adaptive pooling
    for kind in ("Avg", "Max"):
        p1, p2 = f"Adaptive{kind}Pool1d", f"Adaptive{kind}Pool2d"
        T([3, 7], p1, output_size=3)     # windows [0,3) [2,5) [4,7)
        T([3, 10], p1, output_size=4)    # [0,3) [2,5) [5,8) [7,10)
        T([3, 5], p1, output_size=7)     # out > L: windows of 1 and 2
        T([3, 5], p1, output_size=3)     # window sizes 2, 3, 2
        T([3, 9], p1, output_size=1)
        T([3, 8], p1, output_size=8)     # identity
        T([3, 5], p1, output_size=0,
          note="torch accepts output_size 0 and returns an empty axis; Keras rejects 0")
        T([2, 7, 10], p2, output_size=[3, 4])
        T([2, 10, 7], p2, output_size=[4, 3])
        T([2, 5, 5], p2, output_size=7)
        T([2, 5, 10], p2, output_size=[7, 4])
        T([2, 7, 7], p2, output_size=1)
        T([2, 7, 10], p2, output_size=[None, 3])
        T([2, 7, 10], p2, output_size=[3, None])
        T([2, 5, 6], p2, output_size=[None, None])  # identity
        T([2, 5, 5], p2, output_size=[0, 3],
          note="torch accepts output_size 0 and returns an empty axis; Keras rejects 0")
        T([2, 5, 5], p2, output_size=0,
          note="torch accepts output_size 0 and returns an empty axis; Keras rejects 0")
        # errors
        T([3, 7], p1, "error", output_size=-1)
        T([3, 7], p1, "error", output_size=None)
        T([3, 7], p1, "error", output_size=[2, 3])
        T([2, 7, 10], p2, "error", output_size=[2, 2, 2])
        T([2, 7, 10], p2, "error", output_size=None)
        T([2, 7, 10], p2, "error", output_size=[-1, 3])
    # PyTorch docs examples (shape only) and small twins with forward values
    T([64, 8], "AdaptiveMaxPool1d", output_size=5, note="PyTorch docs AdaptiveMaxPool1d example")
    T([64, 8], "AdaptiveAvgPool1d", output_size=5, note="PyTorch docs AdaptiveAvgPool1d example")
    T([64, 8, 9], "AdaptiveAvgPool2d", output_size=[5, 7], forward=False,
      note="PyTorch docs AdaptiveAvgPool2d example")
    T([64, 10, 9], "AdaptiveAvgPool2d", output_size=7, forward=False,
      note="PyTorch docs AdaptiveAvgPool2d example")
    T([64, 10, 9], "AdaptiveAvgPool2d", output_size=[None, 7], forward=False,
      note="PyTorch docs AdaptiveAvgPool2d example")
    T([64, 8, 9], "AdaptiveMaxPool2d", output_size=[5, 7], forward=False,
      note="PyTorch docs AdaptiveMaxPool2d example")
    T([64, 10, 9], "AdaptiveMaxPool2d", output_size=[None, 7], forward=False,
      note="PyTorch docs AdaptiveMaxPool2d example")
    T([2, 8, 9], "AdaptiveAvgPool2d", output_size=[5, 7])
    T([2, 10, 9], "AdaptiveAvgPool2d", output_size=7)
    T([2, 10, 9], "AdaptiveAvgPool2d", output_size=[None, 7])
    T([2, 8, 9], "AdaptiveMaxPool2d", output_size=[5, 7])
    # torchvision usage (shape only) and small twins with forward values
    for hw in (7, 14, 9):
        T([512, hw, hw], "AdaptiveAvgPool2d", output_size=[7, 7],
          note=f"torchvision vgg16 avgpool = AdaptiveAvgPool2d((7, 7)) on a {hw}x{hw} feature map"
               + {7: " (224 input)", 14: " (448 input)", 9: " (288 input)"}[hw])
        T([2, hw, hw], "AdaptiveAvgPool2d", output_size=[7, 7])
    T([2048, 7, 7], "AdaptiveAvgPool2d", output_size=1,
      note="ResNet-50 global pool at 224, written AdaptiveAvgPool2d(1)")
    T([2048, 7, 7], "AdaptiveAvgPool2d", output_size=[1, 1],
      note="torchvision resnet50 avgpool = AdaptiveAvgPool2d((1, 1)) at 224")
    T([4, 7, 7], "AdaptiveAvgPool2d", output_size=[1, 1])

    # ---------------- keras adaptive pooling (torch backend), both data formats
    for kind in ("Average", "Max"):
        p1, p2 = f"Adaptive{kind}Pooling1D", f"Adaptive{kind}Pooling2D"
        K([7, 3], p1, output_size=3)
        K([10, 3], p1, output_size=4)
        K([5, 3], p1, output_size=7)
        K([9, 3], p1, output_size=1)
        K([8, 3], p1, output_size=[5])
        K([3, 7], p1, df="channels_first", output_size=3)
        K([3, 5], p1, df="channels_first", output_size=7)
        K([7, 10, 2], p2, output_size=[3, 4])
        K([10, 7, 2], p2, output_size=[4, 3])
        K([5, 5, 2], p2, output_size=7)
        K([5, 10, 2], p2, output_size=[7, 4])
        K([7, 7, 2], p2, output_size=1)
        K([2, 7, 10], p2, df="channels_first", output_size=[3, 4])
        K([2, 5, 5], p2, df="channels_first", output_size=7)
        K([2, 5, 10], p2, df="channels_first", output_size=[7, 4])
        K([2, 7, 7], p2, df="channels_first", output_size=1)
        # errors
        K([5, 3], p1, "error", output_size=0)
        K([5, 3], p1, "error", output_size=[2, 3])
        K([5, 3], p1, "error", output_size=[None])
        K([5, 5, 2], p2, "error", output_size=0)
        K([7, 10, 2], p2, "error", output_size=[None, 3])
        K([7, 10, 2], p2, "error", output_size=[3, None])
        K([2, 7, 10], p2, "error", df="channels_first", output_size=[None, 3])
        K([7, 10, 2], p2, "error", output_size=[2, 2, 2])
        K([7, 10, 2], p2, "error", output_size=-1)
    K([14, 14, 512], "AdaptiveAveragePooling2D", output_size=[7, 7],
      note="Keras twin of torchvision vgg16 avgpool on a 14x14 map")
    K([14, 14, 2], "AdaptiveAveragePooling2D", output_size=[7, 7])

    # ---------------- torch LayerNorm (channels_first samples; normalized_shape = trailing dims)
    T([3, 4, 5], "LayerNorm", normalized_shape=[3, 4, 5])
    T([3, 4, 5], "LayerNorm", normalized_shape=[4, 5])
    T([3, 4, 5], "LayerNorm", normalized_shape=[5])
    T([3, 4, 5], "LayerNorm", normalized_shape=5)
    T([4, 6], "LayerNorm", normalized_shape=[4, 6])
    T([4, 6], "LayerNorm", normalized_shape=[6])
    T([3, 4, 5], "LayerNorm", normalized_shape=[4, 5], elementwise_affine=False)
    T([3, 4, 5], "LayerNorm", normalized_shape=[3, 4, 5], elementwise_affine=False)
    T([3, 4, 5], "LayerNorm", normalized_shape=[5], bias=False)
    T([3, 4, 5], "LayerNorm", normalized_shape=[3, 4, 5], bias=False)
    T([4, 6], "LayerNorm", normalized_shape=[6], elementwise_affine=False, bias=False)
    T([3, 4, 5], "LayerNorm", normalized_shape=[4, 5], eps=1e-3)
    T([16], "LayerNorm", normalized_shape=16)   # (N, features), one sample (16,)
    T([16], "LayerNorm", normalized_shape=[16], eps=1e-6)
    T([5, 16], "LayerNorm", normalized_shape=16)  # (N, seq, hidden)
    T([197, 768], "LayerNorm", normalized_shape=768, eps=1e-6,
      note="torchvision vit_b_16 encoder LayerNorm (norm_layer=partial(nn.LayerNorm, eps=1e-6))")
    # errors
    T([3, 5, 5], "LayerNorm", "error", normalized_shape=[4, 4])
    T([3, 5, 5], "LayerNorm", "error", normalized_shape=4)
    T([3, 5, 6], "LayerNorm", "error", normalized_shape=[3, 5])  # leading dims, not trailing
    T([3, 5, 5], "LayerNorm", "error", normalized_shape=[2, 3, 5, 5])
    T([3, 5, 5], "LayerNorm", "error", normalized_shape=[])

    # ---------------- keras LayerNormalization (channels_last samples)
    K([4, 5, 3], "LayerNormalization")
    K([4, 5, 3], "LayerNormalization", axis=-1)
    K([4, 5, 3], "LayerNormalization", axis=[1, 2, 3])
    K([4, 5, 3], "LayerNormalization", axis=[-2, -1])
    K([4, 5, 3], "LayerNormalization", axis=[2, 3])
    K([4, 5, 3], "LayerNormalization", axis=[-3, -2, -1])
    K([4, 5, 3], "LayerNormalization", center=False)
    K([4, 5, 3], "LayerNormalization", scale=False)
    K([4, 5, 3], "LayerNormalization", center=False, scale=False)
    K([4, 5, 3], "LayerNormalization", axis=[1, 2, 3], center=False)
    K([4, 5, 3], "LayerNormalization", axis=[-2, -1], scale=False)
    K([4, 5, 3], "LayerNormalization", epsilon=1e-5)
    K([6, 4], "LayerNormalization")
    K([6, 4], "LayerNormalization", axis=[1, 2])
    K([16], "LayerNormalization")  # (N, features), one sample (16,)
    K([16], "LayerNormalization", epsilon=1e-6)
    K([5, 16], "LayerNormalization")  # (N, seq, hidden)
    K([5, 6, 3], "LayerNormalization", axis=[1, -1], forward=False,
      note="Keras sorts axis to [-1, 1]: gamma/beta shape (C, H); forward not stored (gamma is "
           "reshaped, not transposed, to (1, H, 1, C))")
    # errors
    K([4, 5, 3], "LayerNormalization", "error", axis=4)
    K([4, 5, 3], "LayerNormalization", "error", axis=-5)
    K([4, 5, 3], "LayerNormalization", "error", axis=[3, -1])  # same axis twice


# --------------------------------------------------------------------------- main
def main():
    versions = {"torch": torch.__version__, "keras": keras.__version__,
                "keras_backend": keras.backend.backend(), "numpy": np.__version__,
                "python": "%d.%d.%d" % sys.version_info[:3]}
    assert versions["keras_backend"] == "torch", "run with KERAS_BACKEND=torch"
    for lib, want in EXPECTED_VERSIONS.items():
        if not versions[lib].startswith(want):
            print(f"WARNING: {lib} {versions[lib]} != {want} used for the committed file", file=sys.stderr)
    define_cases()

    cases, arrays_out, seen = [], {}, set()
    checks = {"reference": 0, "reference_bad": [], "keras_vs_torch": 0, "keras_vs_torch_bad": [],
              "keras_vs_torch_ulp": []}
    for source, name, a, inp, df, expect, note, forward_ok in SPECS:
        cid = make_id(source, name, a, inp, df)
        assert cid not in seen, f"duplicate id {cid}"
        seen.add(cid)
        forward = forward_ok and expect == "ok" and prod(inp) <= MAX_FORWARD_ELEMS
        eps = None
        if name == "LayerNorm":
            eps = a.get("eps", 1e-5)
        elif name == "LayerNormalization":
            eps = a.get("epsilon", 1e-3)
        try:
            res, arrays, obj = (run_torch if source == "torch" else run_keras)(cid, name, a, inp, df, forward)
        except Exception as e:  # noqa: BLE001
            if expect != "error":
                raise RuntimeError(f"{cid} unexpectedly failed: {type(e).__name__}: {e}") from e
            res, arrays = {"error": clean_error(e), "error_type": type(e).__name__}, {}
        else:
            if expect == "error":
                raise RuntimeError(f"{cid} was expected to fail but gave {res}")
            if eps is not None:
                used = obj.eps if source == "torch" else obj.epsilon
                assert used == eps, (cid, used, eps)
        case = {"id": cid, "source": source, "data_format": df, "input": inp, "layer": {name: a}}
        case.update(res)
        if eps is not None:
            case["epsilon"] = eps
        if note:
            case["note"] = note
        cases.append(case)
        if arrays:
            ref = reference(source, name, a, df, arrays, eps)
            if ref is not None:
                checks["reference"] += 1
                got = arrays["output"]
                if got.shape != ref.shape or not np.allclose(got, ref, rtol=1e-5, atol=1e-5):
                    checks["reference_bad"].append((cid, got.shape, ref.shape))
            if source == "keras" and name in KERAS_POOLS:
                checks["keras_vs_torch"] += 1
                t = torch_functional_pool(name, a, df, arrays["input"])
                if t.shape != arrays["output"].shape or not np.allclose(t, arrays["output"], rtol=0, atol=1e-6):
                    checks["keras_vs_torch_bad"].append(cid)
                elif not np.array_equal(t, arrays["output"]):  # summation order (layout) only
                    checks["keras_vs_torch_ulp"].append(
                        (cid, float(np.abs(t - arrays["output"]).max())))
            assert list(arrays["output"].shape) == [2, *res["output"]], (cid, arrays["output"].shape)
            for k, v in arrays.items():
                arrays_out[f"{cid}/{k}"] = v

    # named expectations (torchvision / docs), asserted
    by_id = {c["id"]: c for c in cases}
    named = {
        "torch_adaptiveavgpool2d_o7x7_in512x7x7": [512, 7, 7],
        "torch_adaptiveavgpool2d_o7x7_in512x14x14": [512, 7, 7],
        "torch_adaptiveavgpool2d_o7x7_in512x9x9": [512, 7, 7],
        "torch_adaptiveavgpool2d_o1_in2048x7x7": [2048, 1, 1],
        "torch_adaptiveavgpool2d_o1x1_in2048x7x7": [2048, 1, 1],
        "torch_adaptiveavgpool2d_o5x7_in64x8x9": [64, 5, 7],
        "torch_adaptiveavgpool2d_o7_in64x10x9": [64, 7, 7],
        "torch_adaptiveavgpool2d_ononex7_in64x10x9": [64, 10, 7],
        "torch_adaptivemaxpool1d_o5_in64x8": [64, 5],
        "torch_adaptiveavgpool1d_o7_in3x5": [3, 7],
        "torch_adaptiveavgpool2d_ononex3_in2x7x10": [2, 7, 3],
        "torch_adaptiveavgpool2d_o3xnone_in2x7x10": [2, 3, 10],
        "torch_relu6_inplace_in32x112x112": [32, 112, 112],
    }
    for cid, out in named.items():
        assert by_id[cid]["output"] == out, (cid, by_id[cid]["output"], out)

    # torch vs keras twins: same config, keras input = torch input permuted to channels_last
    twins, twin_bad = 0, []
    for c in cases:
        if c["source"] != "keras" or "error" in c or c["data_format"] != "channels_last":
            continue
        (kname, ka), = c["layer"].items()
        kin = c["input"]
        tin = kin[-1:] + kin[:-1] if len(kin) > 1 else kin
        for t in cases:
            if t["source"] != "torch" or "error" in t or t["input"] != tin:
                continue
            (tname, ta), = t["layer"].items()
            if KIND_OF[tname] != KIND_OF[kname]:
                continue
            same = False
            if is_pool(kname):
                same = ta["output_size"] == ka["output_size"]
            elif kname == "ReLU":
                same = ta.get("inplace", False) is False
            if not same:
                continue
            twins += 1
            tout = t["output"][1:] + t["output"][:1] if len(t["output"]) > 1 else t["output"]
            if (tout, t["params"], t["macs"]) != (c["output"], c["params"], c["macs"]):
                twin_bad.append((t["id"], c["id"]))

    lines = ["{" + f'"generator": "{GENERATOR}", "versions": {json.dumps(versions, sort_keys=True)},',
             ' "cases": [']
    for i, c in enumerate(cases):
        lines.append("  " + json.dumps(c, sort_keys=True) + ("," if i < len(cases) - 1 else ""))
    lines.append(" ]}")
    OUT_JSON.write_text("\n".join(lines) + "\n")
    np.savez_compressed(OUT_NPZ, **arrays_out)

    # self-check of what was written
    data = json.loads(OUT_JSON.read_text())
    ids = [c["id"] for c in data["cases"]]
    assert len(ids) == len(set(ids)), "duplicate ids"
    with np.load(OUT_NPZ) as z:
        keys = list(z.keys())
        for k in keys:
            assert k.split("/")[0] in set(ids), f"npz key {k} belongs to no case"
            assert z[k].dtype == np.float32, (k, z[k].dtype)
    with_fwd = {k.split("/")[0] for k in keys}
    for c in data["cases"]:
        if c["id"] in with_fwd:
            assert "error" not in c and f"{c['id']}/input" in keys and f"{c['id']}/output" in keys

    per_kind = {}
    for c in cases:
        (name,), = [tuple(c["layer"])]
        k = KIND_OF[name]
        v, e = per_kind.get(k, (0, 0))
        per_kind[k] = (v + ("error" not in c), e + ("error" in c))
    print(f"wrote {OUT_JSON.relative_to(ROOT)} ({OUT_JSON.stat().st_size} B): {len(cases)} cases; "
          f"{OUT_NPZ.relative_to(ROOT)} ({OUT_NPZ.stat().st_size} B): {len(keys)} arrays for "
          f"{len(with_fwd)} cases", file=sys.stderr)
    for k, (v, e) in sorted(per_kind.items()):
        print(f"  {k}: {v} valid, {e} errors", file=sys.stderr)
    print(f"NumPy reference compared on {checks['reference']} forward cases, "
          f"{len(checks['reference_bad'])} differ; keras vs torch.nn.functional adaptive pooling "
          f"on {checks['keras_vs_torch']}, {len(checks['keras_vs_torch_bad'])} differ; "
          f"torch/keras shape twins {twins} ({len(twin_bad)} mismatched); keras compute_output_shape "
          f"on {len(KERAS_SHAPE_CHECKS)} runs, {len(KERAS_SHAPE_MISMATCHES)} differ", file=sys.stderr)
    for cid, d in checks["keras_vs_torch_ulp"]:
        print(f"  keras vs torch.nn.functional not bit-identical (max |diff| {d:.2e}, same op on a "
              f"differently laid-out tensor): {cid}", file=sys.stderr)
    for item in checks["reference_bad"] + checks["keras_vs_torch_bad"] + twin_bad + KERAS_SHAPE_MISMATCHES:
        print(f"  MISMATCH {item}", file=sys.stderr)


if __name__ == "__main__":
    main()
