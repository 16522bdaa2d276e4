"""Weights for ``--run``: seeded Keras initialisers, or a ``.npz`` file in Keras or PyTorch layout.

Inside the runtime every weight has the Keras layout that ``Layer.weights()`` declares. A
PyTorch-layout file is converted once, per weight:

=====================  ==============================  ===================================
Keras weight           PyTorch name                    PyTorch layout -> Keras layout
=====================  ==============================  ===================================
Conv kernel            ``weight``                      (F, C/g, k...) -> (k..., C/g, F)
Transposed kernel      ``weight``                      (C, F/g, k...) -> (k..., F/g, C)
Depthwise kernel       ``weight``                      (C·dm, 1, k...) -> (k..., C, dm)
Separable depthwise    ``depthwise.weight``            (C·dm, 1, k...) -> (k..., C, dm)
Separable pointwise    ``pointwise.weight``            (F, C·dm, 1...) -> (1..., C·dm, F)
Separable bias         ``pointwise.bias``              (F,)
Dense kernel           ``weight``                      (units, in) -> (in, units)
bias                   ``bias``                        unchanged
BN gamma/beta          ``weight`` / ``bias``           unchanged
BN moving statistics   ``running_mean``/``running_var``unchanged (``num_batches_tracked`` ignored)
=====================  ==============================  ===================================

Keys are ``<layer name>/<weight name>`` or ``<layer name>.<weight name>`` (a PyTorch
``state_dict`` of modules named like the spec's layers loads as it is).
"""

from __future__ import annotations

import math
from pathlib import Path
import numpy as np

from convcalc.errors import Location, Problem, SpecError, UsageError
from convcalc.layers.base import Layer, Weight
from convcalc.layers.conv import DepthwiseConvND, SeparableConvND
from convcalc.layers.core import Dense
from convcalc.spec.model import LayerSpec

F32 = np.float32
ONES = ("gamma", "moving_variance")
IGNORED_TORCH = ("num_batches_tracked",)
LAYOUT_NAMES = {"keras": "Keras", "torch": "PyTorch"}
TORCH_NAMES = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
               "moving_variance": "running_var", "kernel": "weight", "bias": "bias",
               "depthwise_kernel": "weight"}
SEPARABLE_TORCH = {"depthwise_kernel": "depthwise.weight", "pointwise_kernel": "pointwise.weight",
                   "bias": "pointwise.bias"}


