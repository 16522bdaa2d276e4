#!/usr/bin/env python3
"""Generate tests/golden/deformable.json and deformable_forward.npz: torchvision's deformable
convolution measured once, for convcalc's DeformableConv2D.

NOT part of the test suite; convcalc never imports torch. Run in a throwaway venv:

    python3 -m venv /tmp/issue12env
    /tmp/issue12env/bin/pip install torch==2.14.1 torchvision==0.29.1 numpy
    /tmp/issue12env/bin/python scripts/golden/make_deformable.py

deformable.json ({"generator", "versions", "cases"}, the format of layer_cases.json): for each
configuration, the output shape of ``torchvision.ops.DeformConv2d`` on an input with an offset
(and mask) of the shape it requires, its parameter count plus that of the offset convolution
``nn.Conv2d(C, 2·kh·kw·G, k, stride, padding, dilation)`` (and the mask convolution
``nn.Conv2d(C, kh·kw·G, ...)``) that convcalc's one-input layer owns (mmcv's DeformConv2dPack
design), and the weight MACs: torch.utils.flop_counter.FlopCounterMode over the offset and
mask convolutions (it has no formula for deform_conv2d, so that part is the convolution's
Ho·Wo·F·C/groups·kh·kw, which the flop counter measures on an ordinary Conv2d of the same
geometry).

deformable_forward.npz: per case ``<id>/x``, ``/offset``, ``/mask`` (v2 only), ``/weight``,
``/bias`` (PyTorch layouts, NCHW) and ``/y`` = torchvision.ops.deform_conv2d(...), float32,
with offsets drawn from N(0, 1.5) so that sampling points fall between pixels and outside
the map.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode
from torchvision.ops import DeformConv2d, deform_conv2d

OUT = Path(__file__).resolve().parents[2] / "tests" / "golden"

# (id, C_in, F, H, W, k, stride, padding, dilation, groups, offset_groups, mask, bias)
CASES = [
    ("v1_3x3", 2, 3, 6, 7, (3, 3), (1, 1), (1, 1), (1, 1), 1, 1, False, True),
    ("v2_3x3_og2", 4, 6, 5, 5, (3, 3), (1, 1), (1, 1), (1, 1), 1, 2, True, True),
    ("v2_strided_dilated", 3, 4, 9, 8, (3, 2), (2, 1), (2, 0), (2, 1), 1, 3, True, False),
    ("v1_grouped", 4, 4, 6, 6, (2, 2), (1, 2), (0, 1), (1, 1), 2, 1, False, True),
    ("v2_1x1", 2, 2, 4, 3, (1, 1), (1, 1), (0, 0), (1, 1), 1, 1, True, True),
]


def macs(module: torch.nn.Module, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter:
        module(x)
    return counter.get_total_flops() // 2


def main() -> int:
    torch.manual_seed(0)
    arrays: dict[str, np.ndarray] = {}
    cases = []
    for cid, c, f, h, w, k, s, p, d, g, og, use_mask, bias in CASES:
        layer = DeformConv2d(c, f, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
        kk = k[0] * k[1]
        off_conv = torch.nn.Conv2d(c, 2 * kk * og, k, stride=s, padding=p, dilation=d)
        mask_conv = torch.nn.Conv2d(c, kk * og, k, stride=s, padding=p, dilation=d)
        plain = torch.nn.Conv2d(c, f, k, stride=s, padding=p, dilation=d, groups=g, bias=bias)
        x = torch.randn(1, c, h, w)
        offset = off_conv(x).detach().normal_(0, 1.5)
        mask = torch.sigmoid(mask_conv(x)).detach().uniform_(0, 1) if use_mask else None
        with torch.no_grad():
            y = deform_conv2d(x, offset, layer.weight, layer.bias, s, p, d, mask)
            y2 = layer(x, offset, mask)
        assert torch.equal(y, y2)
        params = sum(t.numel() for t in layer.parameters())
        own = params + sum(t.numel() for t in off_conv.parameters())
        own_macs = macs(plain, x) + macs(off_conv, x)
        if use_mask:
            own += sum(t.numel() for t in mask_conv.parameters())
            own_macs += macs(mask_conv, x)
        spec_args = {
            "filters": f,
            "kernel_size": list(k),
            "strides": list(s),
            "padding": list(p),
            "dilation_rate": list(d),
            "groups": g,
            "offset_groups": og,
            "use_mask": use_mask,
            "use_bias": bias,
        }
        cases.append(
            {
                "id": cid,
                "source": "torchvision",
                "data_format": "channels_first",
                "input": [c, h, w],
                "layer": {"DeformConv2d": spec_args},
                "output": list(y.shape[1:]),
                "params": own,
                "trainable_params": own,
                "non_trainable_params": 0,
                "macs": own_macs,
                "deform_conv2d_params": params,
                "weight_shapes": {n: list(t.shape) for n, t in layer.named_parameters()},
            }
        )
        arrays[f"{cid}/x"] = x.numpy()
        arrays[f"{cid}/offset"] = offset.numpy()
        if use_mask:
            arrays[f"{cid}/mask"] = mask.numpy()
        arrays[f"{cid}/weight"] = layer.weight.detach().numpy()
        if bias:
            arrays[f"{cid}/bias"] = layer.bias.detach().numpy()
        arrays[f"{cid}/y"] = y.numpy()
        print(cid, tuple(y.shape), own, own_macs, file=sys.stderr)
    doc = {
        "generator": "scripts/golden/make_deformable.py",
        "versions": {
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "numpy": np.__version__,
        },
        "cases": cases,
    }
    text = "{\n" + ",\n".join(
        f'  "{k}": ' + (json.dumps(v, sort_keys=True) if k != "cases" else "[\n" + ",\n".join(
            "    " + json.dumps(case, sort_keys=True) for case in v) + "\n  ]")
        for k, v in doc.items()
    ) + "\n}\n"
    (OUT / "deformable.json").write_text(text)
    np.savez(OUT / "deformable_forward.npz", **arrays)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
