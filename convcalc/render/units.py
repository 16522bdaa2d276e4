"""The only place where numbers become strings: counts, shapes, sizes, times, ratios."""

from __future__ import annotations

import math
from fractions import Fraction

from convcalc.shapes import Shape


def grouped(n: int) -> str:
    """``138357544`` -> ``138,357,544``."""
    return f"{n:,}"


def signed(n: int) -> str:
    """``+1,024`` / ``-3``; zero is ``0``."""
    return f"{n:+,}" if n else "0"


def keras_shape(shape: Shape) -> str:
    """A per-sample shape as Keras prints it, batch first: ``(None, 224, 224, 64)``."""
    return repr((None,) + tuple(shape))


def batch_shape(batch: int, shape: Shape) -> str:
    """A shape with the batch: ``(8, 224, 224, 64)``."""
    return repr((batch,) + tuple(shape))


def plain_shape(shape: Shape) -> str:
    """``(224, 224, 64)`` -> ``224x224x64`` (CSV, compact places)."""
    return "x".join(str(x) for x in shape)


def si(n: int, unit: str = "") -> str:
    """Decimal prefixes, 2 decimals: ``15470264320`` -> ``15.47 G``."""
    for factor, prefix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if abs(n) >= factor:
            return f"{n / factor:.2f} {prefix}{unit}"
    return f"{n} {unit}".rstrip()


def binary_bytes(n: int) -> str:
    """Bytes in 1024 steps labelled as Keras does: 553430176 -> ``527.79 MB``."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.2f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def seconds(t: float) -> str:
    """``0.000123`` -> ``123 µs``, ``0.0456`` -> ``45.6 ms``, ``1.5`` -> ``1.50 s``."""
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def stat(v: float) -> str:
    """A statistic of an activation, 4 significant digits (``nan`` for none)."""
    return "nan" if math.isnan(v) else f"{v:.4g}"


def change_percent(old: int, new: int) -> str:
    """``+12.50%``: the change from ``old`` to ``new`` (empty when ``old`` is 0)."""
    return f"{100 * (new - old) / old:+.2f}%" if old else ""


def share(part: int, whole: int) -> str:
    """``12.50%`` of a whole (``-`` when the whole is 0)."""
    return f"{100 * part / whole:.2f}%" if whole else "-"


def ratio(x: Fraction) -> str:
    """A ratio with 4 significant digits: ``0.04391``, ``0.6670``, ``1.400``; exactly 1: ``1``."""
    return "1" if x == 1 else f"{float(x):#.4g}"


def times_fewer(x: Fraction) -> str:
    """How many times fewer (or more): ``22.78x fewer``."""
    if x == 1:
        return "same"
    return f"{float(1 / x):.2f}x fewer" if x < 1 else f"{float(x):.2f}x more"


def speed(before_ns: int, after_ns: int) -> str:
    """``2.10x faster`` / ``1.30x slower``: a measured time ratio."""
    if after_ns <= before_ns:
        return f"{before_ns / max(after_ns, 1):.2f}x faster"
    return f"{after_ns / max(before_ns, 1):.2f}x slower"


def milliseconds(ns: int, digits: int = 3) -> str:
    return f"{ns / 1e6:.{digits}f} ms"