def glorot_limit(shape: tuple[int, ...]) -> float:
    """Keras ``glorot_uniform``: limit sqrt(6 / (fan_in + fan_out)), with Keras's fans
    (receptive field = prod(shape[:-2]); fan_in = shape[-2]·rf, fan_out = shape[-1]·rf)."""
    rf = math.prod(shape[:-2]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * rf, shape[-1] * rf
    return math.sqrt(6.0 / (fan_in + fan_out))


def initial(w: Weight, rng: np.random.Generator) -> np.ndarray:
    """Keras's default initialiser: glorot_uniform kernels, zero biases and betas, BN gamma and
    moving variance 1, moving mean 0."""
    if w.name.endswith("kernel"):
        lim = glorot_limit(w.shape)
        a = rng.random(w.shape, dtype=F32)  # in place: no temporary copy of a large kernel
        a *= F32(2 * lim)
        a -= F32(lim)
        return a
    if w.name in ONES:
        return np.ones(w.shape, dtype=F32)
    return np.zeros(w.shape, dtype=F32)


def torch_name(layer: Layer, w: Weight) -> str:
    if isinstance(layer, SeparableConvND):
        return SEPARABLE_TORCH[w.name]
    return TORCH_NAMES[w.name]


def _is_depthwise_kernel(layer: Layer, w: Weight) -> bool:
    return w.name == "depthwise_kernel" and isinstance(layer, (DepthwiseConvND, SeparableConvND))


def torch_shape(layer: Layer, w: Weight) -> tuple[int, ...]:
    """The PyTorch layout of a Keras-layout weight."""
    s = w.shape
    if _is_depthwise_kernel(layer, w):
        r = len(s) - 2
        return (s[r] * s[r + 1], 1) + s[:r]
    if isinstance(layer, Dense) and w.name == "kernel":
        return (s[1], s[0])
    if w.name.endswith("kernel"):
        return (s[-1], s[-2]) + s[:-2]
    return s


def from_torch(layer: Layer, w: Weight, a: np.ndarray) -> np.ndarray:
    """PyTorch layout -> Keras layout (shape already checked against :func:`torch_shape`)."""
    if _is_depthwise_kernel(layer, w):
        r = len(w.shape) - 2
        c, dm = w.shape[r], w.shape[r + 1]
        a = a.reshape((c, dm) + w.shape[:r])
        return np.ascontiguousarray(np.moveaxis(a, (0, 1), (r, r + 1)))
    if isinstance(layer, Dense) and w.name == "kernel":
        return np.ascontiguousarray(a.T)
    if w.name.endswith("kernel"):
        r = a.ndim - 2
        return np.ascontiguousarray(a.transpose(tuple(range(2, 2 + r)) + (1, 0)))
    return a


def flip_spatial(a: np.ndarray, rank: int) -> np.ndarray:
    """Rotate a kernel by 180° over its ``rank`` spatial axes (true convolution)."""
    return np.ascontiguousarray(np.flip(a, axis=tuple(range(rank))))


def _split_key(key: str, names: list[str]) -> tuple[str, str] | None:
    for name in names:  # longest names first, so 'conv1.bn' wins over 'conv1'
        if key.startswith(name) and len(key) > len(name) + 1 and key[len(name)] in "./":
            return name, key[len(name) + 1:]
    return None


def load(path: Path, layout: str, layers: list[tuple[LayerSpec, list[Weight]]]
         ) -> dict[str, dict[str, np.ndarray]]:
    """Read every layer's weights from ``path``, checking names and shapes; all problems at once."""
    if not path.exists():
        raise UsageError(f"error: --weights {path}: no such file")
    try:
        data = np.load(path, allow_pickle=False)
        arrays = {k: data[k] for k in data.files} if hasattr(data, "files") else None
    except (OSError, ValueError) as exc:
        raise UsageError(f"error: --weights {path}: not a NumPy .npz file ({exc})") from None
    if arrays is None:
        raise UsageError(f"error: --weights {path}: expected an .npz archive keyed by layer "
                         f"name, e.g. 'conv1/kernel'; received a single array")
    loc = Location(str(path))
    names = sorted((ls.name for ls, _ in layers), key=len, reverse=True)
    found: dict[str, dict[str, np.ndarray]] = {}
    problems: list[Problem] = []
    for key, a in arrays.items():
        split = _split_key(key, names)
        if split is None:
            problems.append(Problem(loc, f"'{key}' names no layer of the spec",
                                    hint="keys are '<layer name>/<weight>', e.g. "
                                         f"'{names[-1] if names else 'conv1'}/kernel'"))
            continue
        found.setdefault(split[0], {})[split[1]] = a
    _check_layout(path, layout, layers, found)
    result: dict[str, dict[str, np.ndarray]] = {}
    for ls, weights in layers:
        given = found.pop(ls.name, {})
        params: dict[str, np.ndarray] = {}
        for w in weights:
            name = torch_name(ls.layer, w) if layout == "torch" else w.name
            want = torch_shape(ls.layer, w) if layout == "torch" else w.shape
            if name not in given:
                problems.append(Problem(loc, f"missing weight '{ls.name}/{name}' ({layout} "
                                        f"layout, shape {want})", ls.describe()))
                continue
            a = given.pop(name)
            if tuple(a.shape) != tuple(want):
                problems.append(Problem(
                    loc, f"weight '{ls.name}/{name}' has shape {tuple(a.shape)}; expected {want} "
                    f"({layout} layout)", ls.describe(),
                    hint=("--weights-layout torch reads PyTorch layouts" if layout == "keras"
                          else "--weights-layout keras reads Keras layouts")))
                continue
            a = np.asarray(a, dtype=F32)
            params[w.name] = from_torch(ls.layer, w, a) if layout == "torch" else a
        for extra in given:
            if layout == "torch" and extra in IGNORED_TORCH:
                continue
            expected = [torch_name(ls.layer, w) if layout == "torch" else w.name
                        for w in weights]
            problems.append(Problem(loc, f"unexpected weight '{ls.name}/{extra}'", ls.describe(),
                                    hint="this layer's weights: " + (", ".join(expected)
                                                                     or "none")))
        result[ls.name] = params
    for name in found:  # layers without weights that the file still names
        problems.append(Problem(loc, f"'{name}' has no weights, but the file names "
                                     f"{', '.join(sorted(found[name]))}"))
    if problems:
        raise SpecError(problems)
    return result


def _check_layout(path: Path, layout: str, layers: list[tuple[LayerSpec, list[Weight]]],
                  found: dict[str, dict[str, np.ndarray]]) -> None:
    """A file whose names all belong to the other layout is one mistake, not one per weight."""
    def names(lay: str) -> set[str]:
        return {f"{ls.name}/{torch_name(ls.layer, w) if lay == 'torch' else w.name}"
                for ls, weights in layers for w in weights}
    have = {f"{layer}/{name}" for layer, ws in found.items() for name in ws}
    other = "keras" if layout == "torch" else "torch"
    mine, theirs = names(layout) - names(other), names(other) - names(layout)  # not 'bias'
    if not have & mine and have & theirs:
        name = sorted(have & theirs)[0].replace("/", "." if other == "torch" else "/", 1)
        raise UsageError(f"error: --weights {path} uses {LAYOUT_NAMES[other]} names and layouts "
                         f"(e.g. '{name}'); pass --weights-layout {other}")


def build(layers: list[tuple[LayerSpec, list[Weight]]], seed: int, path: Path | None,
          layout: str, true_convolution: bool) -> dict[str, dict[str, np.ndarray]]:
    """Every layer's params (Keras layout, float32): loaded from ``path`` or seeded."""
    if path is not None:
        params = load(path, layout, layers)
    else:
        rng = np.random.default_rng([seed, 1])
        params = {ls.name: {w.name: initial(w, rng) for w in weights} for ls, weights in layers}
    if true_convolution:
        for ls, _ in layers:
            rank = getattr(ls.layer, "rank", 0)
            if hasattr(ls.layer, "kernel_size"):
                for name in ("kernel", "depthwise_kernel"):
                    if name in params[ls.name]:
                        params[ls.name][name] = flip_spatial(params[ls.name][name], rank)
    return params

