"""Text for ``convcalc layers``: every layer kind, its arguments and formulas, from the registry."""

from __future__ import annotations

from convcalc.errors import UsageError
from convcalc.fields import REQUIRED
from convcalc.layers import REGISTRY, lookup, suggest
from convcalc.spec.document import COMMON_KEYS


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
