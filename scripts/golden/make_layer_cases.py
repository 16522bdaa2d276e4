#!/usr/bin/env python3
"""Generate tests/golden/layer_cases.json: per-layer golden values from real frameworks.

Every case is one layer applied to one input shape.  Its output shape, parameter
counts and multiply-accumulates (MACs) are MEASURED by running the layer in real
PyTorch or real Keras 3 (torch backend) -- nothing here is derived from the
formulas that convcalc implements.  The JSON is committed; this script is only
re-run when cases are added.  It is NOT part of the test suite and convcalc never
imports torch or keras.

How to run (in a throwaway venv outside the repository):

    python3 -m venv /tmp/goldenv
    /tmp/goldenv/bin/pip install torch==2.13.0 numpy keras
    KERAS_BACKEND=torch /tmp/goldenv/bin/python scripts/golden/make_layer_cases.py

(KERAS_BACKEND defaults to "torch" if unset.)  It writes layer_cases.json next to
itself, prints a summary to stderr, and runs in a few seconds on a CPU.

Versions used for the committed file: torch 2.13.0 (CPU wheel), keras 3.15.1 on
the torch backend, numpy 2.4.6, Python 3.11.  The exact versions are recorded in
the JSON's "versions" field; the script warns if they differ.

Output format: {"generator", "versions", "cases": [...]}, one case per line,
sorted keys.  Each case:
  id            unique readable id: <source>_<layer>_<args>_in<shape>
  source        "torch" or "keras"
  data_format   "channels_first" (torch) / "channels_last" (keras)
  input         one sample's shape, no batch dim, in that data_format
  layer         {KerasClassName: {args}} in convcalc's spec vocabulary
  and either
  output, params, trainable_params, non_trainable_params, macs
  or (the framework rejected the config)
  error         the exception message (ANSI codes and Keras' call wrapper removed)
  error_type    the exception class name

Conventions:
  * Everything is for ONE sample (batch size 1).
  * macs = torch.utils.flop_counter.FlopCounterMode total // 2.  It counts 2 FLOPs
    per MAC, ignores bias adds, and counts transposed convolutions on the INPUT
    grid (in_spatial * C_in * C_out/groups * prod(kernel)).  Keras layers are run
    under the same counter (the torch backend dispatches to aten.convolution /
    aten.mm), so Keras MACs are measured too.  Pooling, BN, activations, padding,
    upsampling... count 0.
    NB: the DeepSpeed flops-profiler PR quoted for the transposed-conv cases
    (ConvTranspose2d(4,6,4,s=2,p=1) -> 49,152 MACs etc.) used a batch of 2; the
    per-sample values stored here are half of those (24,576 / 2,304 / 3,072).
    The ptflops ConvTranspose2d(3,1,2,s=2) on 3x2x2 example is batch 1 -> 48.
  * torch params = sum(p.numel()) over module.parameters(), all trainable.
    keras params = layer.count_params(); trainable / non-trainable from
    layer.trainable_weights / layer.non_trainable_weights.
  * The generator cross-checks (and reports on stderr, does not store):
    measured MACs vs the conv formula on the measured shapes, Keras
    compute_output_shape vs the shape actually produced, and torch vs keras
    results for configs that both sources contain.

Error cases are what THAT framework rejects; some are framework-specific and not
errors in the other one: torch rejects padding="same" with stride > 1 (Keras allows
it); Keras 3 rejects strides > 1 together with dilation_rate > 1 for Conv1D/2D and
Conv*DTranspose (torch allows it; Keras' own DepthwiseConv2D / SeparableConv* accept
it), and Keras requires output_padding < strides (torch: < stride OR < dilation).
Keras "valid" transposed conv is NOT torch padding=0: Keras gives n*s + max(k-s, 0),
torch (n-1)*s + k; they differ when k < s (e.g. k=2, s=3 on 5: Keras 15, torch 14).

How the spec vocabulary maps to torch (see torch_module()):
  padding "valid" -> 0; "same" -> padding="same" (torch allows it for stride 1
  only); int p / [p_h, p_w] -> torch padding; [[before, after], ...] -> a
  ConstantPadNd in front of a padding-0 layer (value -inf before MaxPool).
  DepthwiseConv2D -> Conv2d(C, C*dm, k, groups=C).  Global*Pooling ->
  AdaptiveXPool(1) + Flatten.  ZeroPadding -> ConstantPad1d / ZeroPad2d.
  UpSampling -> nn.Upsample(scale_factor, mode="nearest").  Dense -> Linear.
"""

import json
import os
import random
import re
import sys
from math import prod
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import keras  # noqa: E402

EXPECTED_VERSIONS = {"torch": "2.13.0", "keras": "3.15.1"}
SEED = 20240601
OUT = Path(__file__).resolve().parents[2] / "tests" / "golden" / "layer_cases.json"

CONV = ("Conv1D", "Conv2D", "Conv3D")
CONVT = ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
SEPARABLE = ("SeparableConv1D", "SeparableConv2D")
POOLS = tuple(f"{k}Pooling{n}D" for k in ("Max", "Average") for n in (1, 2, 3))
GLOBAL_POOLS = tuple(f"Global{k}Pooling{n}D" for k in ("Average", "Max") for n in (1, 2))


def ndim_of(name):
    m = re.search(r"([123])D", name)
    return int(m.group(1)) if m else None


def tup(v, n):
    if isinstance(v, (list, tuple)):
        assert len(v) == n, (v, n)
        return tuple(v)
    return (v,) * n


def is_pairs(p):
    return isinstance(p, (list, tuple)) and p and isinstance(p[0], (list, tuple))


# --------------------------------------------------------------------------- torch
def torch_padding(p, n):
    """spec padding -> (torch padding arg, pre-pad tuple for F.pad or None)."""
    if p == "valid":
        return 0, None
    if p == "same":
        return "same", None
    if isinstance(p, int):
        return p, None
    if is_pairs(p):
        assert len(p) == n
        flat = []
        for before, after in reversed(p):  # F.pad wants the last axis first
            flat += [before, after]
        return 0, tuple(flat)
    return tup(p, n), None


def prepad(n, pads, value=0.0):
    return {1: nn.ConstantPad1d, 2: nn.ConstantPad2d, 3: nn.ConstantPad3d}[n](pads, value)


def seq(pre, mod):
    return nn.Sequential(pre, mod) if pre is not None else mod


