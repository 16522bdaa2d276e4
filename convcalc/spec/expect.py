"""``expect:`` and ``budget:``: validated against the tables of :mod:`convcalc.spec.document`.

``expect`` is kept as written (``convcalc check`` compares the values, ``--update`` edits the
text); ``budget`` bounds become ints (``16G`` -> 16·10^9) or per-axis tuples.
"""

from __future__ import annotations

from typing import Any

from convcalc.errors import ArgError
from convcalc.fields import Arg, suggest
from convcalc.spec.document import BUDGET, EXPECT, EXPECT_LAYER
from convcalc.spec.yaml_source import Reporter


class SectionParser(Reporter):
    """Validates the ``expect`` and ``budget`` sections, recording problems in ``problems``."""

    def unknown_key(self, path: tuple[Any, ...], what: str, allowed: tuple[str, ...]) -> None:
        """``unknown <what> 'key'`` at the key, with a did-you-mean and the allowed keys."""
        near = suggest(str(path[-1]), list(allowed))
        self.fail(
            path,
            f"unknown {what} '{path[-1]}'",
            key=True,
            hint=(f"did you mean '{near}'? " if near else "") + "allowed: " + ", ".join(allowed),
        )

    def value(self, arg: Arg, path: tuple[Any, ...], what: str, value: Any) -> Any:
        """``arg``'s validator on ``value``; a failure is recorded as ``<what> must be ...``."""
        try:
            return arg.parse(value)
        except ArgError as exc:
            self.fail(path, f"{what} {exc.message}", hint=exc.hint)
            return None

    def expect(self, expect: dict[str, Any], layer_names: set[str] | None = None) -> dict[str, Any]:
        """Validate ``expect:``; ``layer_names`` (when every layer parsed) checks the names in
        ``expect.layers``."""
        for key, value in expect.items():
            path = ("expect", key)
            if key not in EXPECT:
                self.unknown_key(path, "expectation", tuple(EXPECT))
            elif key == "layers":
                if self.value(EXPECT[key], path, "expect.layers", value) is not None:
                    self.layer_expectations(value, layer_names)
            else:
                self.value(EXPECT[key], path, f"expect.{key}", value)
        return expect

    def layer_expectations(self, value: dict[str, Any], layer_names: set[str] | None) -> None:
        path = ("expect", "layers")
        for lname, lexp in value.items():
            if layer_names is not None and lname not in layer_names:
                near = suggest(str(lname), sorted(layer_names))
                self.fail(
                    path + (lname,),
                    f"expect.layers names '{lname}', which is not a layer of this spec",
                    key=True,
                    hint=f"did you mean '{near}'?"
                    if near
                    else "expectations are keyed by layer name",
                )
            if not isinstance(lexp, dict):
                self.fail(
                    path + (lname,),
                    f"expect.layers.{lname} must be a mapping such as {{params: 1792}}",
                )
                continue
            for k, v in lexp.items():
                if k not in EXPECT_LAYER:
                    self.unknown_key(path + (lname, k), "layer expectation", tuple(EXPECT_LAYER))
                else:
                    self.value(EXPECT_LAYER[k], path + (lname, k), f"expect.layers.{lname}.{k}", v)

    def budget(self, budget: dict[str, Any]) -> dict[str, Any]:
        """Validate ``budget:`` -> upper (and lower) bounds as ints or per-axis tuples; counts and
        byte sizes may be written with a suffix: ``16G`` (10^9), ``512Mi`` / ``512MiB`` (2^20)."""
        result: dict[str, Any] = {}
        for key, value in budget.items():
            path = ("budget", key)
            if key not in BUDGET:
                self.unknown_key(path, "budget", tuple(BUDGET))
                continue
            parsed = self.value(BUDGET[key], path, f"budget.{key}", value)
            if parsed is not None:
                result[key] = parsed
        return result
