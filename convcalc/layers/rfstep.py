"""What a layer does to a receptive field: the answer of ``Layer.rf_step``.

Small immutable records, declared as NamedTuple or plain classes: a frozen dataclass costs half
a millisecond to create, and these are on the start-up path of every command.
"""

from __future__ import annotations

from typing import NamedTuple


class Unchanged:
    """Every output sees what the corresponding input position sees (element-wise layers,
    normalisation over channels, Dense on the channel axis, Dropout)."""


class Window(NamedTuple):
    """A sliding window: field r + (k_eff-1)·j, stride j·s, padding P + p_l·j, per axis."""

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilation: tuple[int, ...]
    left_pads: tuple[int, ...]


class Shift(NamedTuple):
    """The origin moves: ``before`` positions added (ZeroPadding) or removed (Cropping, negative)
    at the start of each axis."""

    before: tuple[int, ...]


class Whole:
    """Every output sees the whole input map (global pooling, Flatten, Reshape, normalisation
    over spatial axes); every later layer then sees that whole region too."""


class Merge:
    """Several inputs join position by position (Add, Concatenate on channels, ...)."""


class Unknown(NamedTuple):
    """The field cannot be given as one size per axis; ``reason`` says why (it follows the
    layer's name and kind in messages)."""

    reason: str


RFStep = Unchanged | Window | Shift | Whole | Merge | Unknown