def torch_module(name, a, inp):
    C = inp[0]
    n = ndim_of(name)
    if name in CONV or name == "DepthwiseConv2D":
        cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[n]
        pad, pre = torch_padding(a.get("padding", "valid"), n)
        if name == "DepthwiseConv2D":
            out_ch, groups = C * a.get("depth_multiplier", 1), C
        else:
            out_ch, groups = a["filters"], a.get("groups", 1)
        mod = cls(C, out_ch, tup(a["kernel_size"], n), stride=tup(a.get("strides", 1), n),
                  padding=pad, dilation=tup(a.get("dilation_rate", 1), n), groups=groups,
                  bias=a.get("use_bias", True))
        return seq(pre if pre is None else prepad(n, pre), mod)
    if name in CONVT:
        cls = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}[n]
        p = a.get("padding", 0)
        assert not is_pairs(p), "asymmetric padding not expressible for torch transposed conv"
        assert not isinstance(p, str), "'valid'/'same' transposed conv cases come from Keras"
        pad = p if isinstance(p, int) else tup(p, n)
        return cls(C, a["filters"], tup(a["kernel_size"], n), stride=tup(a.get("strides", 1), n),
                   padding=pad, output_padding=tup(a.get("output_padding", 0), n),
                   groups=a.get("groups", 1), bias=a.get("use_bias", True),
                   dilation=tup(a.get("dilation_rate", 1), n))
    if name in POOLS:
        k = tup(a["pool_size"], n)
        s = tup(a["strides"], n) if a.get("strides") is not None else k
        p = a.get("padding", "valid")
        assert p != "same", "torch pooling has no 'same'"
        pad, pre = torch_padding(p, n)
        if name.startswith("Max"):
            cls = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}[n]
            mod = cls(k, s, padding=pad, dilation=tup(a.get("dilation_rate", 1), n),
                      ceil_mode=a.get("ceil_mode", False))
            fill = float("-inf")
        else:
            assert "dilation_rate" not in a
            cls = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}[n]
            mod = cls(k, s, padding=pad, ceil_mode=a.get("ceil_mode", False),
                      count_include_pad=a.get("count_include_pad", True))
            fill = 0.0
        return seq(pre if pre is None else prepad(n, pre, fill), mod)
    if name in GLOBAL_POOLS:
        kind = "Avg" if "Average" in name else "Max"
        cls = getattr(nn, f"Adaptive{kind}Pool{n}d")
        return nn.Sequential(cls(1), nn.Flatten())
    if name == "ZeroPadding1D":
        p = a["padding"]
        lr = (p, p) if isinstance(p, int) else tuple(p)
        return nn.ConstantPad1d(lr, 0.0)
    if name == "ZeroPadding2D":
        p = a["padding"]
        if isinstance(p, int):
            (t, b), (l, r) = (p, p), (p, p)
        elif is_pairs(p):
            (t, b), (l, r) = p
        else:
            (t, b), (l, r) = (p[0], p[0]), (p[1], p[1])
        return nn.ZeroPad2d((l, r, t, b))
    if name in ("UpSampling1D", "UpSampling2D"):
        return nn.Upsample(scale_factor=tuple(float(x) for x in tup(a.get("size", 2), n)),
                           mode="nearest")
    if name == "Flatten":
        return nn.Flatten()
    if name == "Dense":
        assert len(inp) == 1, "torch Dense cases are rank-1 only"
        return nn.Linear(inp[0], a["units"], bias=a.get("use_bias", True))
    if name == "Dropout":
        return nn.Dropout(a["rate"])
    if name == "ReLU":
        return nn.ReLU()
    if name == "Activation":
        return {"relu": nn.ReLU(), "softmax": nn.Softmax(dim=1)}[a["activation"]]
    raise NotImplementedError(f"no torch mapping for {name}")


