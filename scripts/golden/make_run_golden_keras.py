"""Cross-check the Keras stacks with Keras itself (run once, after make_run_golden_torch.py):

    /tmp/tv/bin/pip install keras        # Keras 3, on the torch backend below
    KERAS_BACKEND=torch /tmp/tv/bin/python scripts/golden/make_run_golden_keras.py

Builds keras2d.yaml and keras1d.yaml as Keras functional models, loads NAME_weights.npz (Keras
layout), runs NAME_input.npy and writes every layer's output to NAME_keras.npz. It also prints
the largest difference from NAME_expected.npz (PyTorch with explicit padding), which should be
float32 rounding only: the two derivations of 'same'/'causal' agree.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers as L  # noqa: E402

HERE = Path(__file__).resolve().parents[2] / "tests" / "golden" / "run"


def keras2d() -> dict[str, keras.layers.Layer]:
    inp = keras.Input((9, 10, 3))
    c1 = L.Conv2D(5, 4, strides=2, padding="same", activation="relu", name="c1")(inp)
    dw = L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                           activation="tanh", name="dw")(c1)
    sep = L.SeparableConv2D(4, 3, padding="same", dilation_rate=2, name="sep")(c1)
    mp = L.MaxPooling2D(3, strides=2, padding="same", name="mp")(sep)
    ap = L.AveragePooling2D(3, strides=2, padding="same", name="ap")(sep)
    add = L.Add(name="add")([mp, ap])
    ts = L.Conv2DTranspose(3, 3, strides=2, padding="same", name="ts")(add)
    tv = L.Conv2DTranspose(2, 2, strides=3, padding="valid", name="tv")(ts)
    zp = L.ZeroPadding2D(((1, 0), (2, 1)), name="zp")(tv)
    cr = L.Cropping2D(((2, 1), (0, 3)), name="cr")(zp)
    gap = L.GlobalAveragePooling2D(name="gap")(cr)
    fc = L.Dense(3, activation="sigmoid", name="fc")(gap)
    outs = {"c1": c1, "dw": dw, "sep": sep, "mp": mp, "ap": ap, "add": add, "ts": ts,
            "tv": tv, "zp": zp, "cr": cr, "gap": gap, "fc": fc}
    return keras.Model(inp, outs), outs


def keras1d() -> dict[str, keras.layers.Layer]:
    inp = keras.Input((17, 3))
    causal = L.Conv1D(4, 3, dilation_rate=2, padding="causal", name="causal")(inp)
    same = L.Conv1D(5, 4, strides=3, padding="same", activation="gelu", name="same")(causal)
    mp = L.MaxPooling1D(2, padding="same", name="mp")(same)
    ts = L.Conv1DTranspose(2, 4, strides=2, padding="same", name="ts")(mp)
    flat = L.Flatten(name="flat")(ts)
    outs = {"causal": causal, "same": same, "mp": mp, "ts": ts, "flat": flat}
    return keras.Model(inp, outs), outs


def main() -> None:
    for name, build in (("keras2d", keras2d), ("keras1d", keras1d)):
        model, outs = build()
        weights = np.load(HERE / f"{name}_weights.npz")
        for layer in model.layers:
            if not layer.weights:
                continue
            order = [v.path.split("/")[-1] for v in layer.weights]
            if isinstance(layer, L.DepthwiseConv2D):  # Keras 3 calls it "kernel"
                order = ["depthwise_kernel" if w == "kernel" else w for w in order]
            layer.set_weights([weights[f"{layer.name}/{w}"] for w in order])
        x = np.load(HERE / f"{name}_input.npy")
        got = {k: np.asarray(keras.ops.convert_to_numpy(v)) for k, v in model(x).items()}
        np.savez_compressed(HERE / f"{name}_keras.npz", **got)
        expected = np.load(HERE / f"{name}_expected.npz")
        worst = max(float(np.max(np.abs(got[k] - expected[k])) / np.max(np.abs(expected[k])))
                    for k in got)
        print(f"{name}: Keras {keras.__version__} vs PyTorch+F.pad, max relative diff {worst:.2e}")


if __name__ == "__main__":
    main()
