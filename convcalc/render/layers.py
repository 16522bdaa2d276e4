"""Text for ``convcalc layers``: every layer kind, its arguments and formulas, from the registry."""

from __future__ import annotations

from typing import Any

from convcalc.errors import LayerError, UsageError
from convcalc.fields import REQUIRED
from convcalc.layers import REGISTRY, Layer, lookup, suggest
from convcalc.spec.document import COMMON_KEYS

# Distinct sentinel sizes: a layer's weight shapes are computed for them and each number is
# read back as the symbol it stands for (so the symbolic shapes come from the layer's own
# weights(), in Keras's or PyTorch's order).
_G, _OG, _FG, _DM, _UNITS = 7, 5, 113, 139, 149
_C = _G * _OG * 109
_KERNEL = {1: (131,), 2: (131, 137), 3: (127, 131, 137)}
_KNAMES = {1: ("k",), 2: ("kh", "kw"), 3: ("kd", "kh", "kw")}


def _symbols(cls: type[Layer], torch: bool, rank: int) -> dict[int, str]:
    if "num_features" in cls.args:
        c_in = "num_features" if torch else "C"
    elif "filters" not in cls.args and "units" not in cls.args and "kernel_size" not in cls.args:
        c_in = "C"
    elif torch:
        c_in = "in_features" if "in_features" in cls.args else "in_channels"
    else:
        c_in = "C_in"
    f = "out_channels" if torch else "filters"
    table = {
        _C: c_in,
        _C // _G: f"{c_in}/groups",
        _G * _FG: f,
        _FG: f"{f}/groups",
        _UNITS: "out_features" if torch else "units",
        _C * _DM: f"{c_in}·depth_multiplier",
        _DM: "depth_multiplier",
        1: "1",
    }
    kernel = _KERNEL.get(rank, ())
    table.update(dict(zip(kernel, _KNAMES.get(rank, ()))))
    taps = 1
    for k in kernel:
        taps *= k
    table[2 * taps * _OG] = "2·" + "·".join(_KNAMES.get(rank, ())) + "·offset_groups"
    table[taps * _OG] = "·".join(_KNAMES.get(rank, ())) + "·offset_groups"
    return table


def weight_lines(cls: type[Layer], torch: bool) -> list[str]:
    """The kind's weights as symbolic shapes in one framework's order, or [] when they cannot
    be given symbolically (a kind whose required arguments are not sizes)."""
    rank = int(getattr(cls, "rank", 0) or 0)
    values: dict[str, Any] = {}
    for key, arg in cls.args.items():
        if key == "filters":
            values[key] = _G * _FG
        elif key == "units":
            values[key] = _UNITS
        elif key == "kernel_size" and rank:
            values[key] = _KERNEL[rank]
        elif key == "use_mask":
            values[key] = True
        elif key in ("groups", "offset_groups", "depth_multiplier"):
            values[key] = {"groups": _G, "offset_groups": _OG, "depth_multiplier": _DM}[key]
        elif arg.required:
            return []
    shape = ((101, 103, 107)[:rank] if rank else ()) + (_C,)
    try:
        layer = cls(values, spelling=cls.aliases[0] if torch and cls.aliases else cls.kind)
        weights = layer.weights([shape])
    except (LayerError, TypeError, ValueError, AttributeError, KeyError, IndexError):
        return []
    table = _symbols(cls, torch, rank)
    lines = []
    for w in weights:
        dims = w.torch_shape if torch else w.shape
        if any(d not in table for d in dims):
            return []
        name = w.torch_name if torch else w.name
        lines.append(f"  {name} ({', '.join(table[d] for d in dims)})")
    return lines


def _default(value: object) -> str:
    if value is REQUIRED:
        return "required"
    if value is None:
        return "-"
    return repr(value).replace("'", "") if not isinstance(value, str) else value


def render_layer_list() -> str:
    lines = [
        "Supported layer kinds (Keras names; PyTorch names in brackets are accepted too).",
        "Every layer also takes: name, inputs (layer names; default: the previous layer), "
        "trainable.",
        "`convcalc layers KIND` shows one kind's arguments and formulas; "
        "`convcalc layers --full` shows them all.",
        "",
    ]
    width = max(len(k) for k in REGISTRY) + 2
    for kind, cls in sorted(REGISTRY.items()):
        alias = f" [{', '.join(cls.aliases)}]" if cls.aliases else ""
        lines.append(f"{kind.ljust(width)}{cls.summary()}{alias}")
    return "\n".join(lines) + "\n"


def render_layer_kind(name: str) -> str:
    cls = lookup(name)
    if cls is None:
        near = suggest(name)
        raise UsageError(
            f"unknown layer kind '{name}'"
            + (f"; did you mean '{near}'?" if near else "")
            + " (`convcalc layers` lists them all)"
        )
    lines = [cls.kind + (f"  (PyTorch: {', '.join(cls.aliases)})" if cls.aliases else ""), ""]
    lines += ["  " + line for line in cls.documentation().replace("``", "").splitlines()]
    torch = name in cls.aliases
    weights = weight_lines(cls, torch)
    other = weight_lines(cls, not torch) if cls.aliases else []
    if weights:
        lines += ["", f"Weights ({'PyTorch' if torch else 'Keras'} names and layout):", *weights]
        if other:
            theirs = ", ".join(x.strip() for x in other)
            lines.append(f"  ({'Keras' if torch else 'PyTorch'}: {theirs})")
    lines += ["", "Arguments (PyTorch spelling in brackets):"]
    width = max([len(k) + len(a.torch or "") + 3 for k, a in cls.args.items()] + [12])
    quiet = [
        k
        for k, a in cls.args.items()
        if not a.shape_relevant
        and k.endswith(("initializer", "regularizer", "constraint", "dtype"))
    ]
    for key, arg in cls.args.items():
        if key in quiet:
            continue
        label = key + (f" [{arg.torch}]" if arg.torch else "")
        lines.append(f"  {label.ljust(width)} {_default(arg.default).ljust(10)} {arg.doc}")
    lines.append(f"  {'(common)'.ljust(width)} {''.ljust(10)} {', '.join(COMMON_KEYS)}")
    if quiet:
        lines.append(
            f"  also accepted for Keras compatibility, no effect on counts: {', '.join(quiet)}"
        )
    return "\n".join(lines) + "\n"


def render_all_kinds() -> str:
    """``convcalc layers --full``: every kind in full, in name order."""
    return "\n".join(render_layer_kind(k) for k in sorted(REGISTRY))