def run_torch(name, a, inp):
    torch.manual_seed(SEED)
    mod = torch_module(name, a, inp)
    mod.eval()
    x = torch.zeros((1, *inp))
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        y = mod(x)
    params = sum(p.numel() for p in mod.parameters())
    return {"output": list(y.shape[1:]), "params": params, "trainable_params": params,
            "non_trainable_params": 0, "macs": fc.get_total_flops() // 2}


# --------------------------------------------------------------------------- keras
def to_tuples(v):
    if isinstance(v, list):
        return tuple(to_tuples(x) for x in v)
    return v


def keras_layer(name, a):
    cls = getattr(keras.layers, name)
    return cls(**{k: to_tuples(v) for k, v in a.items()})


KERAS_SHAPE_MISMATCHES = []
KERAS_SHAPE_CHECKS = []


def run_keras(name, a, inp):
    keras.utils.set_random_seed(SEED)
    layer = keras_layer(name, a)
    x = torch.zeros((1, *inp))
    layer(x)  # builds the weights outside the counter
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        y = layer(x)
    out = list(y.shape[1:])
    try:
        static = layer.compute_output_shape((1, *inp))
        static = list(static[1:])
    except Exception as e:  # noqa: BLE001
        static = f"{type(e).__name__}: {e}"
    KERAS_SHAPE_CHECKS.append(name)
    if static != out:
        KERAS_SHAPE_MISMATCHES.append((name, a, inp, out, static))
    tw = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
    ntw = sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights)
    params = layer.count_params()
    assert params == tw + ntw, (name, params, tw, ntw)
    return {"output": out, "params": params, "trainable_params": tw,
            "non_trainable_params": ntw, "macs": fc.get_total_flops() // 2}


# --------------------------------------------------------------------------- checks
def formula_macs(source, name, a, inp, out):
    """What a plain conv / matmul on the measured shapes costs (cross-check only)."""
    cl = source == "keras"
    if name not in CONV + CONVT + SEPARABLE + ("DepthwiseConv2D", "Dense"):
        return 0
    if name == "Dense":
        return prod(inp) * a["units"]
    n = ndim_of(name)
    cin = inp[-1] if cl else inp[0]
    in_sp = inp[:-1] if cl else inp[1:]
    out_sp = out[:-1] if cl else out[1:]
    k = prod(tup(a["kernel_size"], n))
    g = a.get("groups", 1)
    if name in CONV:
        return prod(out_sp) * a["filters"] * (cin // g) * k
    if name in CONVT:
        return prod(in_sp) * cin * (a["filters"] // g) * k
    dm = a.get("depth_multiplier", 1)
    if name == "DepthwiseConv2D":
        return prod(out_sp) * cin * dm * k
    return prod(out_sp) * cin * dm * (k + a["filters"])  # separable


def clean_error(e):
    s = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    m = re.search(r"Exception encountered when calling [^\n]*\n\n(.*?)\n\nArguments received", s, re.S)
    if m:
        s = m.group(1)
    return s.strip()


# --------------------------------------------------------------------------- case list
ABBR = {"filters": "f", "kernel_size": "k", "strides": "s", "padding": "p", "dilation_rate": "d",
        "groups": "g", "depth_multiplier": "dm", "output_padding": "op", "pool_size": "k",
        "units": "u", "rate": "r", "target_shape": "t", "size": "x", "cropping": "c"}
FLAGS = {("use_bias", False): "nobias", ("ceil_mode", True): "ceil",
         ("count_include_pad", False): "nocip", ("center", False): "nocenter",
         ("scale", False): "noscale"}


def fmt(v):
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (list, tuple)):
        if is_pairs(v):
            return "x".join("-".join(str(x) for x in pair) for pair in v)
        return "x".join(str(x) for x in v)
    return str(v)


def make_id(source, name, a, inp):
    parts = [source, name.lower()]
    for k, v in a.items():
        if isinstance(v, bool) and (k, v) in FLAGS:
            parts.append(FLAGS[(k, v)])
        elif k == "activation":
            parts.append(v)
        elif k in ABBR:
            parts.append(ABBR[k] + fmt(v))
        else:
            parts.append(f"{k}{fmt(v)}")
    parts.append("in" + "x".join(str(d) for d in inp))
    return "_".join(parts)


SPECS = []  # (source, name, args, input, expect)  expect: "ok" | "error" | "ok_or_skip"


def T(inp, name, expect="ok", **a):
    SPECS.append(("torch", name, a, list(inp), expect))


def K(inp, name, expect="ok", **a):
    SPECS.append(("keras", name, a, list(inp), expect))


def pick(rng, xs):
    return xs[rng.randrange(len(xs))]


def define_cases():
    rng = random.Random(SEED)

    # ---------------- torch Conv1D
    T([256, 15], "Conv1D", filters=128, kernel_size=3)  # -> 128x13
    T([16, 50], "Conv1D", filters=33, kernel_size=3, strides=2)  # PyTorch Conv1d doc example
    T([4, 10], "Conv1D", filters=8, kernel_size=4, padding="same")  # torch pads 1 left / 2 right
    T([4, 11], "Conv1D", filters=8, kernel_size=2, padding="same")
    T([4, 12], "Conv1D", filters=8, kernel_size=3, padding="same", dilation_rate=2)
    T([4, 12], "Conv1D", filters=6, kernel_size=4, padding="same", dilation_rate=3)
    T([3, 20], "Conv1D", filters=5, kernel_size=3, padding=[2])
    T([3, 20], "Conv1D", filters=5, kernel_size=3, padding=[[2, 1]])
    T([3, 17], "Conv1D", filters=5, kernel_size=4, strides=2, padding=[[0, 3]])
    T([6, 16], "Conv1D", filters=9, kernel_size=3, groups=3)
    T([6, 16], "Conv1D", filters=6, kernel_size=5, groups=6, padding=2)
    T([8, 16], "Conv1D", filters=4, kernel_size=3, groups=4, strides=2)
    T([4, 16], "Conv1D", filters=8, kernel_size=3, use_bias=False)
    T([4, 9], "Conv1D", filters=8, kernel_size=9)  # kernel == input
    T([4, 7], "Conv1D", filters=8, kernel_size=9, padding=1)  # kernel == padded input
    T([1, 1], "Conv1D", filters=1, kernel_size=1)
    for _ in range(22):
        c, f, g = pick(rng, [(3, 8, 1), (4, 8, 2), (4, 4, 4), (6, 9, 3), (2, 5, 1), (8, 8, 1)])
        L = pick(rng, [7, 8, 15, 16, 31, 64])
        k, s, p, d = pick(rng, [1, 2, 3, 4, 5, 7]), pick(rng, [1, 1, 2, 3, 4]), pick(rng, [0, 0, 1, 2, 3]), pick(rng, [1, 1, 2, 3])
        a = dict(filters=f, kernel_size=k)
        if s != 1:
            a["strides"] = s
        if p:
            a["padding"] = p
        if d != 1:
            a["dilation_rate"] = d
        if g != 1:
            a["groups"] = g
        if rng.random() < 0.15:
            a["use_bias"] = False
        T([c, L], "Conv1D", "ok_or_skip", **a)

    # ---------------- torch Conv2D
    T([16, 50, 100], "Conv2D", filters=33, kernel_size=3, strides=2)  # -> 33x24x49
    T([16, 50, 100], "Conv2D", filters=33, kernel_size=[3, 5], strides=[2, 1], padding=[4, 2])  # -> 33x28x100
    T([16, 50, 100], "Conv2D", filters=33, kernel_size=[3, 5], strides=[2, 1], padding=[4, 2],
      dilation_rate=[3, 1])  # -> 33x26x100
    T([4, 10, 9], "Conv2D", filters=8, kernel_size=4, padding="same")
    T([4, 10, 9], "Conv2D", filters=8, kernel_size=[2, 4], padding="same")
    T([4, 13, 12], "Conv2D", filters=8, kernel_size=3, padding="same", dilation_rate=[2, 3])
    T([3, 16, 16], "Conv2D", filters=8, kernel_size=3, padding=[[1, 2], [0, 3]])
    T([3, 15, 16], "Conv2D", filters=8, kernel_size=3, strides=2, padding=[[0, 1], [0, 1]])
    T([3, 32, 32], "Conv2D", filters=16, kernel_size=3, padding=1, use_bias=False)
    T([3, 32, 32], "Conv2D", filters=64, kernel_size=7, strides=2, padding=3)  # ResNet stem on 32
    T([4, 8, 8], "Conv2D", filters=8, kernel_size=3, groups=2)
    T([6, 9, 9], "Conv2D", filters=9, kernel_size=3, groups=3, padding=1)
    T([8, 12, 12], "Conv2D", filters=8, kernel_size=3, groups=8, strides=2, padding=1)
    T([6, 12, 12], "Conv2D", filters=12, kernel_size=3, groups=6)
    T([12, 10, 10], "Conv2D", filters=8, kernel_size=1, groups=4)
    T([12, 10, 10], "Conv2D", filters=6, kernel_size=[1, 3], groups=2, use_bias=False)
    T([3, 5, 5], "Conv2D", filters=4, kernel_size=5)
    T([3, 5, 6], "Conv2D", filters=4, kernel_size=[6, 6], padding=[1, 0])
    T([3, 1, 1], "Conv2D", filters=4, kernel_size=1)
    for _ in range(32):
        c, f, g = pick(rng, [(3, 8, 1), (4, 8, 2), (4, 4, 4), (6, 9, 3), (8, 8, 8), (6, 12, 6),
                             (12, 8, 4), (2, 5, 1), (16, 16, 1)])
        H, W = pick(rng, [5, 8, 13, 16, 28, 32]), pick(rng, [5, 8, 13, 16, 28, 32])
        k = pick(rng, [1, 2, 3, 3, 4, 5, [3, 5], [1, 7], [2, 4], [5, 1]])
        s = pick(rng, [1, 1, 2, 3, [2, 1], [1, 3]])
        p = pick(rng, [0, 0, 1, 2, [1, 2], [4, 2], [0, 3]])
        d = pick(rng, [1, 1, 1, 2, [3, 1], [1, 2]])
        a = dict(filters=f, kernel_size=k)
        if s != 1:
            a["strides"] = s
        if p != 0:
            a["padding"] = p
        if d != 1:
            a["dilation_rate"] = d
        if g != 1:
            a["groups"] = g
        if rng.random() < 0.15:
            a["use_bias"] = False
        T([c, H, W], "Conv2D", "ok_or_skip", **a)

    # ---------------- torch Conv3D
    T([4, 6, 8, 8], "Conv3D", filters=8, kernel_size=3, padding=1)
    T([4, 6, 8, 8], "Conv3D", filters=8, kernel_size=4, padding="same")
    T([4, 6, 8, 8], "Conv3D", filters=8, kernel_size=[1, 3, 3], strides=[1, 2, 2], padding=[0, 1, 1])
    T([4, 5, 7, 9], "Conv3D", filters=6, kernel_size=[3, 1, 2], dilation_rate=[1, 2, 2])
    T([4, 5, 7, 9], "Conv3D", filters=6, kernel_size=2, groups=2, use_bias=False)
    T([3, 8, 8, 8], "Conv3D", filters=5, kernel_size=3, padding=[[1, 0], [0, 2], [1, 1]])
    for _ in range(8):
        c, f, g = pick(rng, [(3, 8, 1), (4, 8, 2), (4, 4, 4), (2, 3, 1)])
        sp = [pick(rng, [3, 4, 5, 7, 8]) for _ in range(3)]
        k = pick(rng, [1, 2, 3, [1, 3, 3], [3, 1, 2]])
        s = pick(rng, [1, 2, [1, 2, 2]])
        p = pick(rng, [0, 1, [0, 1, 1]])
        d = pick(rng, [1, 1, 2])
        a = dict(filters=f, kernel_size=k)
        if s != 1:
            a["strides"] = s
        if p != 0:
            a["padding"] = p
        if d != 1:
            a["dilation_rate"] = d
        if g != 1:
            a["groups"] = g
        T([c] + sp, "Conv3D", "ok_or_skip", **a)

    # ---------------- torch DepthwiseConv2D
    T([4, 16, 16], "DepthwiseConv2D", kernel_size=3)
    T([4, 16, 16], "DepthwiseConv2D", kernel_size=3, padding=1, depth_multiplier=2)
    T([4, 15, 15], "DepthwiseConv2D", kernel_size=3, strides=2, padding=1)
    T([8, 14, 14], "DepthwiseConv2D", kernel_size=5, strides=2, padding=2, use_bias=False)
    T([3, 12, 10], "DepthwiseConv2D", kernel_size=[3, 5], padding="same", depth_multiplier=3)
    T([3, 12, 10], "DepthwiseConv2D", kernel_size=3, dilation_rate=2, depth_multiplier=2)
    T([6, 9, 9], "DepthwiseConv2D", kernel_size=4, padding="same")
    T([6, 9, 9], "DepthwiseConv2D", kernel_size=3, strides=2, padding=[[0, 1], [0, 1]])
    T([2, 7, 7], "DepthwiseConv2D", kernel_size=7)
    T([32, 28, 28], "DepthwiseConv2D", kernel_size=3, strides=[2, 1], padding=[1, 1])

    # ---------------- torch transposed conv (int padding / output_padding / dilation / groups)
    T([4, 8, 8], "Conv2DTranspose", filters=6, kernel_size=4, strides=2, padding=1)  # DeepSpeed
    T([4, 8, 8], "Conv2DTranspose", filters=4, kernel_size=3, strides=2, padding=1, output_padding=1, groups=4)
    T([6, 8, 8], "Conv2DTranspose", filters=6, kernel_size=2, strides=2, groups=3)
    T([3, 2, 2], "Conv2DTranspose", filters=1, kernel_size=2, strides=2)  # ptflops issue
    T([16, 12, 12], "Conv2DTranspose", filters=33, kernel_size=3, strides=2)  # doc-ish
    T([16, 12, 12], "Conv2DTranspose", filters=33, kernel_size=[3, 5], strides=[2, 1], padding=[4, 2])
    T([4, 5, 5], "Conv2DTranspose", filters=8, kernel_size=3, strides=1, dilation_rate=2, output_padding=1)
    T([4, 5, 7], "Conv2DTranspose", filters=8, kernel_size=[2, 3], strides=[3, 2], output_padding=[2, 1])
    T([8, 6, 6], "Conv2DTranspose", filters=4, kernel_size=3, groups=4, use_bias=False)
    T([4, 7, 7], "Conv2DTranspose", filters=2, kernel_size=5, strides=2, padding=2, output_padding=1)
    T([4, 16], "Conv1DTranspose", filters=8, kernel_size=4, strides=2, padding=1)
    T([4, 5], "Conv1DTranspose", filters=8, kernel_size=3, strides=2)
    T([4, 5], "Conv1DTranspose", filters=8, kernel_size=2, strides=3)
    T([4, 5], "Conv1DTranspose", filters=8, kernel_size=3, strides=2, padding=1, output_padding=1)
    T([4, 6], "Conv1DTranspose", filters=6, kernel_size=3, dilation_rate=3, output_padding=2)
    T([6, 10], "Conv1DTranspose", filters=9, kernel_size=3, strides=2, groups=3, padding=2)
    T([4, 10], "Conv1DTranspose", filters=8, kernel_size=1, strides=1, padding=0)
    for _ in range(10):
        n = pick(rng, [1, 2])
        c, f, g = pick(rng, [(3, 8, 1), (4, 8, 2), (4, 4, 4), (6, 3, 3), (2, 5, 1)])
        sp = [pick(rng, [1, 3, 4, 5, 7, 10, 16]) for _ in range(n)]
        k, s, d = pick(rng, [1, 2, 3, 4, 5]), pick(rng, [1, 2, 3]), pick(rng, [1, 1, 2])
        p = pick(rng, [0, 0, 1, 2])
        op = rng.randrange(max(s, d))
        a = dict(filters=f, kernel_size=k)
        if s != 1:
            a["strides"] = s
        if p:
            a["padding"] = p
        if op:
            a["output_padding"] = op
        if d != 1:
            a["dilation_rate"] = d
        if g != 1:
            a["groups"] = g
        T([c] + sp, f"Conv{n}DTranspose", "ok_or_skip", **a)

    # ---------------- torch pooling: named tricky cases
    T([2, 9, 9], "AveragePooling2D", pool_size=4, strides=4, padding=2, ceil_mode=True)  # -> 3
    T([2, 32, 32], "MaxPooling2D", pool_size=1, strides=2, ceil_mode=True)  # -> 16
    T([2, 12, 12], "MaxPooling2D", pool_size=1, strides=2, ceil_mode=True)  # -> 6
    T([2, 5, 5], "MaxPooling2D", pool_size=2, strides=2, padding=1, ceil_mode=True)  # -> 3
    T([2, 2, 2], "AveragePooling2D", pool_size=3, strides=3, padding=1, ceil_mode=True)  # -> 1
    T([2, 3, 6, 5], "MaxPooling3D", pool_size=3, strides=3, padding=1, ceil_mode=True)  # -> 2x3x2
    T([2, 112, 112], "MaxPooling2D", pool_size=3, strides=2)  # -> 55
    T([2, 112, 112], "MaxPooling2D", pool_size=3, strides=2, ceil_mode=True)  # -> 56
    T([2, 112, 112], "MaxPooling2D", pool_size=3, strides=2, padding=1)  # ResNet -> 56
    T([2, 9, 9], "AveragePooling2D", pool_size=4, strides=4, padding=2)
    T([2, 13], "MaxPooling1D", pool_size=2, strides=2, ceil_mode=True)
    T([2, 13], "MaxPooling1D", pool_size=2)
    T([2, 13], "AveragePooling1D", pool_size=3, strides=2, padding=1, ceil_mode=True, count_include_pad=False)
    T([2, 16, 16], "MaxPooling2D", pool_size=3, strides=1, padding=1, dilation_rate=2)
    T([2, 16, 16], "MaxPooling2D", pool_size=3, strides=2, dilation_rate=2, ceil_mode=True)
    T([2, 10, 11], "MaxPooling2D", pool_size=[2, 3], strides=[1, 2], padding=[1, 1], dilation_rate=[2, 1])
    T([2, 7, 7], "MaxPooling2D", pool_size=3, strides=2, padding=[[0, 1], [1, 0]])
    T([2, 9], "AveragePooling1D", pool_size=4, strides=2, padding=[[2, 1]])
    T([2, 8, 8], "AveragePooling2D", pool_size=2, strides=1, ceil_mode=True)
    T([2, 4, 5, 6], "AveragePooling3D", pool_size=2)
    T([2, 4, 5, 6], "AveragePooling3D", pool_size=2, ceil_mode=True)
    T([2, 4, 5, 6], "MaxPooling3D", pool_size=[1, 2, 2], strides=[1, 2, 2])
    T([2, 4, 5, 6], "MaxPooling3D", pool_size=3, strides=1, padding=1, dilation_rate=[1, 2, 1])
    for _ in range(26):
        n = pick(rng, [1, 2, 2, 3])
        kind = pick(rng, ["Max", "Average"])
        sizes = [pick(rng, [3, 4, 5, 7, 8, 9, 12, 15, 16, 31, 32] if n < 3 else [3, 4, 5, 7, 8])
                 for _ in range(n)]
        k = pick(rng, [2, 3, 4, 5])
        s = pick(rng, [None, 1, 2, 3])
        p = rng.randrange(k // 2 + 1)
        a = dict(pool_size=k)
        if s is not None:
            a["strides"] = s
        if p:
            a["padding"] = p
        if kind == "Max" and rng.random() < 0.3:
            a["dilation_rate"] = 2
        if rng.random() < 0.5:
            a["ceil_mode"] = True
        T([3] + sizes, f"{kind}Pooling{n}D", "ok_or_skip", **a)

    # ---------------- torch global pools, padding, upsampling, misc
    T([8, 10], "GlobalAveragePooling1D")
    T([8, 10], "GlobalMaxPooling1D")
    T([8, 7, 9], "GlobalAveragePooling2D")
    T([8, 7, 9], "GlobalMaxPooling2D")
    T([16, 1, 1], "GlobalAveragePooling2D")
    T([3, 10], "ZeroPadding1D", padding=2)
    T([3, 10], "ZeroPadding1D", padding=[1, 3])
    T([3, 6, 7], "ZeroPadding2D", padding=1)
    T([3, 6, 7], "ZeroPadding2D", padding=[2, 1])
    T([3, 6, 7], "ZeroPadding2D", padding=[[1, 2], [0, 3]])
    T([3, 5], "UpSampling1D", size=2)
    T([3, 5], "UpSampling1D", size=3)
    T([3, 4, 5], "UpSampling2D", size=2)
    T([3, 4, 5], "UpSampling2D", size=[2, 3])
    T([3, 4, 5], "UpSampling2D", size=[1, 2])
    T([4, 5, 6], "Flatten")
    T([3, 7], "Flatten")
    T([64], "Dense", units=10)
    T([10], "Dense", units=1, use_bias=False)
    T([4, 8, 8], "Dropout", rate=0.5)
    T([4, 8, 8], "Activation", activation="relu")
    T([10], "Activation", activation="softmax")
    T([3, 5], "ReLU")

    # ---------------- torch error cases
    T([5, 8, 8], "Conv2D", "error", filters=8, kernel_size=3, groups=2)  # in % groups
    T([4, 8, 8], "Conv2D", "error", filters=6, kernel_size=3, groups=4)  # out % groups
    T([6, 8], "Conv1D", "error", filters=8, kernel_size=3, groups=3)
    T([4, 3, 3], "Conv2D", "error", filters=8, kernel_size=5)  # kernel > input
    T([4, 4], "Conv1D", "error", filters=8, kernel_size=7, padding=1)  # kernel > padded input
    T([4, 6, 6], "Conv2D", "error", filters=8, kernel_size=3, dilation_rate=3)  # effective kernel 7 > 6
    T([2, 3, 8, 8], "Conv3D", "error", filters=4, kernel_size=[4, 3, 3])
    T([4, 8, 8], "Conv2D", "error", filters=8, kernel_size=3, strides=2, padding="same")
    T([4, 8], "Conv1D", "error", filters=8, kernel_size=3, strides=2, padding="same")
    T([4, 8, 8], "Conv2DTranspose", "error", filters=4, kernel_size=3, strides=2, output_padding=2)
    T([4, 8], "Conv1DTranspose", "error", filters=4, kernel_size=3, output_padding=1)
    T([4, 8], "Conv1DTranspose", "error", filters=4, kernel_size=3, dilation_rate=2, strides=2, output_padding=2)
    T([4, 8, 8], "Conv2DTranspose", "error", filters=6, kernel_size=3, groups=4)
    T([4, 8, 8], "MaxPooling2D", "error", pool_size=2, padding=2)  # pad > k/2
    T([4, 8, 8], "AveragePooling2D", "error", pool_size=3, padding=2)
    T([4, 8], "MaxPooling1D", "error", pool_size=3, padding=2)
    T([4, 8, 8], "MaxPooling2D", "error", pool_size=3, dilation_rate=2, padding=3)
    T([2, 4, 4, 4], "AveragePooling3D", "error", pool_size=2, padding=2)
    T([4, 3, 3], "MaxPooling2D", "error", pool_size=5)  # output too small

    # ---------------- keras 'same' (Keras/TF rule: out = ceil(n/s))
    K([13, 13, 3], "Conv2D", filters=4, kernel_size=6, strides=5, padding="same")  # -> 3
    K([224, 224, 3], "Conv2D", filters=8, kernel_size=3, strides=2, padding="same")  # -> 112
    K([224, 224, 3], "Conv2D", filters=8, kernel_size=7, strides=2, padding="same")  # -> 112
    K([13, 3], "Conv1D", filters=4, kernel_size=6, strides=5, padding="same")
    K([50, 100, 16], "Conv2D", filters=33, kernel_size=3, strides=2, padding="same")
    for L in (7, 8, 13, 16):
        for k, s in ((1, 2), (2, 2), (3, 3), (4, 1), (5, 2), (6, 3)):
            if (L + k + s) % 2 == 0:  # a deterministic half of the grid
                K([L, 4], "Conv1D", filters=6, kernel_size=k, strides=s, padding="same")
    K([13, 4], "Conv1D", filters=6, kernel_size=3, padding="same", dilation_rate=2)
    K([12, 4], "Conv1D", filters=6, kernel_size=4, padding="same", dilation_rate=3)
    for (H, W) in ((7, 8), (13, 13), (16, 9)):
        for k, s in ((2, 1), (3, 2), (4, 2), (5, 3), ([3, 2], [2, 3]), ([1, 4], [3, 1])):
            K([H, W, 3], "Conv2D", filters=5, kernel_size=k, strides=s, padding="same")
    K([9, 10, 3], "Conv2D", filters=5, kernel_size=3, padding="same", dilation_rate=2)
    K([9, 10, 3], "Conv2D", filters=5, kernel_size=[2, 3], padding="same", dilation_rate=[3, 1])
    K([5, 7, 6, 2], "Conv3D", filters=4, kernel_size=3, strides=2, padding="same")
    K([5, 7, 6, 2], "Conv3D", filters=4, kernel_size=[2, 3, 4], strides=[1, 2, 3], padding="same")
    K([5, 7, 6, 2], "Conv3D", filters=4, kernel_size=2, padding="same", dilation_rate=2)
    # keras 'valid' (twins of torch configs are cross-checked)
    K([15, 256], "Conv1D", filters=128, kernel_size=3)
    K([50, 100, 16], "Conv2D", filters=33, kernel_size=3, strides=2)
    K([50, 100, 16], "Conv2D", filters=33, kernel_size=[3, 5], strides=[2, 1])
    K([8, 8, 4], "Conv2D", filters=8, kernel_size=3, groups=2)
    K([16, 6], "Conv1D", filters=9, kernel_size=3, groups=3)
    K([12, 12, 8], "Conv2D", filters=8, kernel_size=3, groups=8, strides=2, padding="same")
    K([16, 4], "Conv1D", filters=8, kernel_size=3, use_bias=False)
    K([8, 8, 6, 4], "Conv3D", filters=8, kernel_size=[3, 1, 2], dilation_rate=[1, 2, 2])
    K([9, 9, 3], "Conv2D", filters=4, kernel_size=9)
    # causal Conv1D
    K([10, 3], "Conv1D", filters=4, kernel_size=3, padding="causal")
    K([10, 3], "Conv1D", filters=4, kernel_size=3, strides=2, padding="causal")
    K([11, 3], "Conv1D", filters=4, kernel_size=4, strides=2, padding="causal")
    K([16, 3], "Conv1D", filters=4, kernel_size=5, strides=3, padding="causal")
    K([10, 3], "Conv1D", filters=4, kernel_size=2, dilation_rate=2, padding="causal")
    K([16, 3], "Conv1D", filters=4, kernel_size=3, dilation_rate=4, padding="causal")
    K([4, 3], "Conv1D", filters=4, kernel_size=5, dilation_rate=3, padding="causal")
    K([10, 3], "Conv1D", filters=4, kernel_size=1, padding="causal")
    # depthwise / separable
    K([16, 16, 4], "DepthwiseConv2D", kernel_size=3)
    K([16, 16, 4], "DepthwiseConv2D", kernel_size=3, padding="same", depth_multiplier=2)
    K([15, 15, 4], "DepthwiseConv2D", kernel_size=3, strides=2, padding="same")
    K([15, 14, 4], "DepthwiseConv2D", kernel_size=[3, 4], strides=[2, 3], use_bias=False)
    K([12, 10, 3], "DepthwiseConv2D", kernel_size=3, dilation_rate=2, depth_multiplier=3)
    K([9, 9, 4], "DepthwiseConv2D", kernel_size=3, strides=2, dilation_rate=2, padding="same")
    K([9, 9, 4], "DepthwiseConv2D", kernel_size=3, strides=2, dilation_rate=2)
    K([7, 7, 2], "DepthwiseConv2D", kernel_size=7)
    K([16, 16, 4], "SeparableConv2D", filters=8, kernel_size=3)
    K([16, 16, 4], "SeparableConv2D", filters=8, kernel_size=3, padding="same", depth_multiplier=2)
    K([15, 13, 4], "SeparableConv2D", filters=8, kernel_size=3, strides=2, padding="same")
    K([15, 13, 4], "SeparableConv2D", filters=6, kernel_size=[2, 5], strides=[3, 2], use_bias=False)
    K([12, 12, 3], "SeparableConv2D", filters=5, kernel_size=3, dilation_rate=2)
    K([9, 9, 4], "SeparableConv2D", filters=8, kernel_size=3, dilation_rate=2, padding="same")
    K([9, 9, 4], "SeparableConv2D", filters=8, kernel_size=3, strides=2, dilation_rate=2)
    K([20, 4], "SeparableConv1D", filters=8, kernel_size=3)
    K([20, 4], "SeparableConv1D", filters=8, kernel_size=4, strides=3, padding="same")
    K([20, 4], "SeparableConv1D", filters=8, kernel_size=3, padding="same", depth_multiplier=3)
    K([20, 4], "SeparableConv1D", filters=8, kernel_size=3, dilation_rate=2, use_bias=False)
    K([9, 4], "SeparableConv1D", filters=8, kernel_size=3, strides=2, dilation_rate=2, padding="same")
    # transposed conv with Keras padding strings
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=2, strides=3)
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=2, strides=3, padding="same")
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=3, strides=2)
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=3, strides=2, padding="same")
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=3, strides=2, output_padding=1)
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=3, strides=2, padding="same", output_padding=1)
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=3, strides=2, padding="same", output_padding=0)
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=5, strides=2, padding="same")
    K([5, 4], "Conv1DTranspose", filters=8, kernel_size=4, strides=2, padding="same")
    K([7, 4], "Conv1DTranspose", filters=8, kernel_size=4, strides=2, padding="valid", output_padding=1)
    K([7, 4], "Conv1DTranspose", filters=8, kernel_size=3, strides=3, padding="same", output_padding=2)
    K([7, 4], "Conv1DTranspose", filters=8, kernel_size=3, dilation_rate=2, padding="same")
    K([7, 4], "Conv1DTranspose", filters=8, kernel_size=3, dilation_rate=2)
    K([8, 8, 4], "Conv2DTranspose", filters=6, kernel_size=4, strides=2, padding="same")
    K([8, 8, 4], "Conv2DTranspose", filters=6, kernel_size=4, strides=2)
    K([5, 5, 4], "Conv2DTranspose", filters=8, kernel_size=3, strides=2, padding="same", output_padding=1)
    K([5, 6, 4], "Conv2DTranspose", filters=8, kernel_size=[2, 3], strides=[3, 2])
    K([5, 6, 4], "Conv2DTranspose", filters=8, kernel_size=[2, 3], strides=[3, 2], padding="same")
    K([5, 6, 4], "Conv2DTranspose", filters=8, kernel_size=[5, 3], strides=[3, 2], output_padding=[2, 1])
    K([5, 6, 4], "Conv2DTranspose", filters=8, kernel_size=3, padding="same", use_bias=False)
    K([5, 6, 4], "Conv2DTranspose", filters=8, kernel_size=1, strides=3)
    K([3, 2, 2], "Conv2DTranspose", filters=2, kernel_size=3, dilation_rate=2)
    # keras pooling
    for n, sizes in ((1, [[7, 3], [13, 3], [16, 3]]), (2, [[7, 9, 3], [13, 8, 3]]), (3, [[5, 7, 4, 2]])):
        for kind in ("Max", "Average"):
            for pool, st, pad in ((2, None, "valid"), (2, None, "same"), (3, 2, "same"), (3, 2, "valid"),
                                  (3, 1, "same"), (4, 3, "same")):
                sz = sizes[(pool + (st or 0) + len(pad)) % len(sizes)]
                if pad == "valid" and min(sz[:-1]) < pool:
                    continue
                a = dict(pool_size=pool)
                if st is not None:
                    a["strides"] = st
                a["padding"] = pad
                if (n == 3 and pool == 4) or (n == 3 and kind == "Average" and pool == 3 and st == 1):
                    continue  # keep the 3D set small
                K(sz, f"{kind}Pooling{n}D", **a)
    K([7, 9, 3], "MaxPooling2D", pool_size=[2, 3], strides=[1, 2], padding="same")
    K([7, 9, 3], "AveragePooling2D", pool_size=[3, 2], strides=[3, 1])
    # keras global pools, cropping, padding, upsampling, reshape, dense, BN, misc
    K([10, 8], "GlobalAveragePooling1D")
    K([10, 8], "GlobalMaxPooling1D")
    K([7, 9, 8], "GlobalAveragePooling2D")
    K([7, 9, 8], "GlobalMaxPooling2D")
    K([9, 9, 4], "Cropping2D", cropping=1)
    K([9, 10, 4], "Cropping2D", cropping=[1, 2])
    K([9, 10, 4], "Cropping2D", cropping=[[1, 2], [0, 3]])
    K([9, 10, 4], "Cropping2D", cropping=[[0, 0], [2, 1]])
    K([10, 3], "ZeroPadding1D", padding=[1, 3])
    K([6, 7, 3], "ZeroPadding2D", padding=[2, 1])
    K([6, 7, 3], "ZeroPadding2D", padding=[[1, 2], [0, 3]])
    K([5, 3], "UpSampling1D", size=3)
    K([4, 5, 3], "UpSampling2D", size=[2, 3])
    K([5, 6, 4], "Flatten")
    K([7, 3], "Flatten")
    K([4, 5, 4], "Reshape", target_shape=[20, 4])
    K([4, 5, 4], "Reshape", target_shape=[-1, 8])
    K([80], "Reshape", target_shape=[2, 10, 4])
    K([64], "Dense", units=10)
    K([10], "Dense", units=1, use_bias=False)
    K([3, 5, 4], "Dense", units=8)
    K([6, 7, 16], "Dense", units=3, use_bias=False)
    K([16], "BatchNormalization")
    K([5, 5, 8], "BatchNormalization")
    K([5, 5, 8], "BatchNormalization", center=False)
    K([5, 5, 8], "BatchNormalization", scale=False)
    K([12, 6], "BatchNormalization", center=False, scale=False)
    K([4, 8, 8], "Dropout", rate=0.5)
    K([8, 8, 4], "Activation", activation="relu")
    K([10], "Activation", activation="softmax")
    K([7, 5, 3], "Activation", activation="softmax")
    K([5, 3], "ReLU")

    # ---------------- keras error cases
    K([8, 8, 4], "Conv2D", "error", filters=6, kernel_size=3, groups=4)  # filters % groups
    K([8, 8, 6], "Conv2D", "error", filters=8, kernel_size=3, groups=4)  # channels % groups
    K([3, 3, 4], "Conv2D", "error", filters=8, kernel_size=5)
    K([5, 4], "Conv1DTranspose", "error", filters=8, kernel_size=3, strides=2, output_padding=2)
    K([9, 9, 4], "Conv2D", "error", filters=8, kernel_size=3, strides=2, dilation_rate=2, padding="same")
    K([9, 4], "Conv1D", "error", filters=8, kernel_size=3, strides=2, dilation_rate=2, padding="causal")
    K([9, 9, 4], "Conv2D", "error", filters=8, kernel_size=3, padding="causal")
    K([3, 3, 4], "MaxPooling2D", "error", pool_size=5)
    K([9, 9, 4], "Cropping2D", "error", cropping=[[5, 5], [0, 3]])
    K([4, 5, 4], "Reshape", "error", target_shape=[7, 4])
    K([5, 5, 4], "Conv2DTranspose", "error", filters=8, kernel_size=3, strides=2, dilation_rate=2)


