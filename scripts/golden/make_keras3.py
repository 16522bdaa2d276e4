"""Keras 3 goldens for the importer and the keras-3 summary layout (run once, in a throwaway env):

    KERAS_BACKEND=torch COLUMNS=250 /tmp/goldenv/bin/python scripts/golden/make_keras3.py

For every Keras application (weights=None) and a few hand-built models it writes, under
tests/golden/keras/:

* ``NAME.keras3.json.gz``: ``model.to_json()`` (gzip: the applications' configs are 0.1-1 MB);
* ``NAME.keras3.txt`` (``.txt.gz`` for the applications): ``model.summary()`` as Keras 3 prints it (COLUMNS=250, so the width is
  Keras's default 88 / 108 and not the terminal's);
* ``keras3.json``: per model, Keras's totals (count_params, trainable, non-trainable) and every
  output shape (``None`` batch dropped), and the version of Keras;
* ``small.keras``: a ``model.save()`` archive of a small model (config.json + weights).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("COLUMNS", "250")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers as L  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tests" / "golden" / "keras"

APPS = {
    "vgg16": keras.applications.VGG16,
    "vgg19": keras.applications.VGG19,
    "resnet50": keras.applications.ResNet50,
    "inception_v3": keras.applications.InceptionV3,
    "xception": keras.applications.Xception,
    "densenet121": keras.applications.DenseNet121,
    "mobilenet": keras.applications.MobileNet,
    "mobilenet_v2": keras.applications.MobileNetV2,
}


def shared() -> keras.Model:
    """One Dense called on two inputs: counted once, two connections."""
    a = keras.Input((8,), name="a")
    b = keras.Input((8,), name="b")
    dense = L.Dense(4, activation="relu", name="shared")
    merged = L.Concatenate(name="merged")([dense(a), dense(b)])
    return keras.Model([a, b], L.Dense(1, name="score")(merged), name="shared_model")


def multi_output() -> keras.Model:
    inp = keras.Input((32, 32, 3), name="image")
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="stem")(inp)
    cls = L.Dense(10, activation="softmax", name="cls")(L.GlobalAveragePooling2D(name="gap")(x))
    seg = L.Conv2D(2, 1, name="seg")(x)
    return keras.Model(inp, [cls, seg], name="two_heads")


def nested() -> keras.Model:
    inner_in = keras.Input((16, 16, 3), name="inner_in")
    y = L.Conv2D(4, 3, name="inner_conv")(inner_in)
    y = L.BatchNormalization(name="inner_bn")(y)
    inner = keras.Model(inner_in, y, name="block")
    inp = keras.Input((16, 16, 3), name="outer_in")
    z = L.Flatten(name="flat")(inner(inp))
    return keras.Model(inp, L.Dense(3, name="head")(z), name="outer")


def with_lambda() -> keras.Model:
    inp = keras.Input((8, 8, 3), name="x")
    y = L.Conv2D(4, 3, name="conv")(inp)
    y = L.Lambda(lambda t: t * 2.0, name="double")(y)
    y = L.GlobalAveragePooling2D(name="gap")(y)
    return keras.Model(inp, L.Dense(2, name="fc")(y), name="with_lambda")


def channels_first() -> keras.Model:
    inp = keras.Input((3, 20, 18), name="img")
    y = L.Conv2D(6, 3, strides=2, data_format="channels_first", name="conv")(inp)
    y = L.BatchNormalization(axis=1, name="bn")(y)
    y = L.MaxPooling2D(2, data_format="channels_first", name="pool")(y)
    y = L.Flatten(name="flat")(y)
    return keras.Model(inp, L.Dense(5, name="fc")(y), name="channels_first")


def dense_on_sequence() -> keras.Model:
    """Dense applies to the last axis: (5, 16) -> (5, 8)."""
    inp = keras.Input((5, 16), name="seq")
    return keras.Model(inp, L.Dense(8, name="proj")(inp), name="dense_on_sequence")


def sequential() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(32, 3, activation="relu", name="conv"),
            L.MaxPooling2D(name="pool"),
            L.Flatten(name="flatten"),
            L.Dropout(0.5, name="drop"),
            L.Dense(10, activation="softmax", name="out"),
        ],
        name="mnist",
    )


HAND = {
    "shared": shared,
    "two_heads": multi_output,
    "nested": nested,
    "with_lambda": with_lambda,
    "channels_first": channels_first,
    "dense_on_sequence": dense_on_sequence,
    "mnist": sequential,
}


def summary_text(model: keras.Model) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    return "".join(lines) if len(lines) == 1 else "\n".join(lines) + "\n"


def shapes(model: keras.Model) -> dict[str, object]:
    out = {}
    for layer in model.layers:
        node = layer._inbound_nodes[-1] if layer._inbound_nodes else None
        if node is None:
            continue
        tensors = keras.tree.flatten(node.output_tensors)
        out[layer.name] = [list(t.shape)[1:] for t in tensors]
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    facts: dict[str, object] = {"keras": keras.__version__, "models": {}}
    models = {name: lambda f=f: f(weights=None) for name, f in APPS.items()}
    models.update(HAND)
    for name, make in models.items():
        model = make()
        text = summary_text(model)
        if name in APPS:  # 10-230 kB of text each
            with gzip.open(OUT / f"{name}.keras3.txt.gz", "wt", compresslevel=9) as fh:
                fh.write(text)
        else:
            (OUT / f"{name}.keras3.txt").write_text(text)
        with gzip.open(OUT / f"{name}.keras3.json.gz", "wt", compresslevel=9) as fh:
            fh.write(model.to_json())
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        facts["models"][name] = {
            "params": model.count_params(),
            "trainable_params": trainable,
            "non_trainable_params": model.count_params() - trainable,
            "shapes": shapes(model),
        }
        print(name, model.count_params())
    small = keras.Sequential(
        [keras.Input((12, 12, 3)), L.Conv2D(4, 3, name="c"), L.Flatten(), L.Dense(2, name="d")],
        name="small",
    )
    small.save(OUT / "small.keras")
    # Keras's glu halves the LAST axis of the tensor as laid out (channels_first: W)
    x = np.zeros((1, 5, 4, 6), dtype="float32")  # (N, C, H, W): C odd, W even
    facts["glu_channels_first_shape"] = list(keras.activations.glu(x).shape)
    (OUT / "keras3.json").write_text(json.dumps(facts, indent=1) + "\n")


if __name__ == "__main__":
    main()
