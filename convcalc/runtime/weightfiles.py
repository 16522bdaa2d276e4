"""Weight files the frameworks write, read as ``{key: array}`` for ``--weights``.

* ``.safetensors`` (``pip install 'convcalc[safetensors]'``; the format PyTorch and Hugging Face
  users share): its tensors as they are, keyed as saved (a PyTorch ``state_dict``:
  ``layer1.0.conv1.weight``), in the layout ``--weights-layout`` names (torch for a state_dict);
* Keras ``.weights.h5`` / ``.h5`` and the weights inside a ``.keras`` archive
  (``pip install 'convcalc[h5]'``): Keras's layout and names, whatever ``--weights-layout`` says.
  Keras 3 / tf.keras 2.13+ files hold ``layers/<path>/vars/<i>``: the i-th weight of the layer
  (its ``vars`` group names the layer; 2.13-2.15 files do not, and their paths are Keras's
  automatic ones, ``conv2d``, ``conv2d_1``, ..., in the model's layer order); older files
  (``save_weights('w.h5')``) hold ``<layer>/<layer>/kernel:0``;
* ``.onnx`` (``pip install 'convcalc[onnx]'``): the graph's initializers, named as the ONNX
  importer names the layers, in PyTorch's layout.

Keys are ``<layer>/<weight>`` or ``<layer>.<weight>``; a PyTorch module path matches a spec
layer whose name is that path with its dots (or slashes) written as underscores
(``layer1.0.conv1.weight`` loads layer ``layer1_0_conv1``): see :mod:`convcalc.runtime.weights`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from convcalc.errors import UsageError
from convcalc.importers import onnx_graph
from convcalc.layers.base import Weight
from convcalc.runtime import budget
from convcalc.spec.model import LayerSpec

Layers = list[tuple[LayerSpec, list[Weight]]]


def kind_of(path: Path) -> str:
    """ "safetensors", "h5", "keras", "onnx" or "" (an .npz, read by the runtime itself)."""
    name = path.name.lower()
    for suffix, kind in ((".safetensors", "safetensors"), (".h5", "h5"), (".hdf5", "h5"),
                         (".keras", "keras"), (".onnx", "onnx")):  # fmt: skip
        if name.endswith(suffix):
            return kind
    return ""


def fixed_layout(kind: str) -> str | None:
    """The layout a format always has (None: the one --weights-layout gives)."""
    return {"h5": "keras", "keras": "keras", "onnx": "torch"}.get(kind)


def missing(module: str, extra: str, path: Path) -> UsageError:
    return UsageError(
        f"--weights {path}: reading this file needs the {module} package",
        hint=f"pip install 'convcalc[{extra}]'",
    )


def read(path: Path, layers: Layers) -> dict[str, np.ndarray]:
    kind = kind_of(path)
    if not path.exists():
        raise UsageError(f"--weights {path}: no such file")
    if kind == "safetensors":
        try:
            from safetensors.numpy import load_file
        except ImportError:
            raise missing("safetensors", "safetensors", path) from None

        try:
            return dict(load_file(str(path)))
        except Exception as exc:  # the Rust reader's SafetensorError, OSError, ...
            raise UsageError(f"--weights {path}: not a safetensors file ({exc})") from None
    if kind in ("h5", "keras"):
        return _keras_h5(path, layers, kind)
    return onnx_graph.initializers(path)


MAX_RATIO = 100  # weights compress little: a member that inflates more than this is a bomb


def _bounded_member(zf: Any, path: Path) -> Any:
    """The archive's model.weights.h5, once its declared size is known to be sane: no larger
    than the memory available, and not inflating more than MAX_RATIO times (a zip bomb); the
    zip reader stops at the declared size, so this bounds what is read."""
    info = zf.getinfo("model.weights.h5")
    available = budget.available_bytes()
    if available is not None and info.file_size > available:
        raise UsageError(
            f"--weights {path}: model.weights.h5 would take {info.file_size:,} bytes, more "
            f"than the {available:,} available",
            hint="run on a machine with more memory, or pass the weights as a separate file",
        )
    if info.file_size > MAX_RATIO * max(info.compress_size, 1) + (1 << 20):
        raise UsageError(
            f"--weights {path}: model.weights.h5 inflates {info.file_size:,} bytes from "
            f"{info.compress_size:,} (more than {MAX_RATIO}x): refused as a zip bomb",
            hint="save the model again with model.save('model.keras')",
        )
    return info


def _keras_h5(path: Path, layers: Layers, kind: str) -> dict[str, np.ndarray]:
    try:
        import h5py
    except ImportError:
        raise missing("h5py", "h5", path) from None
    try:
        if kind == "keras":
            import zipfile

            with zipfile.ZipFile(path) as zf:
                source: Any = io.BytesIO(zf.read(_bounded_member(zf, path)))
        else:
            source = str(path)
        with h5py.File(source, "r") as f:
            if "layer_names" in f.attrs:  # tf.keras save_weights('w.h5')
                return _legacy(f)
            return _saving_lib(f, layers)
    except (OSError, KeyError, ValueError) as exc:
        raise UsageError(f"--weights {path}: not a Keras weights file ({exc})") from None


def _legacy(f: Any) -> dict[str, np.ndarray]:
    out = {}
    for raw in f.attrs["layer_names"]:
        layer = raw.decode() if isinstance(raw, bytes) else str(raw)
        group = f[layer]
        for wraw in group.attrs.get("weight_names", []):
            wname = wraw.decode() if isinstance(wraw, bytes) else str(wraw)
            short = wname.rsplit("/", 1)[-1].split(":", 1)[0]
            out[f"{layer}/{short}"] = np.asarray(group[wname])
    return out


def snake(kind: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", kind)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _saving_lib(f: Any, layers: Layers) -> dict[str, np.ndarray]:
    """``layers/<path>/vars/<i>``: the i-th weight, in the order Layer.weights() gives."""
    top = f.get("layers", f)
    by_name: dict[str, Any] = {}
    for path in top:
        vars_ = top[path].get("vars")
        name = vars_.attrs.get("name") if vars_ is not None else None
        by_name[str(name) if name is not None else f"path:{path}"] = vars_
    counters: dict[str, int] = {}
    out = {}
    for ls, weights in layers:
        if ls.shares:
            continue  # a later call: the layer's weights are its first call's
        stem = snake(ls.kind)
        n = counters.get(stem, 0)
        counters[stem] = n + 1
        auto = stem if n == 0 else f"{stem}_{n}"
        vars_ = by_name.get(ls.name, by_name.get(f"path:{auto}"))
        if vars_ is None:
            continue
        for i, w in enumerate(weights):
            if str(i) in vars_:
                out[f"{ls.name}/{w.name}"] = np.asarray(vars_[str(i)])
    return out
