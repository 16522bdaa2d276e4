"""Weights for ``--run``: seeded Keras initialisers, or a ``.npz`` file in Keras or PyTorch layout.

Inside the runtime every weight has the Keras layout that ``Layer.weights()`` declares. A
PyTorch-layout file is converted once, per weight, by the :class:`~convcalc.layers.base.Weight`
itself, which knows its PyTorch name and axis order (``convcalc layers KIND`` and the layer
modules list them): a conv kernel ``weight`` ``(F, C/g, k...)`` becomes ``(k..., C/g, F)``, a
depthwise ``(C·dm, 1, k...)`` becomes ``(k..., C, dm)``, a Dense ``(units, in)`` becomes
``(in, units)``; biases and BatchNorm vectors (``weight``, ``bias``, ``running_mean``,
``running_var``; ``num_batches_tracked`` ignored) are the same in both.

Keys are ``<layer name>/<weight name>`` or ``<layer name>.<weight name>`` (a PyTorch
``state_dict`` of modules named like the spec's layers loads as it is).
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from convcalc.errors import Location, Problem, SpecError, UsageError
from convcalc.layers.base import Weight
from convcalc.runtime import archives, weightfiles
from convcalc.spec.files import refusal
from convcalc.spec.model import LayerSpec

F32 = np.float32
IGNORED_TORCH = ("num_batches_tracked",)
LAYOUT_NAMES = {"keras": "Keras", "torch": "PyTorch"}

Layers = list[tuple[LayerSpec, list[Weight]]]
Params = dict[str, dict[str, np.ndarray]]


def glorot_limit(shape: tuple[int, ...]) -> float:
    """Keras ``glorot_uniform``: limit sqrt(6 / (fan_in + fan_out)), with Keras's fans
    (receptive field = prod(shape[:-2]); fan_in = shape[-2]·rf, fan_out = shape[-1]·rf)."""
    rf = math.prod(shape[:-2]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * rf, shape[-1] * rf
    return math.sqrt(6.0 / (fan_in + fan_out))


def initial(w: Weight, rng: np.random.Generator) -> np.ndarray:
    """Keras's default initialiser of ``w``: glorot_uniform kernels, zero biases and betas, ones
    for BatchNorm's gamma and moving variance."""
    if w.init == "glorot_uniform":
        lim = glorot_limit(w.shape)
        a = rng.random(w.shape, dtype=F32)  # in place: no temporary copy of a large kernel
        a *= F32(2 * lim)
        a -= F32(lim)
        return a
    if w.init == "ones":
        return np.ones(w.shape, dtype=F32)
    return np.zeros(w.shape, dtype=F32)


def file_name(w: Weight, layout: str) -> str:
    return w.torch_name if layout == "torch" else w.name


def file_shape(w: Weight, layout: str) -> tuple[int, ...]:
    return w.torch_shape if layout == "torch" else w.shape


def flip_spatial(a: np.ndarray, rank: int) -> np.ndarray:
    """Rotate a kernel by 180° over its ``rank`` spatial axes (true convolution)."""
    return np.ascontiguousarray(np.flip(a, axis=tuple(range(rank))))


def _split_key(key: str, names: list[str]) -> tuple[str, str] | None:
    """``<layer>/<weight>`` or ``<layer>.<weight>``; a PyTorch module path also matches the
    layer named like it with underscores (``layer1.0.conv1.weight`` -> ``layer1_0_conv1``)."""
    for name in names:  # longest names first, so 'conv1.bn' wins over 'conv1'
        if key.startswith(name) and len(key) > len(name) + 1 and key[len(name)] in "./":
            return name, key[len(name) + 1 :]
    for sep in "./":
        module, _, weight = key.rpartition(sep)
        flat = re.sub(r"[./]", "_", module)
        if module and flat in names and weight:
            return flat, weight
    return None


def _closest(key: str, candidates: list[str]) -> str:
    near = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    return f"; closest: '{near[0]}'" if near else ""


class _Stored:
    """An array of the weights file, read when it is converted (after its shape was checked
    against the layer's, so that a huge or mismatched array is never read)."""

    def __init__(self, arrays: archives.Arrays, name: str) -> None:
        self.arrays, self.name = arrays, name
        self.shape = arrays.members[name].shape

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.arrays.read(self.name)
        return a if dtype is None else a.astype(dtype)


def _read(arrays: archives.Arrays) -> dict[str, Any]:
    """The arrays of an .npz weights file, by key (headers only: see :class:`_Stored`)."""
    path = arrays.path
    if arrays.single:
        raise UsageError(
            f"--weights {path}: expected an .npz archive keyed by layer "
            f"name, e.g. 'conv1/kernel'; received a single array"
        )
    for m in arrays.members.values():
        if m.dtype.kind == "c":
            raise UsageError(
                f"--weights {path}: {m.name!r} is complex ({m.dtype}); weights are real numbers"
            )
    return {name: _Stored(arrays, name) for name in arrays.members}


def load(path: Path, layout: str, layers: Layers) -> Params:
    """Read every layer's weights from ``path``, checking names and shapes; all problems at once.
    Like PyTorch's load_state_dict, a mismatch lists every missing and unexpected key, each
    with the closest name on the other side."""
    kind = weightfiles.kind_of(path)
    if kind:
        why = refusal(path, "weights file")  # a device, a FIFO, a link out of the tree
        if why:
            raise UsageError(f"--weights {path}: {why[0]}", hint=why[1])
        layout = weightfiles.fixed_layout(kind) or layout
        return _load(weightfiles.read(path, layers), path, layout, layers)
    with archives.open_arrays(path, "--weights") as stored:  # .npz: headers first
        return _load(_read(stored), path, layout, layers)


