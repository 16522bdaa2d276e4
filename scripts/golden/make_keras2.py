"""Keras 2 (tf.keras) goldens for the importer and the keras-2.x summary layouts (run once each):

    /tmp/i10tf212/bin/pip install tensorflow-cpu==2.12.1
    /tmp/i10tf212/bin/python scripts/golden/make_keras2.py 2.12 /tmp/i10wheels/x
    /tmp/i10tf215/bin/pip install tensorflow-cpu==2.15.1
    /tmp/i10tf215/bin/python scripts/golden/make_keras2.py 2.15

For every Keras application (weights=None) and the hand-built models of make_keras3.py it
writes, under tests/golden/keras/:

* ``NAME.keras2.json.gz``: ``model.to_json()`` in Keras 2's format (2.12 only);
* ``NAME.keras-2.12.txt(.gz)`` / ``NAME.keras-2.15.txt(.gz)``: ``model.summary()`` of that
  tf.keras (2.12 prints what 2.7-2.11 print: their ``print_summary`` differs only in options
  that are off by default; 2.15 prints what 2.13 and 2.14 print);
* with a second argument, the folder where the keras 2.6.0 and 2.7.0 wheels are unpacked
  (``pip download keras==2.6.0 --no-deps``; ``unzip``): ``NAME.keras-2.6.txt(.gz)``, the text
  of keras 2.6's own ``print_summary`` run on the same model (TensorFlow 2.6 does not install
  on Python 3.11; its tf.keras Node and Layer API that print_summary reads is unchanged in
  2.12), and a check that keras 2.7's ``print_summary`` prints exactly what 2.12 prints;
* ``keras-VERSION.json``: Keras's totals per model;
* ``small.keras-VERSION.keras``: a ``model.save()`` archive of a small model (2.15: the
  2.13+ ``.keras`` format).
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
L = keras.layers
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
    """A TensorFlow op on a Keras tensor becomes a TFOpLambda layer."""
    inp = keras.Input((8, 8, 3), name="x")
    y = L.Conv2D(4, 3, name="conv")(inp)
    y = L.Lambda(lambda t: t * 2.0, name="double")(y)
    y = tf.nn.relu(y)
    y = L.GlobalAveragePooling2D(name="gap")(y)
    return keras.Model(inp, L.Dense(2, name="fc")(y), name="with_lambda")


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
    "mnist": sequential,
}


def load_print_summary(unpacked: Path, version: str):  # type: ignore[no-untyped-def]
    """keras VERSION's own print_summary, its module imported against the installed tf.keras
    (its only other names are tensorflow, numpy and keras.utils.io_utils)."""
    path = unpacked / f"keras-{version}" / "keras" / "utils" / "layer_utils.py"
    spec = importlib.util.spec_from_file_location(f"layer_utils_{version.replace('.', '_')}", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.print_summary


def text_of(print_summary, model) -> str:  # type: ignore[no-untyped-def]
    lines: list[str] = []
    print_summary(model, print_fn=lines.append)
    return "\n".join(lines) + "\n"


def write(name: str, suffix: str, text: str) -> None:
    if name in APPS:
        with gzip.open(OUT / f"{name}.{suffix}.txt.gz", "wt", compresslevel=9) as fh:
            fh.write(text)
    else:
        (OUT / f"{name}.{suffix}.txt").write_text(text)


def main() -> None:
    version = sys.argv[1]  # 2.12 or 2.15
    unpacked = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    OUT.mkdir(parents=True, exist_ok=True)
    facts: dict[str, object] = {"tensorflow": tf.__version__, "models": {}}
    models = {name: lambda f=f: f(weights=None) for name, f in APPS.items()}
    models.update(HAND)
    old = {v: load_print_summary(unpacked, v) for v in ("2.6.0", "2.7.0")} if unpacked else {}
    for name, make in models.items():
        keras.backend.clear_session()  # automatic names as in a fresh program
        model = make()
        real = text_of(lambda m, print_fn: m.summary(print_fn=print_fn), model)
        write(name, f"keras-{version}", real)
        if version == "2.12":
            with gzip.open(OUT / f"{name}.keras2.json.gz", "wt", compresslevel=9) as fh:
                fh.write(model.to_json())
        if old:
            write(name, "keras-2.6", text_of(old["2.6.0"], model))
            assert text_of(old["2.7.0"], model) == real, f"{name}: 2.7 differs from {version}"
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        facts["models"][name] = {  # type: ignore[index]
            "params": model.count_params(),
            "trainable_params": trainable,
            "non_trainable_params": model.count_params() - trainable,
        }
        print(name, model.count_params())
    if version != "2.12":
        small = keras.Sequential(
            [keras.Input((12, 12, 3)), L.Conv2D(4, 3, name="c"), L.Flatten(), L.Dense(2, name="d")],
            name="small",
        )
        small.save(OUT / f"small.keras-{version}.keras")
    (OUT / f"keras-{version}.json").write_text(json.dumps(facts, indent=1) + "\n")


if __name__ == "__main__":
    main()
