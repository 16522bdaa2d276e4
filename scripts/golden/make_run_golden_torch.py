"""Generate the --run golden files with PyTorch (run once, in a throwaway venv):

    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install torch==2.13.0 numpy
    /tmp/tv/bin/python scripts/golden/make_run_golden_torch.py

For each stack NAME (NAME.yaml beside this script) it writes
  NAME_input.npy     the input batch, in the spec's data_format
  NAME_weights.npz   the weights, keyed '<layer>.<weight>' (PyTorch layout) for the torch
                     stacks and '<layer>/<weight>' (Keras layout) for the keras stacks
  NAME_expected.npz  every layer's output computed here by torch.nn.functional, keyed by layer

Nothing here imports convcalc: every geometry below is written out from the frameworks' own
definitions. Keras 'same' is an explicit asymmetric F.pad (TF: out = ceil(n/s), total =
max((out-1)·s + d·(k-1)+1 - n, 0), before = total//2); 'causal' pads d·(k-1) on the left;
'same' average pooling divides by the count of real positions (pool of a ones mask); Keras's
transposed 'same' is the full conv_transpose cropped by the forward conv's pad_before, and
'valid' with stride > kernel is the full output followed by zeros.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parents[2] / "tests" / "golden" / "run"
torch.manual_seed(0)
GEN = np.random.default_rng(20261125)


def rnd(*shape: int, scale: float = 0.5) -> torch.Tensor:
    return torch.from_numpy((GEN.standard_normal(shape) * scale).astype(np.float32))


def save(name: str, x: torch.Tensor, weights: dict[str, np.ndarray],
         outs: dict[str, torch.Tensor]) -> None:
    np.save(HERE / f"{name}_input.npy", x.numpy())
    np.savez_compressed(HERE / f"{name}_weights.npz", **weights)
    np.savez_compressed(HERE / f"{name}_expected.npz",
                        **{k: v.detach().numpy() for k, v in outs.items()})


def tf_same(n: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


# --- stack 1: torch2d (NCHW, PyTorch semantics, torch-layout weights) ------------------------------
def torch2d() -> None:
    w: dict[str, torch.Tensor] = {}
    o: dict[str, torch.Tensor] = {}
    x = rnd(2, 3, 13, 11, scale=1.0)
    w["c1.weight"], w["c1.bias"] = rnd(8, 3, 3, 3), rnd(8)
    o["c1"] = F.conv2d(x, w["c1.weight"], w["c1.bias"], stride=2, padding=1)
    w["bn1.weight"], w["bn1.bias"] = rnd(8) + 1, rnd(8)
    w["bn1.running_mean"], w["bn1.running_var"] = rnd(8), rnd(8).abs() + 0.5
    o["bn1"] = F.batch_norm(o["c1"], w["bn1.running_mean"], w["bn1.running_var"],
                            w["bn1.weight"], w["bn1.bias"], training=False, eps=1e-5)
    o["r1"] = F.relu(o["bn1"])
    o["mp1"] = F.max_pool2d(o["r1"], 3, 2, 1, ceil_mode=True)
    w["c2.weight"], w["c2.bias"] = rnd(8, 4, 3, 3), rnd(8)
    o["c2"] = F.conv2d(F.pad(o["mp1"], (2, 2, 2, 2), mode="reflect"), w["c2.weight"],
                       w["c2.bias"], dilation=2, groups=2)
    w["c3.weight"], w["c3.bias"] = rnd(16, 1, 3, 3), rnd(16)
    o["c3"] = F.conv2d(F.pad(o["c2"], (1, 1, 1, 1), mode="circular"), w["c3.weight"],
                       w["c3.bias"], groups=8)
    o["ap1"] = F.avg_pool2d(o["c3"], 3, 2, 1, ceil_mode=True, count_include_pad=True)
    w["c4.weight"], w["c4.bias"] = rnd(6, 16, 1, 1), rnd(6)
    o["c4"] = F.conv2d(F.pad(o["ap1"], (1, 1, 1, 1), mode="replicate"), w["c4.weight"],
                       w["c4.bias"])
    o["ap2"] = F.avg_pool2d(o["c4"], 2, 1, 1, count_include_pad=False)
    w["t1.weight"], w["t1.bias"] = rnd(6, 2, 3, 3), rnd(4)
    o["t1"] = F.conv_transpose2d(o["ap2"], w["t1.weight"], w["t1.bias"], stride=2, padding=1,
                                 output_padding=1, groups=2)
    w["t2.weight"], w["t2.bias"] = rnd(4, 4, 2, 3), rnd(4)
    o["t2"] = F.conv_transpose2d(o["t1"], w["t2.weight"], w["t2.bias"], stride=(3, 2),
                                 padding=(0, 1), dilation=2)
    o["up"] = F.interpolate(o["t2"], scale_factor=2, mode="nearest")
    o["mp2"] = F.max_pool2d(o["up"], 2, 1, dilation=2)
    o["ap3"] = F.avg_pool2d(o["mp2"], 3, 3, 1, ceil_mode=True, count_include_pad=True)
    o["flat"] = torch.flatten(o["ap3"], 1)
    w["fc.weight"], w["fc.bias"] = rnd(10, o["flat"].shape[1], scale=0.05), rnd(10)
    o["fc"] = F.linear(o["flat"], w["fc.weight"], w["fc.bias"])
    o["sm"] = F.softmax(o["fc"], dim=1)
    save("torch2d", x, {k: v.numpy() for k, v in w.items()}, o)


# --- stack 2: torch1d ------------------------------------------------------------------------------
def torch1d() -> None:
    w: dict[str, torch.Tensor] = {}
    o: dict[str, torch.Tensor] = {}
    x = rnd(3, 4, 23, scale=1.0)
    w["c1.weight"] = rnd(6, 4, 5)
    o["c1"] = F.conv1d(x, w["c1.weight"], None, stride=2, padding=2)
    w["bn1.weight"], w["bn1.bias"] = rnd(6) + 1, rnd(6)
    w["bn1.running_mean"], w["bn1.running_var"] = rnd(6), rnd(6).abs() + 0.5
    w["bn1.num_batches_tracked"] = torch.tensor(7)
    o["bn1"] = F.batch_norm(o["c1"], w["bn1.running_mean"], w["bn1.running_var"],
                            w["bn1.weight"], w["bn1.bias"], training=False, eps=1e-5)
    o["lr"] = F.leaky_relu(o["bn1"], 0.01)
    w["c2.weight"], w["c2.bias"] = rnd(6, 6, 3), rnd(6)
    o["c2"] = F.conv1d(o["lr"], w["c2.weight"], w["c2.bias"], padding=1)
    o["elu"] = F.elu(o["c2"], 0.7)
    o["add"] = o["lr"] + o["elu"]
    o["mp"] = F.max_pool1d(o["add"], 2, 2, ceil_mode=True)
    w["t1.weight"], w["t1.bias"] = rnd(6, 2, 4), rnd(4)
    o["t1"] = F.conv_transpose1d(o["mp"], w["t1.weight"], w["t1.bias"], stride=3, padding=2,
                                 output_padding=2, groups=2)
    o["ap"] = F.avg_pool1d(o["t1"], 4, 4, 2, ceil_mode=True, count_include_pad=False)
    o["cat"] = torch.cat([o["ap"], o["ap"]], dim=1)
    o["flat"] = torch.flatten(o["cat"], 1)
    w["fc.weight"], w["fc.bias"] = rnd(3, o["flat"].shape[1], scale=0.2), rnd(3)
    o["fc"] = F.linear(o["flat"], w["fc.weight"], w["fc.bias"])
    save("torch1d", x, {k: v.numpy() for k, v in w.items()}, o)


# --- stack 3: keras2d (NHWC spec, Keras semantics, Keras-layout weights) ---------------------------
def nchw(t: torch.Tensor) -> torch.Tensor:
    return t.permute(0, 3, 1, 2)


def nhwc(t: torch.Tensor) -> torch.Tensor:
    return t.permute(0, 2, 3, 1).contiguous()


def same_pad2d(x: torch.Tensor, k: tuple[int, int], s: tuple[int, int],
               d: tuple[int, int] = (1, 1), value: float = 0.0) -> torch.Tensor:
    ph = tf_same(x.shape[2], k[0], s[0], d[0])
    pw = tf_same(x.shape[3], k[1], s[1], d[1])
    return F.pad(x, (pw[0], pw[1], ph[0], ph[1]), value=value)


def keras_kernel(t: torch.Tensor) -> np.ndarray:
    """torch (O, I, kh, kw) -> Keras (kh, kw, I, O); transposed (I, O, kh, kw) -> (kh, kw, O, I)."""
    return t.permute(*range(2, t.dim()), 1, 0).contiguous().numpy()


def keras2d() -> None:
    kw: dict[str, np.ndarray] = {}
    o: dict[str, torch.Tensor] = {}
    x = rnd(2, 9, 10, 3, scale=1.0)  # NHWC
    xc = nchw(x)
    c1w, c1b = rnd(5, 3, 4, 4), rnd(5)
    kw["c1/kernel"], kw["c1/bias"] = keras_kernel(c1w), c1b.numpy()
    c1 = F.relu(F.conv2d(same_pad2d(xc, (4, 4), (2, 2)), c1w, c1b, stride=2))
    o["c1"] = nhwc(c1)
    # depthwise, dm 2: torch groups=C, weight (C·dm, 1, k, k); Keras (k, k, C, dm)
    dww, dwb = rnd(10, 1, 3, 3), rnd(10)
    kw["dw/depthwise_kernel"] = dww.reshape(5, 2, 3, 3).permute(2, 3, 0, 1).contiguous().numpy()
    kw["dw/bias"] = dwb.numpy()
    o["dw"] = nhwc(torch.tanh(F.conv2d(same_pad2d(c1, (3, 3), (2, 2)), dww, dwb, stride=2,
                                       groups=5)))
    # separable: depthwise (dm 1, dilation 2, same) then pointwise with bias
    sdw, spw, sb = rnd(5, 1, 3, 3), rnd(4, 5, 1, 1), rnd(4)
    kw["sep/depthwise_kernel"] = sdw.reshape(5, 1, 3, 3).permute(2, 3, 0, 1).contiguous().numpy()
    kw["sep/pointwise_kernel"] = keras_kernel(spw)
    kw["sep/bias"] = sb.numpy()
    sep = F.conv2d(F.conv2d(same_pad2d(c1, (3, 3), (1, 1), (2, 2)), sdw, None, dilation=2,
                            groups=5), spw, sb)
    o["sep"] = nhwc(sep)
    mp = F.max_pool2d(same_pad2d(sep, (3, 3), (2, 2), value=float("-inf")), 3, 2)
    o["mp"] = nhwc(mp)
    total = F.avg_pool2d(same_pad2d(sep, (3, 3), (2, 2)), 3, 2, divisor_override=1)
    count = F.avg_pool2d(same_pad2d(torch.ones_like(sep[:, :1]), (3, 3), (2, 2)), 3, 2,
                         divisor_override=1)
    ap = total / count
    o["ap"] = nhwc(ap)
    add = mp + ap
    o["add"] = nhwc(add)
    # Keras Conv2DTranspose 'same', stride 2, k 3: out = n·s; crop = pad_before of the forward
    # 'same' conv that maps out -> n
    tsw, tsb = rnd(4, 3, 3, 3), rnd(3)  # torch (I, O, k, k)
    kw["ts/kernel"], kw["ts/bias"] = keras_kernel(tsw), tsb.numpy()
    full = F.conv_transpose2d(add, tsw, tsb, stride=2)
    n = add.shape[2]
    out = n * 2
    before = tf_same(out, 3, 2)[0]
    ts = full[:, :, before:before + out, before:before + out]
    o["ts"] = nhwc(ts)
    # 'valid', k 2 < s 3: out = (n-1)·3 + max(2, 3) = 3n; the full output is 3n-1 long, then a
    # zero row/column (plus bias) at the end
    tvw, tvb = rnd(3, 2, 2, 2), rnd(2)
    kw["tv/kernel"], kw["tv/bias"] = keras_kernel(tvw), tvb.numpy()
    full = F.conv_transpose2d(ts, tvw, None, stride=3)
    tv = F.pad(full, (0, 1, 0, 1)) + tvb.view(1, 2, 1, 1)
    o["tv"] = nhwc(tv)
    zp = F.pad(tv, (2, 1, 1, 0))
    o["zp"] = nhwc(zp)
    cr = zp[:, :, 2:zp.shape[2] - 1, 0:zp.shape[3] - 3]
    o["cr"] = nhwc(cr)
    gap = cr.mean(dim=(2, 3))
    o["gap"] = gap
    fcw, fcb = rnd(3, 2), rnd(3)
    kw["fc/kernel"], kw["fc/bias"] = fcw.T.contiguous().numpy(), fcb.numpy()
    o["fc"] = torch.sigmoid(F.linear(gap, fcw, fcb))
    save("keras2d", x, kw, o)


# --- stack 4: keras1d ------------------------------------------------------------------------------
def keras1d() -> None:
    kw: dict[str, np.ndarray] = {}
    o: dict[str, torch.Tensor] = {}
    x = rnd(2, 17, 3, scale=1.0)  # NLC
    xc = x.permute(0, 2, 1)
    cw, cb = rnd(4, 3, 3), rnd(4)
    kw["causal/kernel"], kw["causal/bias"] = keras_kernel(cw), cb.numpy()
    causal = F.conv1d(F.pad(xc, (2 * (3 - 1), 0)), cw, cb, dilation=2)
    o["causal"] = causal.permute(0, 2, 1)
    sw, sb = rnd(5, 4, 4), rnd(5)
    kw["same/kernel"], kw["same/bias"] = keras_kernel(sw), sb.numpy()
    same = F.gelu(F.conv1d(F.pad(causal, tf_same(17, 4, 3)), sw, sb, stride=3))
    o["same"] = same.permute(0, 2, 1)
    mp = F.max_pool1d(F.pad(same, tf_same(same.shape[2], 2, 2), value=float("-inf")), 2, 2)
    o["mp"] = mp.permute(0, 2, 1)
    tw, tb = rnd(5, 2, 4), rnd(2)
    kw["ts/kernel"], kw["ts/bias"] = keras_kernel(tw), tb.numpy()
    full = F.conv_transpose1d(mp, tw, tb, stride=2)
    out = mp.shape[2] * 2
    before = tf_same(out, 4, 2)[0]
    ts = full[:, :, before:before + out]
    o["ts"] = ts.permute(0, 2, 1)
    o["flat"] = torch.flatten(ts.permute(0, 2, 1), 1)
    save("keras1d", x, kw, o)


if __name__ == "__main__":
    torch2d()
    torch1d()
    keras2d()
    keras1d()
    print("wrote", sorted(p.name for p in HERE.glob("*_*.np*")))
