"""The only place where numbers become strings."""

from __future__ import annotations

from convcalc.layers.base import Shape


def grouped(n: int) -> str:
    """``138357544`` -> ``138,357,544``."""
    return f"{n:,}"


def keras_shape(shape: Shape) -> str:
    """A per-sample shape as Keras prints it, batch first: ``(None, 224, 224, 64)``."""
    return repr((None,) + tuple(shape))


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
