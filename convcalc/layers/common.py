"""What several layer families share: activation names and their shape rule, padding modes,
axis letters, the Keras arguments that change nothing, and the PyTorch/Keras axis mapping.

No numpy here (the loader validates activation names before anything runs); the functions
behind the names are in :mod:`convcalc.ops.activations`, and a test keeps both lists equal.
"""

from __future__ import annotations

from typing import Any

from convcalc.errors import ArgError, LayerError
from convcalc.fields import (
    Arg,
    any_value,
    choice,
    json_schema,
    optional,
    positive_number,
    suggest,
)
from convcalc.layers.base import Unchanged, Unknown
from convcalc.layers.counts import TorchModule, activation_module
from convcalc.shapes import Shape, canonical_axis, to_display

# What Keras accepts as an activation name (keras.activations), with PyTorch's spellings.
ACTIVATIONS = (
    "linear",
    "relu",
    "relu6",
    "sigmoid",
    "softmax",
    "log_softmax",
    "softplus",
    "softsign",
    "tanh",
    "selu",
    "elu",
    "exponential",
    "gelu",
    "silu",
    "swish",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "leaky_relu",
    "mish",
    "celu",
    "glu",
    "hard_tanh",
    "log_sigmoid",
    "sparsemax",
    "squareplus",
    "tanh_shrink",
    "hard_shrink",
    "soft_shrink",
    "sparse_plus",
    "threshold",
)

# The activations that act along an axis (the last of the spec's data_format) rather than
# element by element.
AXISWISE_ACTIVATIONS = ("softmax", "log_softmax", "sparsemax", "glu")

# PyTorch's padding_mode values (convcalc.ops.windows maps each to numpy.pad's mode).
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

# Letters of the spatial axes by rank, for messages ("on axis H").
AXES = {1: "L", 2: "HW", 3: "DHW"}

# Keras arguments that do not change shapes or counts: accepted so that Keras code can be pasted.
KERAS_EXTRAS = {
    name: Arg(
        any_value,
        None,
        doc="accepted for Keras compatibility; no effect on counts",
        shape_relevant=False,
    )
    for name in (
        "kernel_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "bias_constraint",
        "depthwise_initializer",
        "pointwise_initializer",
        "depthwise_regularizer",
        "pointwise_regularizer",
        "depthwise_constraint",
        "pointwise_constraint",
        "dtype",
    )
}


def inert(*weights: str) -> dict[str, Arg]:
    """Keras's ``<weight>_initializer``, ``_regularizer`` and ``_constraint`` arguments of the
    named weights, which change no count (accepted so that configs load as Keras writes them)."""
    return {
        f"{w}_{what}": Arg(
            any_value,
            None,
            doc="accepted for Keras compatibility; no effect on counts",
            shape_relevant=False,
        )
        for w in weights
        for what in ("initializer", "regularizer", "constraint")
    }


# Keras's per-layer data_format: accepted when it is the spec's (a spec has one layout)
DATA_FORMAT = Arg(
    optional(choice("channels_last", "channels_first")),
    None,
    doc="Keras's per-layer data_format: must be the spec's data_format",
    shape_relevant=False,
)


def data_format_errors(value: str | None, channels_first: bool) -> list[LayerError]:
    """A per-layer data_format that is not the spec's: one error."""
    spec = "channels_first" if channels_first else "channels_last"
    if value is None or value == spec:
        return []
    return [
        LayerError(
            f"data_format is {value!r} but the spec's data_format is {spec!r}: a spec has one "
            f"layout",
            arg="data_format",
            hint=f"set  data_format: {value}  at the top of the spec (and on every layer), "
            f"or drop this layer's data_format",
        )
    ]


def epsilon_arg(torch_kind: str) -> Arg:
    """A normalisation's epsilon: Keras's default 1e-3, PyTorch's 1e-5 for ``torch_kind``."""
    return Arg(
        positive_number,
        1e-3,
        torch="eps",
        torch_default=1e-5,
        shape_relevant=False,
        doc=f"added to the variance: Keras 1e-3, PyTorch's {torch_kind} 1e-5 (no effect on counts)",
    )


