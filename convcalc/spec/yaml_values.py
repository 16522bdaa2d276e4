"""What a YAML scalar is worth, by YAML 1.1's rules as PyYAML's SafeLoader reads them, and
nothing more: the core types only, integers of bounded length, no control characters.

:class:`ScalarReader` is the part of the reader (:mod:`convcalc.spec.yaml_build`) that turns a
scalar event into a value or reports why it cannot; a reported value is :data:`BAD`.
Locations are packed into one int, ``line << SHIFT | column`` (see :class:`Source`).
"""

from __future__ import annotations

from typing import Any

from convcalc.errors import printable, quote, unprintable
from convcalc.spec.limits import MAX_INT_DIGITS

Path = tuple[Any, ...]

TAG = "tag:yaml.org,2002:"
FREE_TEXT = (("description",),)  # values that may hold newlines and tabs
SHIFT = 32  # a location is packed into one int: line << SHIFT | column
KEY = 64  # a path's entry is key location << KEY | value location (0: no key)
VALUE = (1 << KEY) - 1

NO_KEY = object()  # a mapping waits for its next key
MERGE = object()  # the merge key <<
BAD = object()  # a value that was reported


def resolvers() -> dict[str, list[tuple[str, Any]]]:
    """PyYAML's implicit resolvers by first character: YAML 1.1's rules, stated once (PyYAML is
    imported only when a document needs them; see :mod:`convcalc.spec.yaml_fast`)."""
    import yaml

    found: dict[str, list[tuple[str, Any]]] = yaml.resolver.Resolver.yaml_implicit_resolvers
    return found


class ScalarReader:
    """Scalar events to values; the reader supplies ``fail``, ``plain`` (the cache of plain
    scalars) and ``child_path`` (where the value goes, for the free-text rule)."""

    plain: dict[str, Any]

    def fail(self, packed: int, message: str, hint: str = "") -> None:
        raise NotImplementedError

    def child_path(self) -> Path | None:
        raise NotImplementedError

    def scalar(self, ev: Any, packed: int) -> Any:
        text = ev.value
        tag = ev.tag
        if tag is None and ev.implicit[0]:
            value = self.resolve(text, packed)
            if value is BAD or value is MERGE:
                return value
            if type(value) is not str or value.isprintable():  # else: where it is matters
                self.plain[text] = value  # a problem is reported at each place it occurs
                return value
        elif tag is None or tag == "!" or tag == TAG + "str":
            value = text
        else:
            value = self.tagged(tag, text, packed)
        if type(value) is str and not value.isprintable():
            return self.check_text(value, packed)
        return value

    def resolve(self, text: str, packed: int) -> Any:
        """A plain scalar's value, by YAML 1.1's implicit rules (as PyYAML's SafeLoader)."""
        for tag, regexp in resolvers().get(text[:1], ()):
            if regexp.match(text):
                return self.construct(tag[len(TAG) :], text, packed)
        return text

    def tagged(self, tag: str, text: str, packed: int) -> Any:
        name = tag[len(TAG) :] if tag.startswith(TAG) else ""
        if name not in ("int", "float", "bool", "null"):
            self.fail(packed, f"unsupported YAML tag {tag_text(tag)}", hint=TAG_HINT)
            return BAD
        return self.construct(name, text, packed)

    def construct(self, name: str, text: str, packed: int) -> Any:
        """The value of ``text`` read as the core type ``name``; a problem if it is not one."""
        try:
            return self.convert(name, text, packed)
        except (ValueError, KeyError, IndexError, TypeError):
            self.fail(packed, f"{quote(text)} is not a valid YAML {name}")
            return BAD

    def convert(self, name: str, text: str, packed: int) -> Any:
        if name == "int":
            return self.integer(text, packed)
        if name == "float":
            return _float(text)
        if name == "bool":
            import yaml

            return yaml.constructor.SafeConstructor.bool_values[text.lower()]
        if name == "null":
            return None
        if name == "merge":
            return MERGE
        if name == "timestamp":
            import yaml

            cons = yaml.constructor.SafeConstructor()
            return cons.construct_yaml_timestamp(yaml.ScalarNode(TAG + "timestamp", text))
        return text  # "value" (a lone =) and anything else: the text itself

    def integer(self, text: str, packed: int) -> Any:
        if len(text) > MAX_INT_DIGITS:
            self.fail(
                packed,
                f"an integer of {len(text):,} characters; convcalc reads at most {MAX_INT_DIGITS}",
                hint="no shape, count or budget needs more digits",
            )
            return BAD
        return _integer(text)

    def check_text(self, value: str, packed: int) -> Any:
        """A string with an unprintable character: reported, except newlines and tabs in the
        free-text values (``description``)."""
        path = self.child_path()
        bad = unprintable(value.replace("\n", "").replace("\t", "") if path in FREE_TEXT else value)
        if bad is None:
            return value
        self.fail(
            packed,
            f"a string holds the control character {printable(bad)} (U+{ord(bad):04X}); "
            f"received {quote(value)}",
            hint="names, keys and values are one line of printable text",
        )
        return BAD


TAG_HINT = "convcalc reads plain YAML values: remove the tag"


def tag_text(tag: str) -> str:
    """A tag as it is written: ``!!python/name:x`` rather than its full form."""
    return quote("!!" + tag[len(TAG) :] if tag.startswith(TAG) else tag)


def _integer(text: str) -> int:
    """YAML 1.1's integer forms, as PyYAML's SafeConstructor reads them."""
    text = text.replace("_", "")
    sign = -1 if text[0] == "-" else 1
    if text[0] in "+-":
        text = text[1:]
    if text == "0":
        return 0
    if text.startswith("0b"):
        return sign * int(text[2:], 2)
    if text.startswith("0x"):
        return sign * int(text[2:], 16)
    if text[0] == "0":
        return sign * int(text, 8)
    if ":" in text:
        total = 0
        for part in text.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(text)


def _float(text: str) -> float:
    """YAML 1.1's float forms, as PyYAML's SafeConstructor reads them."""
    text = text.replace("_", "").lower()
    sign = -1.0 if text[0] == "-" else 1.0
    if text[0] in "+-":
        text = text[1:]
    if text == ".inf":
        return sign * float("inf")
    if text == ".nan":
        return float("nan")
    if ":" in text:
        total = 0.0
        for part in text.split(":"):
            total = total * 60 + float(part)
        return sign * total
    return sign * float(text)
