#!/usr/bin/env python3
"""Golden values for the layer kinds the zoo added, measured in real Keras 3 and PyTorch:
Rescaling and Normalization (Keras; EfficientNet's first layers) and LocalResponseNorm
(PyTorch; AlexNet's norm1 and norm2).

Writes tests/golden/zoo_kinds.json (one case per layer: input, layer as written, output shape,
params split into trainable and non-trainable, MACs from FlopCounterMode) and
tests/golden/zoo_kinds_forward.npz (<id>/input, <id>/output and, for Normalization adapted on
data, <id>/mean, <id>/variance, <id>/count). Run in the throwaway environment:

    KERAS_BACKEND=torch /tmp/goldenv/bin/python scripts/golden/make_zoo_kinds.py

Versions used: recorded in the JSON's "versions" field (keras 3.15.1, torch 2.13.0).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KERAS_CASES = [
    ("Rescaling", {"scale": 1 / 255}, [4, 5, 3], False),
    ("Rescaling", {"scale": 2.0, "offset": -1.0}, [6, 2], False),
    ("Rescaling", {"scale": [1.0, 0.5, 0.25]}, [3, 2, 3], False),
    ("Normalization", {}, [4, 5, 3], True),
    ("Normalization", {"axis": -1}, [7, 4], True),
    ("Normalization", {"axis": None}, [3, 4, 2], True),
    ("Normalization", {"mean": [1.0, 2.0, 3.0], "variance": [4.0, 0.25, 9.0]}, [2, 2, 3], False),
    (
        "Normalization",
        {"mean": [1.0, 2.0], "variance": [4.0, 0.25], "invert": True},
        [5, 2],
        False,
    ),
]
TORCH_CASES = [
    ({"size": 5}, [8, 5, 5]),
    ({"size": 2}, [3, 4, 4]),
    ({"size": 3, "alpha": 0.01, "beta": 0.5, "k": 2.0}, [6, 4]),
    ({"size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0}, [96, 7, 7]),
]


def case_id(source: str, kind: str, args: dict, shape: list[int]) -> str:
    parts = [f"{k}{v}" for k, v in args.items()]
    return "_".join([source, kind.lower(), *parts, "in" + "x".join(map(str, shape))]).replace(
        " ", ""
    )


def main() -> None:
    rng = np.random.default_rng(11)
    cases, arrays = [], {}
    for kind, args, shape, adapt in KERAS_CASES:
        cid = case_id("keras", kind, args, shape)
        layer = getattr(keras.layers, kind)(**args)
        x = rng.standard_normal([2, *shape]).astype(np.float32)
        if adapt:
            layer.adapt(rng.standard_normal([16, *shape]).astype(np.float32) * 3 + 1)
        y = np.asarray(layer(x))
        trainable = sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        frozen = sum(int(np.prod(w.shape)) for w in layer.non_trainable_weights)
        counter = FlopCounterMode(display=False)
        with counter:
            layer(x[:1])
        cases.append(
            {
                "id": cid,
                "source": "keras",
                "data_format": "channels_last",
                "input": shape,
                "layer": {kind: args},
                "output": list(y.shape[1:]),
                "params": trainable + frozen,
                "trainable_params": trainable,
                "non_trainable_params": frozen,
                "macs": counter.get_total_flops() // 2,
                "weight_shapes": {w.name: list(w.shape) for w in layer.weights},
            }
        )
        arrays[f"{cid}/input"], arrays[f"{cid}/output"] = x, y
        for w in layer.weights:
            arrays[f"{cid}/{w.name}"] = np.asarray(w.numpy(), dtype=np.float32)
    for args, shape in TORCH_CASES:
        cid = case_id("torch", "LocalResponseNorm", args, shape)
        layer = torch.nn.LocalResponseNorm(**args)
        x = rng.standard_normal([2, *shape]).astype(np.float32) * 2
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            y = layer(torch.from_numpy(x)).numpy()
        cases.append(
            {
                "id": cid,
                "source": "torch",
                "data_format": "channels_first",
                "input": shape,
                "layer": {"LocalResponseNorm": args},
                "output": list(y.shape[1:]),
                "params": 0,
                "trainable_params": 0,
                "non_trainable_params": 0,
                "macs": counter.get_total_flops() // 2,
            }
        )
        arrays[f"{cid}/input"], arrays[f"{cid}/output"] = x, y
    doc = {
        "generator": "scripts/golden/make_zoo_kinds.py",
        "versions": {"keras": keras.__version__, "torch": torch.__version__,
                     "python": sys.version.split()[0]},
        "cases": cases,
    }
    text = "{\n" + ",\n".join(
        f' "{k}": ' + (json.dumps(v, sort_keys=True) if k != "cases" else
                       "[\n" + ",\n".join("  " + json.dumps(c, sort_keys=True) for c in v) + "\n ]")
        for k, v in doc.items()
    ) + "\n}\n"
    (ROOT / "tests" / "golden" / "zoo_kinds.json").write_text(text)
    np.savez_compressed(ROOT / "tests" / "golden" / "zoo_kinds_forward.npz", **arrays)
    print(len(cases), "cases", file=sys.stderr)


if __name__ == "__main__":
    main()
