"""What the command line asks ``convcalc compare`` for, validated: one layer from flags
(:func:`layer_request`) or the one rewrite of a whole spec (:func:`arch_transform`).

Messages name the flags (``--kernel``), because these requests come from them.
"""

from __future__ import annotations

import re
from typing import Any

from convcalc.errors import UsageError
from convcalc.tools.compare.results import LayerRequest, Transform

_DIMS = re.compile(r"^\d+(x\d+)*$")


def _dims(flag: str, text: str, counts: tuple[int, ...], what: str) -> tuple[int, ...]:
    t = str(text).strip().lower().replace("×", "x").replace(" ", "")
    values = tuple(int(x) for x in t.split("x")) if _DIMS.match(t) else ()
    if len(values) not in counts or not all(v >= 1 for v in values):
        raise UsageError(f"{flag} must be {what}; received {text!r}")
    return values


def _int_list(flag: str, text: str) -> tuple[int, ...]:
    t = str(text).replace(" ", "")
    if not re.match(r"^\d+(,\d+)*$", t) or any(int(x) < 1 for x in t.split(",")):
        raise UsageError(
            f"{flag} must be a positive integer or a comma-separated list "
            f"of them (e.g. 2,4,8); received {text!r}"
        )
    return tuple(dict.fromkeys(int(x) for x in t.split(",")))


def _pair(values: tuple[int, ...]) -> tuple[int, int]:
    """``(K,)`` or ``(Kh, Kw)`` -> ``(Kh, Kw)``."""
    return values[0], values[-1]


def layer_request(
    input_shape: str,
    kernel: str,
    filters: int | None,
    *,
    padding: str | None = None,
    strides: str | None = None,
    dilation: str | None = None,
    channels_first: bool = False,
    use_bias: bool = True,
    separable: bool = False,
    depth_multiplier: int = 1,
    groups: str | None = None,
    bottleneck: str | None = None,
    spatial: bool = False,
) -> LayerRequest:
    """Validate the command-line description of one convolution; raise :class:`UsageError`.

    ``input_shape``: ``HxWxC`` (one sample; ``CxHxW`` with ``channels_first``) or ``NxCxHxW``
    (a PyTorch batch: channels-first, shapes shown with N, MACs counted for all N samples).
    ``kernel``, ``strides``, ``dilation``: ``K`` or ``KhxKw``. ``padding``: valid, same or an int
    (zeros on every side, PyTorch's ``padding=p``). ``groups`` and ``bottleneck``: lists like
    ``2,4,8`` (``bottleneck`` is the reduced channel count B).
    """
    if not input_shape or not kernel or filters is None:
        missing = [
            f
            for f, v in (("--input", input_shape), ("--kernel", kernel), ("--filters", filters))
            if not v
        ]
        raise UsageError(
            f"without a SPEC, compare needs {', '.join(missing)} "
            f"(e.g. --input 12x12x3 --kernel 5 --filters 256 --separable)"
        )
    dims = _dims(
        "--input",
        input_shape,
        (3, 4),
        "HxWxC (one sample, e.g. 12x12x3; CxHxW with "
        "--channels-first) or NxCxHxW (a PyTorch batch, e.g. 20x16x50x100), positive "
        "integers",
    )
    batch = dims[0] if len(dims) == 4 else None
    shape = dims[1:] if len(dims) == 4 else dims
    channels_first = channels_first or len(dims) == 4
    k = _dims("--kernel", kernel, (1, 2), "K or KhxKw, positive integers")
    s = _dims("--strides", strides or "1", (1, 2), "S or SHxSW, positive integers")
    d = _dims("--dilation", dilation or "1", (1, 2), "D or DHxDW, positive integers")
    pad: str | int = (padding or "valid").lower()
    if pad not in ("valid", "same"):
        if not str(pad).isdigit():
            raise UsageError(
                f"--padding must be valid, same or an integer >= 0 (zeros on "
                f"every side, as PyTorch's padding=p); received {padding!r}"
            )
        pad = int(pad)
    if filters < 1:
        raise UsageError(f"--filters must be a positive integer; received {filters}")
    _check_depth_multiplier(depth_multiplier, separable)
    req = LayerRequest(
        input_shape=shape,
        batch=batch,
        channels_first=channels_first,
        kernel=_pair(k),
        filters=filters,
        strides=_pair(s),
        dilation=_pair(d),
        padding=pad,
        use_bias=use_bias,
        separable=separable,
        depth_multiplier=depth_multiplier,
        groups=_int_list("--groups", groups) if groups else (),
        bottlenecks=_int_list("--bottleneck", bottleneck) if bottleneck else (),
        spatial=spatial,
    )
    _check_request(req)
    return req


def _check_depth_multiplier(dm: int, separable: bool) -> None:
    if dm < 1 or (dm != 1 and not separable):
        raise UsageError(
            f"--depth-multiplier is a positive integer that goes with "
            f"--separable; received {dm}" + ("" if separable else " without it")
        )


def _check_request(req: LayerRequest) -> None:
    m, n = req.in_channels, req.filters
    if not (req.separable or req.groups or req.bottlenecks or req.spatial):
        raise UsageError(
            "choose at least one variant to compare with the standard "
            "convolution: --separable, --groups G[,G...], --bottleneck B[,B...], "
            "--spatial"
        )
    for g in req.groups:
        if m % g or n % g:
            both = [x for x in range(1, min(m, n) + 1) if m % x == 0 and n % x == 0]
            raise UsageError(
                f"--groups {g} must divide the input channels ({m}) and "
                f"--filters ({n}); groups that divide both: " + ", ".join(map(str, both))
            )
    for b in req.bottlenecks:
        if b >= m:
            raise UsageError(
                f"--bottleneck {b} must be smaller than the input channels "
                f"({m}): the 1x1 convolution reduces them to B before the "
                f"{req.kernel[0]}x{req.kernel[1]} one"
            )
    if req.spatial and min(req.kernel) < 2:
        raise UsageError(
            f"--spatial needs a kernel larger than 1 on both axes; received "
            f"--kernel {req.kernel[0]}x{req.kernel[1]}"
        )


def reject_flags(context: str, flags: dict[str, Any]) -> None:
    """UsageError naming every flag given (truthy) that does not apply in ``context``."""
    given = [name for name, value in flags.items() if value]
    if given:
        raise UsageError(f"{', '.join(given)} cannot be used {context}")


def arch_transform(
    separable: bool, groups: str | None, bottleneck: str | None, depth_multiplier: int = 1
) -> Transform:
    """The one rewrite asked for on the command line (exactly one of the three)."""
    given = [
        f
        for f, v in (("--separable", separable), ("--groups", groups), ("--bottleneck", bottleneck))
        if v
    ]
    if len(given) != 1:
        raise UsageError(
            "with a SPEC, give exactly one of --separable, --groups G, "
            "--bottleneck RATIO" + (f"; received {' and '.join(given)}" if given else "")
        )
    _check_depth_multiplier(depth_multiplier, separable)
    if separable:
        return Transform("separable", depth_multiplier)
    flag, text = ("--groups", groups) if groups else ("--bottleneck", bottleneck)
    values = _int_list(flag, str(text))
    if len(values) != 1 or values[0] < 2:
        meaning = (
            "the number of channel groups"
            if groups
            else "the reduction factor: the 1x1 convolution maps C input channels to C/RATIO"
        )
        raise UsageError(
            f"with a SPEC, {flag} takes one integer >= 2 ({meaning}); received {text!r}"
        )
    return Transform("grouped" if groups else "bottleneck", values[0])
