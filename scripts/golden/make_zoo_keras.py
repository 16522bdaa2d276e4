#!/usr/bin/env python3
"""Golden values of the Keras applications that the zoo mirrors, measured in real Keras 3.

For each application (built with ``weights=None``, the default 1000-class top) it records:
per layer, in ``model.layers`` order, the name, class name, output shape (batch dropped) and
parameter count (trainable + non-trainable); the totals (and their lines of ``model.summary()``); the MACs per sample counted by
PyTorch's ``FlopCounterMode`` on one forward pass (its FLOPs / 2; Keras on the torch backend
runs convolutions and matmuls as torch ops). convcalc never
imports Keras: the committed JSON is the oracle of tests/docs/test_zoo.py.

Run (in the throwaway environment, outside the repository's venv):

    KERAS_BACKEND=torch /tmp/goldenv/bin/python scripts/golden/make_zoo_keras.py

Writes tests/golden/zoo_keras.json (one application per key, sorted keys). Versions used for
the committed file are in its "versions" field: keras 3.15.1, torch 2.13.0 (CPU), Python 3.11.
"""

from __future__ import annotations

import io
import json
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

APPS = {
    "vgg16": ("VGG16", {}),
    "vgg19": ("VGG19", {}),
    "resnet50": ("ResNet50", {}),
    "inception_v3": ("InceptionV3", {}),
    "mobilenet": ("MobileNet", {"alpha": 1.0}),
    "mobilenet_v2": ("MobileNetV2", {}),
    "xception": ("Xception", {}),
    "densenet121": ("DenseNet121", {}),
    "efficientnet_b0": ("EfficientNetB0", {}),
}


def shape_of(layer: object) -> list[int] | list[list[int]]:
    out = layer.output  # type: ignore[attr-defined]
    if isinstance(out, (list, tuple)):
        return [list(o.shape[1:]) for o in out]
    return [int(d) for d in out.shape[1:]]


def measure(fn_name: str, kwargs: dict[str, object]) -> dict[str, object]:
    model = getattr(keras.applications, fn_name)(weights=None, **kwargs)
    layers = []
    for layer in model.layers:
        layers.append(
            {
                "name": layer.name,
                "class": type(layer).__name__,
                "output_shape": shape_of(layer),
                "params": int(layer.count_params()),
            }
        )
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    shape = [1, *[int(d) for d in model.input_shape[1:]]]
    x = torch.zeros(shape)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x, training=False)
    flops = int(counter.get_total_flops())
    text = io.StringIO()
    with redirect_stdout(text):
        model.summary(line_length=120)
    return {
        "function": f"keras.applications.{fn_name}(weights=None"
        + "".join(f", {k}={v!r}" for k, v in kwargs.items())
        + ")",
        "input_shape": shape[1:],
        "layers": layers,
        "params": trainable + non_trainable,
        "trainable_params": trainable,
        "non_trainable_params": non_trainable,
        "flop_counter_flops": flops,
        "macs": flops // 2,
        # the totals as model.summary() prints them (the per-layer rows are in "layers")
        "summary_totals": [line.strip() for line in text.getvalue().splitlines() if "params:" in line],
    }


def main() -> None:
    out = {
        "generator": "scripts/golden/make_zoo_keras.py",
        "versions": {
            "keras": keras.__version__,
            "torch": torch.__version__,
            "python": sys.version.split()[0],
        },
        "models": {},
    }
    only = sys.argv[1:]
    for key, (fn, kwargs) in APPS.items():
        if only and key not in only:
            continue
        m = measure(fn, kwargs)
        out["models"][key] = m  # type: ignore[index]
        print(key, m["params"], m["trainable_params"], m["macs"], file=sys.stderr)
    path = Path(__file__).resolve().parents[2] / "tests" / "golden" / "zoo_keras.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