# --------------------------------------------------------------------------- main
def main():
    versions = {"torch": torch.__version__, "keras": keras.__version__,
                "keras_backend": keras.backend.backend(), "numpy": np.__version__,
                "python": "%d.%d.%d" % sys.version_info[:3]}
    assert versions["keras_backend"] == "torch", "run with KERAS_BACKEND=torch"
    for lib, want in EXPECTED_VERSIONS.items():
        if not versions[lib].startswith(want):
            print(f"WARNING: {lib} {versions[lib]} != {want} used for the committed file", file=sys.stderr)
    torch.manual_seed(SEED)
    define_cases()

    cases, seen, skipped, mac_mismatch = [], set(), [], []
    for source, name, a, inp, expect in SPECS:
        cid = make_id(source, name, a, inp)
        if cid in seen:
            continue  # a random draw repeated an earlier case
        try:
            res = (run_torch if source == "torch" else run_keras)(name, a, inp)
        except Exception as e:  # noqa: BLE001
            if expect == "ok_or_skip":
                skipped.append((cid, clean_error(e)))
                continue
            if expect != "error":
                raise RuntimeError(f"{cid} unexpectedly failed: {e}") from e
            res = {"error": clean_error(e), "error_type": type(e).__name__}
        else:
            if expect == "error":
                raise RuntimeError(f"{cid} was expected to fail but gave {res}")
            want = formula_macs(source, name, a, inp, res["output"])
            if want != res["macs"]:
                mac_mismatch.append((cid, res["macs"], want))
        seen.add(cid)
        case = {"id": cid, "source": source,
                "data_format": "channels_first" if source == "torch" else "channels_last",
                "input": inp, "layer": {name: a}}
        case.update(res)
        cases.append(case)

    # named examples from the brief / framework docs: shapes and MACs asserted
    by_id = {c["id"]: c for c in cases}
    named = {
        "torch_conv2d_f33_k3_s2_in16x50x100": ([33, 24, 49], 5588352),  # 24*49*33*16*9
        "torch_conv2d_f33_k3x5_s2x1_p4x2_in16x50x100": ([33, 28, 100], None),
        "torch_conv2d_f33_k3x5_s2x1_p4x2_d3x1_in16x50x100": ([33, 26, 100], None),
        "torch_conv1d_f128_k3_in256x15": ([128, 13], None),
        "keras_conv2d_f4_k6_s5_psame_in13x13x3": ([3, 3, 4], None),
        "keras_conv2d_f8_k3_s2_psame_in224x224x3": ([112, 112, 8], None),
        "keras_conv2d_f8_k7_s2_psame_in224x224x3": ([112, 112, 8], None),
        "torch_conv2dtranspose_f6_k4_s2_p1_in4x8x8": ([6, 16, 16], 24576),  # 49152 at batch 2
        "torch_conv2dtranspose_f4_k3_s2_p1_op1_g4_in4x8x8": ([4, 16, 16], 2304),  # 4608 at batch 2
        "torch_conv2dtranspose_f6_k2_s2_g3_in6x8x8": ([6, 16, 16], 3072),  # 6144 at batch 2
        "torch_conv2dtranspose_f1_k2_s2_in3x2x2": ([1, 4, 4], 48),
        "torch_averagepooling2d_k4_s4_p2_ceil_in2x9x9": ([2, 3, 3], 0),
        "torch_maxpooling2d_k1_s2_ceil_in2x32x32": ([2, 16, 16], 0),
        "torch_maxpooling2d_k1_s2_ceil_in2x12x12": ([2, 6, 6], 0),
        "torch_maxpooling2d_k2_s2_p1_ceil_in2x5x5": ([2, 3, 3], 0),
        "torch_averagepooling2d_k3_s3_p1_ceil_in2x2x2": ([2, 1, 1], 0),
        "torch_maxpooling3d_k3_s3_p1_ceil_in2x3x6x5": ([2, 2, 3, 2], 0),
        "torch_maxpooling2d_k3_s2_in2x112x112": ([2, 55, 55], 0),
        "torch_maxpooling2d_k3_s2_ceil_in2x112x112": ([2, 56, 56], 0),
        "torch_conv1d_f8_k4_psame_in4x10": ([8, 10], None),
    }
    for cid, (out, macs) in named.items():
        c = by_id[cid]
        assert c["output"] == out, (cid, c["output"], out)
        assert macs is None or c["macs"] == macs, (cid, c["macs"], macs)

    # torch vs keras twins: same layer spec, input permuted to channels_last
    twins = mism = 0
    torch_by_key = {}
    for c in cases:
        if c["source"] == "torch" and "error" not in c:
            key = json.dumps([c["layer"], c["input"][1:] + c["input"][:1]], sort_keys=True)
            torch_by_key[key] = c
    for c in cases:
        if c["source"] != "keras" or "error" in c:
            continue
        layer = json.loads(json.dumps(c["layer"]))
        for args in layer.values():
            if args.get("padding") == "valid":
                del args["padding"]
        key = json.dumps([layer, c["input"]], sort_keys=True)
        t = torch_by_key.get(key)
        if t is None:
            continue
        twins += 1
        tout = t["output"][1:] + t["output"][:1] if len(t["output"]) > 1 else t["output"]
        if (tout, t["params"], t["macs"]) != (c["output"], c["params"], c["macs"]):
            mism += 1
            note = ""
            if next(iter(layer)) in CONVT:
                note = (" (expected: Keras 'valid' transposed gives n*s + max(k - s, 0), "
                        "torch padding 0 gives (n-1)*s + k; they differ when k < s)")
            print(f"TWIN DIFFERENCE {t['id']} {t['output']} vs {c['id']} {c['output']}{note}",
                  file=sys.stderr)

    lines = ["{" + f'"generator": "scripts/golden/make_layer_cases.py", "versions": {json.dumps(versions, sort_keys=True)},',
             ' "cases": [']
    for i, c in enumerate(cases):
        lines.append("  " + json.dumps(c, sort_keys=True) + ("," if i < len(cases) - 1 else ""))
    lines.append(" ]}")
    OUT.write_text("\n".join(lines) + "\n")

    valid = [c for c in cases if "error" not in c]
    print(f"wrote {OUT}: {len(cases)} cases, {len(valid)} valid, {len(cases) - len(valid)} errors; "
          f"{len(skipped)} random draws skipped; torch/keras twins {twins} ({mism} mismatched)",
          file=sys.stderr)
    print(f"keras compute_output_shape compared on {len(KERAS_SHAPE_CHECKS)} runs, "
          f"{len(KERAS_SHAPE_MISMATCHES)} differ; MACs vs formula: {len(mac_mismatch)} differ",
          file=sys.stderr)
    for cid, m, w in mac_mismatch:
        print(f"MAC differs from conv formula: {cid}: measured {m}, formula {w}", file=sys.stderr)
    for name, a, inp, out, static in KERAS_SHAPE_MISMATCHES:
        print(f"keras compute_output_shape differs: {name} {a} in {inp}: ran {out}, static {static}",
              file=sys.stderr)
    for cid, err in skipped:
        print(f"skipped random draw {cid}: {err.splitlines()[0][:120]}", file=sys.stderr)


if __name__ == "__main__":
    main()