def _load(arrays: dict[str, Any], path: Path, layout: str, layers: Layers) -> Params:
    loc = Location(str(path))
    names = sorted((ls.name for ls, _ in layers), key=len, reverse=True)
    expected = [
        f"{ls.name}{'.' if layout == 'torch' else '/'}{file_name(w, layout)}"
        for ls, weights in layers
        for w in weights
    ]
    found: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    unexpected = [key for key in arrays if _split_key(key, names) is None]
    given = {k.replace("/", ".") for k in arrays}
    expected = [e for e in expected if e.replace("/", ".") not in given]  # the missing ones
    for key, a in arrays.items():
        split = _split_key(key, names)
        if split is None:
            problems.append(
                Problem(
                    loc,
                    f"unexpected key '{key}': it names no layer of the spec"
                    + _closest(key, expected),
                    hint="keys are '<layer name>/<weight>' or '<layer name>.<weight>' "
                    "(a PyTorch module path matches the layer named with '_' for '.')",
                )
            )
            continue
        found.setdefault(split[0], {})[split[1]] = a
    _check_layout(path, layout, layers, found)
    result: Params = {}
    for ls, weights in layers:
        if ls.shares:
            continue  # a later call of a shared layer: its first call's weights
        params = _layer_params(
            ls, weights, found.pop(ls.name, {}), layout, loc, unexpected, problems
        )
        result[ls.name] = params
    for ls, _ in layers:
        if ls.shares:
            result[ls.name] = result[ls.shares]
    for name, named in found.items():  # layers without weights that the file still names
        problems.append(
            Problem(loc, f"'{name}' has no weights, but the file names {', '.join(sorted(named))}")
        )
    if problems:
        raise SpecError(problems)
    return result


def _layer_params(
    ls: LayerSpec,
    weights: list[Weight],
    given: dict[str, Any],
    layout: str,
    loc: Location,
    keys: list[str],
    problems: list[Problem],
) -> dict[str, np.ndarray]:
    params: dict[str, np.ndarray] = {}
    for w in weights:
        name, want = file_name(w, layout), file_shape(w, layout)
        if name not in given:
            key = f"{ls.name}{'.' if layout == 'torch' else '/'}{name}"
            problems.append(
                Problem(
                    loc,
                    f"missing key '{key}' ({layout} layout, shape {want})" + _closest(key, keys),
                    ls.describe(),
                )
            )
            continue
        a = given.pop(name)
        if tuple(a.shape) != tuple(want):
            problems.append(
                Problem(
                    loc,
                    f"weight '{ls.name}/{name}' has shape {tuple(a.shape)}; expected {want} "
                    f"({layout} layout)",
                    ls.describe(),
                    hint=(
                        "--weights-layout torch reads PyTorch layouts"
                        if layout == "keras"
                        else "--weights-layout keras reads Keras layouts"
                    ),
                )
            )
            continue
        a = np.asarray(a, dtype=F32)
        params[w.name] = np.ascontiguousarray(w.from_torch(a)) if layout == "torch" else a
    for extra in given:
        if layout == "torch" and extra in IGNORED_TORCH:
            continue
        expected = [file_name(w, layout) for w in weights]
        problems.append(
            Problem(
                loc,
                f"unexpected weight '{ls.name}/{extra}'",
                ls.describe(),
                hint="this layer's weights: " + (", ".join(expected) or "none"),
            )
        )
    return params


def _check_layout(
    path: Path, layout: str, layers: Layers, found: dict[str, dict[str, Any]]
) -> None:
    """A file whose names all belong to the other layout is one mistake, not one per weight."""

    def names(lay: str) -> set[str]:
        return {f"{ls.name}/{file_name(w, lay)}" for ls, weights in layers for w in weights}

    have = {f"{layer}/{name}" for layer, ws in found.items() for name in ws}
    other = "keras" if layout == "torch" else "torch"
    mine, theirs = names(layout) - names(other), names(other) - names(layout)  # not 'bias'
    if not have & mine and have & theirs:
        name = sorted(have & theirs)[0].replace("/", "." if other == "torch" else "/", 1)
        raise UsageError(
            f"--weights {path} uses {LAYOUT_NAMES[other]} names and layouts "
            f"(e.g. '{name}'); pass --weights-layout {other}"
        )


def build(
    layers: Layers,
    seed: int,
    path: Path | None,
    layout: str,
    true_convolution: bool,
    arrays: dict[str, np.ndarray] | None = None,
) -> Params:
    """Every layer's params (Keras layout, float32): loaded from ``path`` or seeded, then
    replaced by the ``arrays`` given inline ('<layer>/<weight>' in ``layout``, already of the
    file shape: :mod:`convcalc.runtime.inline` checks that)."""
    if path is not None:
        params = load(path, layout, layers)
    else:
        rng = np.random.default_rng([seed, 1])
        params = {ls.name: {w.name: initial(w, rng) for w in weights} for ls, weights in layers}
        for ls, _ in layers:
            if ls.shares:  # a later call of a shared layer computes with its first call's
                params[ls.name] = params[ls.shares]
    for key, a in (arrays or {}).items():
        layer, name = key.split("/", 1)
        (w,) = [
            w for ls, ws in layers if ls.name == layer for w in ws if file_name(w, layout) == name
        ]
        a = np.asarray(a, dtype=F32)
        params[layer][w.name] = np.ascontiguousarray(w.from_torch(a)) if layout == "torch" else a
    if true_convolution:
        for ls, weights in layers:
            for w in weights:
                if w.flip and w.name in params[ls.name]:
                    params[ls.name][w.name] = flip_spatial(params[ls.name][w.name], w.flip)
    return params
