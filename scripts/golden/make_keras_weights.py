"""Keras weight files with Keras's own outputs, for --weights (run once in each env):

    KERAS_BACKEND=torch /tmp/goldenv/bin/python scripts/golden/make_keras_weights.py
    /tmp/i10tf215/bin/python scripts/golden/make_keras_weights.py

Loads the small.keras archive that make_keras3.py / make_keras2.py saved (Keras 3:
small.keras; tf.keras 2.15: small.keras-2.15.keras), runs it on small_input.npy (written on
the first run) and saves the output as small.keras3_output.npy / small.keras-2.15_output.npy;
with tf.keras it also writes the legacy HDF5 weights of the same model (save_weights to .h5:
``<layer>/<layer>/kernel:0``) as small.keras-2.15.h5.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "golden" / "keras"


def main() -> None:
    x_path = OUT / "small_input.npy"
    if not x_path.exists():
        np.save(x_path, np.random.default_rng(5).standard_normal((2, 12, 12, 3)).astype("float32"))
    x = np.load(x_path)
    try:
        import tensorflow as tf

        keras, tag = tf.keras, "keras-2.15"
    except ImportError:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras

        tag = "keras3"
    archive = OUT / ("small.keras" if tag == "keras3" else f"small.{tag}.keras")
    model = keras.models.load_model(archive)
    y = np.asarray(model.predict(x, verbose=0))
    np.save(OUT / f"small.{tag}_output.npy", y)
    if tag != "keras3":
        model.save_weights(OUT / f"small.{tag}.h5")
    print(tag, y.shape)


if __name__ == "__main__":
    main()
