"""Layer names: the ones an entry gives, and Keras's automatic ones for the others."""

from __future__ import annotations

import re

from convcalc.layers import Layer, lookup
from convcalc.spec.expand import Entry, split


def snake_case(name: str) -> str:
    """Keras's automatic layer name stem: ``Conv2D`` -> ``conv2d``, ``ReLU`` -> ``re_lu``."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class AutoNames:
    """Keras's automatic layer names (``conv2d``, ``conv2d_1``, ...), never one already taken."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.counters: dict[str, int] = {}

    def __call__(self, cls: type[Layer]) -> str:
        stem = "input" if cls.is_input else snake_case(cls.kind)
        while True:
            n = self.counters.get(stem, 1 if cls.is_input else 0)
            self.counters[stem] = n + 1
            candidate = f"{stem}_{n}" if n else stem
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def given_name(entry: Entry) -> str | None:
    """The entry's own ``name:`` if it is a usable one."""
    value = entry.value
    if type(value) is dict and len(value) == 1:  # the usual form, without split()'s checks
        ((kind, args),) = value.items()
        if type(kind) is str and type(args) is dict:
            name = args.get("name")
            return name if type(name) is str and name else None
    found = split(value)
    if found is None or not isinstance(found[1], dict):
        return None
    name = found[1].get("name")
    return name if isinstance(name, str) and name else None


def final_names(entries: list[Entry], auto_name: AutoNames) -> list[str]:
    """Every entry's name: its own, or Keras's automatic one for its kind (an entry whose kind
    is unknown gets ``<layers[i]>``, the name under which its dependents are skipped)."""
    names = []
    for i, entry in enumerate(entries):
        name = given_name(entry)
        if name is None:
            found = split(entry.value)
            cls = lookup(found[0]) if found is not None else None
            name = auto_name(cls) if cls is not None else f"<layers[{i}]>"
        names.append(name)
    return names