INPLACE = Arg(any_value, None, doc="PyTorch inplace (ignored)", shape_relevant=False)


def axis_letter(rank: int, i: int) -> str:
    return AXES[rank][i] if rank in AXES else str(i)


def activation_shape(name: str | None, shape: Shape, channels_first: bool = False) -> Shape:
    """Output shape of an activation: unchanged, except ``glu``, which gates one half of the
    last axis with the other and so halves it: Keras's ``glu(x, axis=-1)`` takes the last axis
    of the tensor as laid out, so in a channels_first spec that is the last spatial axis (W),
    not the channels (as the runtime computes it)."""
    if name != "glu":
        return shape
    i = canonical_axis(-1, len(shape), channels_first)
    if shape[i] % 2:
        raise LayerError(
            f"activation 'glu' halves the last axis of {to_display(shape, channels_first)}, "
            f"which must be even; received {shape[i]}",
            arg="activation",
            hint="Keras's glu splits axis -1 of the tensor as laid out"
            + (" (channels_first: W, not C)" if channels_first and len(shape) > 1 else ""),
        )
    return shape[:i] + (shape[i] // 2,) + shape[i + 1 :]


@json_schema({"enum": list(ACTIVATIONS)})
def activation_name(v: object) -> str:
    if isinstance(v, str) and v.lower() in ACTIVATIONS:
        return v.lower()
    near = suggest(str(v), list(ACTIVATIONS)) if isinstance(v, str) else None
    raise ArgError(
        f"unknown activation {v!r}",
        hint=(f"did you mean '{near}'? " if near else "") + "known: " + ", ".join(ACTIVATIONS),
    )


def along_axis_step(axis: int, rank: int, channels_first: bool) -> Unchanged | Unknown:
    """The receptive-field step of an op that mixes the positions of one axis (softmax): none
    on the channel axis; along a spatial axis each output sees that whole axis, which one size
    per axis cannot say."""
    if canonical_axis(axis, rank, channels_first) == rank - 1:
        return Unchanged()
    return Unknown("normalises along a spatial axis: each output sees that whole axis")


def activation_arg() -> Arg:
    return Arg(
        optional(activation_name),
        None,
        doc="activation applied after the layer (0 MACs)",
        shape_relevant=False,
    )


def keras_axis(axis: int, ndim: int, channels_first: bool) -> int:
    """A Keras axis (batch = 0, in the spec's data_format) -> axis of a canonical batch array
    with ``ndim`` dimensions."""
    return 1 + canonical_axis(axis, ndim - 1, channels_first)


def run_activation(name: str | None, ndim: int, channels_first: bool, inplace: bool = False) -> Any:
    """The function of a Keras activation name for a ``ndim``-dimensional batch (the axis-wise
    ones act on the last axis of the spec's data_format, as Keras does); None for none."""
    from convcalc.ops import activations

    if name in activations.UNSUPPORTED:
        raise LayerError(
            f"--run cannot apply activation '{name}': {activations.UNSUPPORTED[name]}",
            arg="activation",
        )
    return activations.activation(name, keras_axis(-1, ndim, channels_first), inplace)


class FusedActivation:
    """Mixin of the layers that take an ``activation`` argument (convolutions, Dense)."""

    activation: str | None
    channels_first: bool

    def fused_module(self) -> TorchModule | None:
        """The PyTorch module of the fused activation (PyTorch writes it as a module of its
        own after this one); None without one."""
        return activation_module(self.activation)

    def result_shape(self, inputs: list[Shape], output: Shape) -> Shape:
        return activation_shape(self.activation, output, self.channels_first)

    def act(self, ndim: int) -> Any:
        return run_activation(self.activation, ndim, self.channels_first, inplace=True)
