#!/usr/bin/env python3
"""Generate tests/golden/learning.json: the values behind issue 12's learning commands, measured
once in PyTorch and Keras (never imported by convcalc or its tests).

    KERAS_BACKEND=torch /tmp/goldenv/bin/python scripts/golden/make_learning.py

(/tmp/goldenv: torch 2.13.0, keras 3.15.1, numpy.) Contents:

* ``corr2d``: seed 003's F.conv2d(arange(9) as 3x3, [[0, 1], [2, 3]]) and, for seed 002's
  transposed convolution, F.conv_transpose2d(that output, the same kernel): C·x and Cᵀ·y;
  ``true_convolution``: F.conv2d with the kernel flipped (torch.flip over both axes).
* ``matrix_strided``: the same for a 4x4 input (arange(16)), the 3x3 kernel arange(9),
  stride 2, padding 1, and conv_transpose2d with output_padding 1 (back to 4x4).
* ``keras_same``: for Keras Conv2D(1, 3, strides=2, padding='same') on 224x224 (and 7x7, 8x8),
  the explicit (top, bottom, left, right) padding for which F.conv2d(F.pad(x, pads)) equals
  Keras's output: (0, 1) on 224 (even n), (1, 1) on 7.
* ``pool_ceil``: output sizes of nn.MaxPool2d(k, s, p, ceil_mode=True) on n x n.
* ``fit_kernel``: d2l's X (6x8, zeros in columns 2..5), Y = corr2d(X, [[1, -1]]); from the
  initial kernel convcalc draws for seed 0 (given here as numbers), torch autograd's gradient
  of sum((conv2d(X, K) - Y)²) at that kernel, and the losses of 10 steps K <- K - 3.21e-2·grad.
* ``seed001``: nn.Conv1d(256, 128, 3) parameter shapes and nn.Conv2d(10, 5, 3, groups=5)'s.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parents[2] / "tests" / "golden" / "learning.json"
INITIAL_1x2 = [[0.9546611716005038, 0.13995906790278156]]  # convcalc fit-kernel --demo, seed 0


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


def main() -> int:
    doc: dict = {"versions": {"torch": torch.__version__, "keras": keras.__version__}}
    x = t(np.arange(9).reshape(1, 1, 3, 3))
    w = t([[[[0, 1], [2, 3]]]])
    y = F.conv2d(x, w)
    doc["corr2d"] = {
        "y": y[0, 0].tolist(),
        "ct_y": F.conv_transpose2d(y, w)[0, 0].tolist(),
        "true_convolution": F.conv2d(x, torch.flip(w, (2, 3)))[0, 0].tolist(),
    }
    x4 = t(np.arange(16).reshape(1, 1, 4, 4))
    w3 = t(np.arange(9).reshape(1, 1, 3, 3))
    y4 = F.conv2d(x4, w3, stride=2, padding=1)
    doc["matrix_strided"] = {
        "y": y4[0, 0].tolist(),
        "ct_y": F.conv_transpose2d(y4, w3, stride=2, padding=1, output_padding=1)[0, 0].tolist(),
    }
    same = {}
    for n in (224, 7, 8):
        xs = np.random.default_rng(n).standard_normal((1, n, n, 1)).astype(np.float32)
        layer = keras.layers.Conv2D(1, 3, strides=2, padding="same", use_bias=False)
        ky = keras.ops.convert_to_numpy(layer(xs))
        kern = keras.ops.convert_to_numpy(layer.kernel)  # (3, 3, 1, 1)
        tw = torch.tensor(kern.transpose(3, 2, 0, 1))
        tx = torch.tensor(xs.transpose(0, 3, 1, 2))
        found = []
        for top in range(3):
            for bottom in range(3):
                ty = F.conv2d(F.pad(tx, (top, bottom, top, bottom)), tw, stride=2)
                if ty.shape[-1] == ky.shape[1] and np.allclose(
                    ty.numpy().transpose(0, 2, 3, 1), ky, atol=1e-5
                ):
                    found.append([top, bottom])
        same[str(n)] = {"output": int(ky.shape[1]), "pads": found}
    doc["keras_same"] = same
    pool = []
    for n, k, s, p in [(5, 2, 2, 1), (5, 2, 2, 0), (32, 1, 2, 0), (50, 3, 2, 1), (6, 3, 3, 1)]:
        m = torch.nn.MaxPool2d(k, s, p, ceil_mode=True)
        pool.append({"n": n, "k": k, "s": s, "p": p, "out": int(m(torch.zeros(1, 1, n, n)).shape[-1])})
    doc["pool_ceil"] = pool
    xd = np.ones((6, 8))
    xd[:, 2:6] = 0
    X = t(xd[None, None])
    Y = F.conv2d(X, t([[[[1, -1]]]]))
    k = t([[INITIAL_1x2]]).requires_grad_(True)
    loss = ((F.conv2d(X, k) - Y) ** 2).sum()
    (grad,) = torch.autograd.grad(loss, k)
    losses = []
    kk = t([[INITIAL_1x2]])
    for _ in range(10):
        kk.requires_grad_(True)
        lo = ((F.conv2d(X, kk) - Y) ** 2).sum()
        (g,) = torch.autograd.grad(lo, kk)
        losses.append(float(lo))
        kk = (kk - 3.21e-2 * g).detach()
    doc["fit_kernel"] = {
        "initial": INITIAL_1x2,
        "gradient_at_initial": grad[0, 0].tolist(),
        "losses": losses,
        "kernel_after_10": kk[0, 0].tolist(),
    }
    c1 = torch.nn.Conv1d(256, 128, 3)
    g5 = torch.nn.Conv2d(10, 5, 3, groups=5)
    doc["seed001"] = {
        "conv1d": {n: list(p.shape) for n, p in c1.named_parameters()},
        "conv1d_out": list(c1(torch.randn(32, 256, 15)).shape),
        "grouped": {n: list(p.shape) for n, p in g5.named_parameters()},
        "grouped_out": list(g5(torch.randn(20, 10, 224, 224)).shape),
    }
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
