"""Integer per-axis shape formulas: the one place where output sizes are computed.

The axis formulas take plain ints for ONE spatial axis and return ints; no floats are involved
(``//`` floors toward minus infinity, which is what PyTorch's ``div_floor`` does too).
Layers, the engine and the NumPy runtime all call these, so a rule lives here exactly once.

Shapes are per sample (no batch). Inside convcalc they are *canonical*, channels last
``(spatial..., C)``, whatever the spec's data_format; :func:`to_display` and
:func:`to_canonical` convert at the edges (the user's input shape, printed shapes).

Conventions: ``n`` input length, ``k`` kernel, ``s`` stride, ``d`` dilation, ``pads`` a
``(before, after)`` pair of zero-padding widths.
"""

from __future__ import annotations

from convcalc.errors import LayerError

Shape = tuple[int, ...]
Pads = tuple[int, int]


def effective_kernel(k: int, d: int = 1) -> int:
    """Span of a dilated kernel: ``d·(k-1)+1`` (PyTorch and Keras docs)."""
    return d * (k - 1) + 1


def ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def same_pads(n: int, k: int, s: int = 1, d: int = 1) -> Pads:
    """Keras/TensorFlow 'same' padding: output ``ceil(n/s)``, the odd pixel goes at the end.

    total = max((ceil(n/s)-1)·s + d·(k-1)+1 - n, 0); before = total // 2 (TF
    ``kernel_shape_util``; for stride 1 this is PyTorch's ``padding='same'`` split too).
    """
    out = ceil_div(n, s)
    total = max((out - 1) * s + effective_kernel(k, d) - n, 0)
    return total // 2, total - total // 2


def causal_pads(k: int, d: int = 1) -> Pads:
    """Keras 'causal' (Conv1D): ``d·(k-1)`` zeros before the sequence, none after."""
    return d * (k - 1), 0


def conv_out(n: int, k: int, s: int = 1, d: int = 1, pads: Pads = (0, 0)) -> int:
    """Convolution output length: ``floor((n + p_l + p_r - d·(k-1) - 1) / s) + 1``.

    May be zero or negative: the caller reports that as an error.
    """
    return (n + pads[0] + pads[1] - effective_kernel(k, d)) // s + 1


def pool_out(
    n: int, k: int, s: int, d: int = 1, pads: Pads = (0, 0), ceil_mode: bool = False
) -> int:
    """Pooling output length exactly as PyTorch's ``pooling_output_shape_pad_lr`` (Pool.h).

    ``floor((n + p_l + p_r - d·(k-1) - 1 + (s-1 if ceil_mode)) / s) + 1``; with ``ceil_mode``
    the last window must start inside the input or the left padding, so if
    ``(out-1)·s >= n + p_l`` one output is dropped. (The documented formula omits that step:
    pytorch#57178, #116420.)
    """
    span = n + pads[0] + pads[1] - effective_kernel(k, d) + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= n + pads[0]:
        out -= 1
    return out


def transposed_out(
    n: int, k: int, s: int = 1, d: int = 1, pads: Pads = (0, 0), output_padding: int = 0
) -> int:
    """Transposed convolution output: ``(n-1)·s - p_l - p_r + d·(k-1) + output_padding + 1``.

    This is PyTorch's ``ConvTranspose`` rule with explicit padding.
    """
    return (n - 1) * s - pads[0] - pads[1] + effective_kernel(k, d) + output_padding


def keras_transposed_out(
    n: int, k: int, s: int, d: int, padding: str, output_padding: int | None
) -> int:
    """Keras ``ConvNDTranspose`` output length for padding 'valid' or 'same'.

    Keras ``deconv_output_length`` with k_eff = d·(k-1)+1:
    valid: ``(n-1)·s + k_eff + op``, op defaulting to ``max(k_eff, s) - k_eff``;
    same: ``n·s`` when op is None, else ``(n-1)·s + k_eff - 2·(k_eff//2) + op``.
    (For 'valid' this differs from PyTorch's ``padding=0`` when ``s > k_eff``.)
    """
    ke = effective_kernel(k, d)
    if padding == "valid":
        op = max(ke, s) - ke if output_padding is None else output_padding
        return (n - 1) * s + ke + op
    if output_padding is None:
        return n * s
    return (n - 1) * s + ke - 2 * (ke // 2) + output_padding


def keras_transposed_crop(out: int, k: int, s: int, d: int, padding: str) -> int:
    """How many positions Keras/TF crops from the start of the full transposed output.

    TF computes a transposed conv as the gradient of the forward conv that maps ``out`` back to
    the input; for 'same' that forward conv pads ``same_pads(out, k, s, d)``, so the first
    ``pads[0]`` positions of the full result are dropped; 'valid' drops nothing.
    """
    return same_pads(out, k, s, d)[0] if padding == "same" else 0


def to_display(shape: Shape, channels_first: bool) -> Shape:
    """Canonical (channels-last) shape -> the spec's data_format."""
    if channels_first and len(shape) >= 2:
        return (shape[-1],) + tuple(shape[:-1])
    return tuple(shape)


def to_canonical(shape: Shape, channels_first: bool) -> Shape:
    """A shape written in the spec's data_format -> canonical channels-last."""
    if channels_first and len(shape) >= 2:
        return tuple(shape[1:]) + (shape[0],)
    return tuple(shape)


def canonical_axis(axis: int, rank: int, channels_first: bool) -> int:
    """A Keras axis (counting the batch as axis 0, negatives from the end) in the displayed
    layout -> index into the canonical per-sample shape of length ``rank``."""
    full = rank + 1
    if not -full <= axis < full or axis in (0, -full):
        raise LayerError(
            f"axis {axis} is out of range for a rank-{rank} sample "
            f"(the batch is axis 0, so valid axes are 1..{rank} or -1..-{rank})",
            arg="axis",
        )
    i = (axis % full) - 1  # index in the displayed per-sample shape
    if channels_first and rank >= 2:
        return rank - 1 if i == 0 else i - 1
    return i
