#!/usr/bin/env python3
"""Golden values of the PyTorch networks that the zoo mirrors, measured in real PyTorch.

torchvision models (``weights=None``): ResNet-18, ResNet-50 (v1.5, torchvision's: the stride
on the 3x3 convolution), ResNet-50 v1 (the same model with each down-sampling stride moved back
to the first 1x1 convolution, as in He et al. 2015 and Keras), GoogLeNet (``aux_logits=False``).
Built here from the papers, in plain torch.nn: the two-tower AlexNet of Krizhevsky et al. 2012
as Caffe's bvlc_alexnet writes it (227x227 input, groups=2, local response normalisation), the
U-Net of Ronneberger et al. 2015 (572x572x1 in, valid 3x3 convolutions, 2x2 up-convolutions,
crop and concatenate, 388x388x2 out), and the text CNN of seed 002 (Conv1d 256->128, k=3, on
15 tokens).

For each: the parameter count, the BatchNorm running statistics (running_mean + running_var
elements, which convcalc counts as non-trainable parameters, as Keras does) and the number of
num_batches_tracked buffers (not counted), every leaf module's name, class, output shape
(batch dropped) and own parameter count in the order of the forward pass, and the MACs of one
sample counted by ``torch.utils.flop_counter.FlopCounterMode`` (its FLOPs / 2).

Run in a throwaway environment (never a plain `pip install torch`):

    python3 -m venv /tmp/issue11env
    /tmp/issue11env/bin/pip install torch==2.14.1 torchvision==0.29.1 numpy
    /tmp/issue11env/bin/python scripts/golden/make_zoo_torch.py

Writes tests/golden/zoo_torch.json; the versions used are in its "versions" field.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def resnet50_v1() -> nn.Module:
    model = torchvision.models.resnet50(weights=None)
    for block in model.modules():
        if isinstance(block, torchvision.models.resnet.Bottleneck) and block.conv2.stride == (
            2,
            2,
        ):
            block.conv1.stride, block.conv2.stride = (2, 2), (1, 1)
    return model


def alexnet_two_tower() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4),
        nn.ReLU(),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2),
        nn.ReLU(),
        nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2),
        nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2),
        nn.ReLU(),
        nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(256 * 6 * 6, 4096),
        nn.ReLU(),
        nn.Dropout(),
        nn.Linear(4096, 4096),
        nn.ReLU(),
        nn.Dropout(),
        nn.Linear(4096, 1000),
    )


class UNet(nn.Module):
    """Ronneberger et al. 2015, Fig. 1."""

    def __init__(self) -> None:
        super().__init__()
        widths = [64, 128, 256, 512, 1024]

        def double(c_in: int, c_out: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(c_in, c_out, 3), nn.ReLU(), nn.Conv2d(c_out, c_out, 3), nn.ReLU()
            )

        self.down = nn.ModuleList()
        c = 1
        for w in widths:
            self.down.append(double(c, w))
            c = w
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for w in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(c, w, 2, stride=2))
            self.dec.append(double(2 * w, w))
            c = w
        self.head = nn.Conv2d(64, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x)
            if i < len(self.down) - 1:
                skips.append(x)
                x = self.pool(x)
        for up, dec in zip(self.up, self.dec):
            x = up(x)
            skip = skips.pop()
            dh = (skip.shape[-2] - x.shape[-2]) // 2
            dw = (skip.shape[-1] - x.shape[-1]) // 2
            skip = skip[..., dh : dh + x.shape[-2], dw : dw + x.shape[-1]]
            x = dec(torch.cat([skip, x], dim=1))
        return self.head(x)


def text_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv1d(in_channels=256, out_channels=128, kernel_size=3))


MODELS: dict[str, tuple[Any, list[int], str]] = {
    "resnet18": (
        lambda: torchvision.models.resnet18(weights=None),
        [3, 224, 224],
        "torchvision.models.resnet18(weights=None)",
    ),
    "resnet50_torchvision": (
        lambda: torchvision.models.resnet50(weights=None),
        [3, 224, 224],
        "torchvision.models.resnet50(weights=None)",
    ),
    "resnet50_v1_torchvision": (
        resnet50_v1,
        [3, 224, 224],
        "torchvision.models.resnet50(weights=None), strides moved to conv1 (v1)",
    ),
    "googlenet": (
        lambda: torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False),
        [3, 224, 224],
        "torchvision.models.googlenet(weights=None, aux_logits=False)",
    ),
    "alexnet": (alexnet_two_tower, [3, 227, 227], "two-tower AlexNet (Caffe bvlc_alexnet)"),
    "unet": (UNet, [1, 572, 572], "U-Net, Ronneberger et al. 2015 Fig. 1"),
    "text_cnn": (text_cnn, [256, 15], "nn.Conv1d(256, 128, 3) on 15 tokens (seed 002)"),
}


def measure(build: Any, shape: list[int], what: str) -> dict[str, Any]:
    model = build().eval()
    leaves: list[dict[str, Any]] = []

    def hook(name: str) -> Any:
        def record(module: nn.Module, args: Any, out: torch.Tensor) -> None:
            own = sum(p.numel() for p in module.parameters(recurse=False))
            leaves.append(
                {
                    "name": name,
                    "class": type(module).__name__,
                    "output_shape": list(out.shape[1:]),
                    "params": own,
                }
            )

        return record

    for name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(hook(name))
    x = torch.zeros([1, *shape])
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        out = model(x)
    stats = sum(
        b.numel()
        for n, b in model.named_buffers()
        if n.endswith("running_mean") or n.endswith("running_var")
    )
    tracked = sum(1 for n, _ in model.named_buffers() if n.endswith("num_batches_tracked"))
    params = sum(p.numel() for p in model.parameters())
    flops = int(counter.get_total_flops())
    return {
        "model": what,
        "input_shape": shape,
        "output_shape": list(out.shape[1:]),
        "params": params,
        "bn_running_stats": stats,
        "num_batches_tracked": tracked,
        "flop_counter_flops": flops,
        "macs": flops // 2,
        "layers": leaves,
    }


def main() -> None:
    out: dict[str, Any] = {
        "generator": "scripts/golden/make_zoo_torch.py",
        "versions": {
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "python": sys.version.split()[0],
        },
        "models": {},
    }
    for key, (build, shape, what) in MODELS.items():
        m = measure(build, shape, what)
        out["models"][key] = m
        print(key, m["params"], m["bn_running_stats"], m["macs"], file=sys.stderr)
    path = Path(__file__).resolve().parents[2] / "tests" / "golden" / "zoo_torch.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
