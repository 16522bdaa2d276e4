"""Read YAML into plain Python values plus a source map ``path -> Location``.

The document is read as libyaml's event stream and built here, value by value, without a node
tree: every value and key records where it starts, so that every later error can name
``file:line:col``. Hostile input is bounded and reported, never a traceback:

* only the core tags (``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!seq``,
  ``!!map``) are read; any other tag (``!foo``, ``!!python/...``, ``!!binary``) is a problem;
* merge keys (``<<: *base``, ``<<: [*a, *b]``) merge as YAML 1.1 says (keys written in the
  mapping win, then the earlier merged mapping);
* aliases copy their anchor's value, within a budget relative to the document's size
  (:func:`convcalc.spec.limits.alias_budget`): a "billion laughs" stops after a few thousand
  values; an alias inside the collection it names is a problem;
* nesting deeper than ``MAX_DEPTH``, integers longer than ``MAX_INT_DIGITS`` characters,
  duplicate keys, keys that are not plain scalars, and strings with control characters
  (anywhere but in ``description``) are problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from convcalc.errors import Location, Problem, SpecError, printable, quote, unprintable
from convcalc.spec.limits import MAX_DEPTH, MAX_INT_DIGITS, alias_budget

try:  # the C parser is several times faster; both give marks
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Path = tuple[Any, ...]

_TAG = "tag:yaml.org,2002:"
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers
_BOOLS = yaml.constructor.SafeConstructor.bool_values
FREE_TEXT = (("description",),)  # values that may hold newlines and tabs
_SHIFT = 32  # a location is packed into one int: line << _SHIFT | column
_KEY = 64  # a path's entry is key location << _KEY | value location (0: no key)
_VALUE = (1 << _KEY) - 1


@dataclass
class Source:
    """A parsed YAML document and where each of its parts stands in the file.

    ``locs`` is what :func:`load_yaml` records, packed; a source built another way (the
    importers map a translated document onto the file it came from) gives ``values`` and
    ``keys`` as :class:`Location` objects, which win over ``locs``."""

    file: str
    data: Any
    # path -> where its key starts << 64 | where its value starts (each line << 32 | col):
    # one int per path, as a 100,000-layer spec has some 700,000 of them
    locs: dict[Path, int] = field(default_factory=dict)
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

    def _location(self, packed: int) -> Location:
        return Location(self.file, packed >> _SHIFT, packed & ((1 << _SHIFT) - 1))

    def at(self, path: Path) -> Location:
        """Location of the value at ``path``, or of the nearest enclosing value that has one."""
        locs, values = self.locs, self.values
        while path not in locs and path and (not values or path not in values):
            path = path[:-1]
        if values and path in values:
            return values[path]
        found = locs.get(path)
        return self._location(found & _VALUE) if found else Location(self.file, 1, 1)

    def key_at(self, path: Path) -> Location:
        """Location of the key that introduces ``path`` (falls back to its value)."""
        if self.keys and path in self.keys:
            return self.keys[path]
        found = self.locs.get(path, 0) >> _KEY
        return self._location(found) if found else self.at(path)


class Reporter:
    """Records problems located in a source: ``fail(path, ...)`` points at the value at
    ``path`` (or, with ``key``, at its key). The loader's parts share one problem list."""

    def __init__(self, src: Source, problems: list[Problem]) -> None:
        self.src = src
        self.problems = problems

    def fail(
        self, path: Path, message: str, hint: str = "", layer: str = "", key: bool = False
    ) -> None:
        loc = self.src.key_at(path) if key else self.src.at(path)
        self.problems.append(Problem(loc, message, layer, hint))


def load_yaml(text: str, file: str) -> Source:
    """Parse ``text``; raise :class:`SpecError` with every problem found (a malformed
    document gives one, at the YAML error's position)."""
    builder = _Builder(file, len(text))
    loader = _Loader(text)
    try:
        builder.run(loader.get_event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _mark(file, mark) if mark is not None else Location(file, 1, 1)
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise SpecError(
            [
                Problem(
                    loc,
                    f"malformed YAML: {what}",
                    hint="check the indentation and the ':' after each key",
                )
            ]
        ) from None
    except yaml.reader.ReaderError as exc:
        raise SpecError([_reader_problem(text, file, exc)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(Location(file, 1, 1), f"malformed YAML: {exc}")]) from None
    except _Stop:
        pass
    finally:
        loader.dispose()
    if builder.problems:
        raise SpecError(builder.problems)
    return Source(file, builder.root, builder.locs)


def _mark(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def _reader_problem(text: str, file: str, exc: Any) -> Problem:
    pos = exc.position if isinstance(exc.position, int) else 0
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    char = exc.character
    code = ord(char) if isinstance(char, str) else char if isinstance(char, int) else 0
    what = f"U+{code:04X}"
    return Problem(
        Location(file, line, col),
        f"malformed YAML: the character {what} is not allowed in a YAML file",
        hint="write control characters as escapes inside double quotes, or remove them",
    )


class _Stop(Exception):
    """Reading stops here (a budget is spent); the problem is recorded."""


class _Frame:
    """A mapping or list being built."""

    __slots__ = (
        "anchor",
        "height",
        "is_map",
        "key",
        "key_loc",
        "merges",
        "packed",
        "path",
        "value",
    )

    def __init__(self, value: Any, path: Path | None, packed: int, anchor: str | None) -> None:
        self.value = value
        self.is_map = type(value) is dict
        self.path = path  # None: not recorded in the source map (a complex key, a duplicate)
        self.packed = packed  # where it starts
        self.anchor = anchor
        self.height = 1  # levels of nesting below and including this one
        self.key: Any = _NO_KEY
        self.key_loc = 0
        self.merges: list[tuple[Any, int]] | None = None


_NO_KEY = object()
_MERGE = object()  # the merge key <<
_BAD = object()  # a value that was reported


class _Builder:
    def __init__(self, file: str, characters: int) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.locs: dict[Path, int] = {}
        self.root: Any = None
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int] | None] = {}  # None: still being built
        self.copied = 0
        self.budget = alias_budget(characters)
        self.plain: dict[str, Any] = {}  # plain scalar text -> its value (resolved once)
        self.documents = 0

    def fail(self, packed: int, message: str, hint: str = "") -> None:
        loc = Location(self.file, packed >> _SHIFT, packed & ((1 << _SHIFT) - 1))
        self.problems.append(Problem(loc, message, hint=hint))

    # --- the event loop ------------------------------------------------------------------------
    def run(self, get_event: Any) -> None:  # noqa: C901 (the hot loop, kept in one piece)
        scalar_event = yaml.ScalarEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        stack, locs, plain = self.stack, self.locs, self.plain
        while True:
            ev = get_event()
            cls = type(ev)
            if cls is scalar_event:
                mark = ev.start_mark
                packed = (mark.line + 1) << _SHIFT | (mark.column + 1)
                value = _NO_KEY
                if ev.tag is None and ev.implicit[0]:
                    value = plain.get(ev.value, _NO_KEY)
                if value is _NO_KEY:
                    value = self.scalar(ev, packed)
                if ev.anchor is not None:
                    self.anchors[ev.anchor] = (value, 0)
                top = stack[-1] if stack else None
                # the common cases inline: a plain key, a value of a key, a list item
                if top is None or value is _MERGE or value is _BAD or top.path is None:
                    self.add(value, packed, 0)
                elif top.is_map:
                    key = top.key
                    if key is _NO_KEY:
                        if type(value) is str and value not in top.value:
                            top.key, top.key_loc = value, packed
                        else:
                            self.key(top, value, packed)
                    elif key is _MERGE or key is _BAD:
                        self.add(value, packed, 0)
                    else:
                        top.key = _NO_KEY
                        top.value[key] = value
                        locs[top.path + (key,)] = top.key_loc << _KEY | packed
                else:
                    locs[top.path + (len(top.value),)] = packed
                    top.value.append(value)
            elif cls is mapping_end or cls is sequence_end:
                frame = stack.pop()
                value = self.finish(frame) if cls is mapping_end else frame.value
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (value, frame.height)
                if stack and stack[-1].height <= frame.height:
                    stack[-1].height = frame.height + 1
                self.attach(value, frame)
            elif cls is mapping_start or cls is sequence_start:
                self.start(ev, {} if cls is mapping_start else [])
            elif cls is yaml.AliasEvent:
                self.alias(ev)
            elif cls is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    mark = ev.start_mark
                    self.fail(
                        (mark.line + 1) << _SHIFT | (mark.column + 1),
                        "a spec is one YAML document; this is the start of a second one",
                        hint="remove the '---' line, or split the file",
                    )
                    raise _Stop
            elif cls is yaml.StreamEndEvent:
                return

    # --- where a value goes ----------------------------------------------------------------------
    def child_path(self) -> Path | None:
        """The path of the next value of the innermost collection (None: not recorded)."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.path is None:
            return None
        if type(top.value) is list:
            return (*top.path, len(top.value))
        key = top.key
        if key is _NO_KEY or key is _BAD or key is _MERGE:
            return None  # a complex key, a reported key, or the value of <<
        return (*top.path, key)

    def add(self, value: Any, packed: int, height: int) -> None:
        """Place a finished scalar or copied value into the innermost collection."""
        path = self.child_path()
        if path is not None and (not self.stack or type(self.stack[-1].value) is list):
            self.locs[path] = packed
        elif path is not None:
            self.locs[path] = self.stack[-1].key_loc << _KEY | packed
        if self.stack and self.stack[-1].height <= height:
            self.stack[-1].height = height + 1
        self.put(value, packed)

    def put(self, value: Any, packed: int) -> None:
        stack = self.stack
        if not stack:
            self.root = value
            return
        top = stack[-1]
        container = top.value
        key = top.key
        if key is _NO_KEY and type(container) is dict:  # this value is a key
            self.key(top, value, packed)
            return
        if value is _MERGE:  # << anywhere but as a key is the text itself
            value = "<<"
        if type(container) is list:
            container.append(value)
            return
        top.key = _NO_KEY
        if key is _MERGE:
            if top.merges is None:
                top.merges = []
            top.merges.append((value, packed))
        elif key is not _BAD:
            container[key] = value

    def key(self, top: _Frame, key: Any, packed: int) -> None:
        if key is _MERGE or key is _BAD:
            top.key, top.key_loc = key, packed
            return
        if not isinstance(key, (str, int, float, bool)) or key is None:
            self.fail(packed, f"a key must be a plain name; received {quote(key)}")
            key = _BAD
        elif key in top.value:
            first = self.locs.get((*top.path, key), 0) >> _KEY if top.path is not None else 0
            line = f" (first given at line {first >> _SHIFT})" if first else ""
            self.fail(
                packed,
                f"duplicate key {quote(key)}{line}",
                hint="remove one of the two; YAML keeps only the last",
            )
            key = _BAD
        top.key, top.key_loc = key, packed

    def start(self, ev: Any, value: dict[Any, Any] | list[Any]) -> None:
        mark = ev.start_mark
        packed = (mark.line + 1) << _SHIFT | (mark.column + 1)
        tag = ev.tag
        kind = "map" if type(value) is dict else "seq"
        if tag is not None and tag != "!" and tag != _TAG + kind:
            self.fail(packed, f"unsupported YAML tag {_tag_text(tag)}", hint=_TAG_HINT)
        depth = len(self.stack) + 1
        if depth > MAX_DEPTH:
            self.fail(
                packed,
                f"the document nests deeper than {MAX_DEPTH} levels",
                hint="a spec needs about 6 levels; check for a runaway [ or {",
            )
            raise _Stop
        path = self.child_path()
        stack = self.stack
        if path is not None:
            in_list = not stack or type(stack[-1].value) is list
            self.locs[path] = packed if in_list else stack[-1].key_loc << _KEY | packed
        if ev.anchor is not None:
            self.anchors[ev.anchor] = None
        stack.append(_Frame(value, path, packed, ev.anchor))

    def attach(self, value: Any, frame: _Frame) -> None:
        """Place a finished collection into its parent (its location is already recorded)."""
        stack = self.stack
        if stack and stack[-1].key is _NO_KEY and type(stack[-1].value) is dict:
            self.key(stack[-1], value, frame.packed)  # a collection as a key: reported there
            return
        self.put(value, frame.packed)

    # --- scalars ---------------------------------------------------------------------------------
    def scalar(self, ev: Any, packed: int) -> Any:
        text = ev.value
        tag = ev.tag
        if tag is None and ev.implicit[0]:
            value = self.resolve(text, packed)
            if value is _BAD or value is _MERGE:
                return value
            if type(value) is not str or value.isprintable():  # else: where it is matters
                self.plain[text] = value  # a problem is reported at each place it occurs
                return value
        elif tag is None or tag == "!" or tag == _TAG + "str":
            value = text
        else:
            value = self.tagged(tag, text, packed)
        if type(value) is str and not value.isprintable():
            return self.check_text(value, packed)
        return value

    def resolve(self, text: str, packed: int) -> Any:
        """A plain scalar's value, by YAML 1.1's implicit rules (as PyYAML's SafeLoader)."""
        for tag, regexp in _RESOLVERS.get(text[:1], ()):
            if regexp.match(text):
                return self.construct(tag[len(_TAG) :], text, packed)
        return text

    def tagged(self, tag: str, text: str, packed: int) -> Any:
        name = tag[len(_TAG) :] if tag.startswith(_TAG) else ""
        if name not in ("int", "float", "bool", "null"):
            self.fail(packed, f"unsupported YAML tag {_tag_text(tag)}", hint=_TAG_HINT)
            return _BAD
        return self.construct(name, text, packed)

    def construct(self, name: str, text: str, packed: int) -> Any:
        """The value of ``text`` read as the core type ``name``; a problem if it is not one."""
        try:
            return self.convert(name, text, packed)
        except (ValueError, KeyError, IndexError, TypeError):
            self.fail(packed, f"{quote(text)} is not a valid YAML {name}")
            return _BAD

    def convert(self, name: str, text: str, packed: int) -> Any:
        if name == "int":
            return self.integer(text, packed)
        if name == "float":
            return _float(text)
        if name == "bool":
            return _BOOLS[text.lower()]
        if name == "null":
            return None
        if name == "merge":
            return _MERGE
        if name == "timestamp":
            cons = yaml.constructor.SafeConstructor()
            return cons.construct_yaml_timestamp(yaml.ScalarNode(_TAG + "timestamp", text))
        return text  # "value" (a lone =) and anything else: the text itself

    def integer(self, text: str, packed: int) -> Any:
        if len(text) > MAX_INT_DIGITS:
            self.fail(
                packed,
                f"an integer of {len(text):,} characters; convcalc reads at most {MAX_INT_DIGITS}",
                hint="no shape, count or budget needs more digits",
            )
            return _BAD
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
        return _BAD

    # --- aliases and merge keys -------------------------------------------------------------------
    def alias(self, ev: Any) -> None:
        mark = ev.start_mark
        packed = (mark.line + 1) << _SHIFT | (mark.column + 1)
        anchor = ev.anchor
        if anchor not in self.anchors:
            self.fail(packed, f"the alias *{printable(anchor)} names no anchor defined before it")
            self.add(_BAD, packed, 0)
            return
        found = self.anchors[anchor]
        if found is None:
            self.fail(
                packed,
                f"the alias *{printable(anchor)} is inside the value it names (a recursive "
                "structure)",
                hint="YAML allows it, but a spec cannot be infinite",
            )
            raise _Stop
        value, height = found
        if len(self.stack) + height > MAX_DEPTH:
            self.fail(
                packed, f"the alias *{printable(anchor)} nests deeper than {MAX_DEPTH} levels"
            )
            raise _Stop
        self.add(self.copy(value, packed), packed, height)

    def copy(self, value: Any, packed: int) -> Any:
        """A fresh copy of an anchor's value, counted against the alias budget."""
        self.copied += 1
        if self.copied > self.budget:
            self.fail(
                packed,
                f"aliases copy more than {self.budget:,} values (a document may copy at most "
                "as many values as it has characters, or 10,000)",
                hint="an alias of an alias of ... multiplies: write the values out instead",
            )
            raise _Stop
        if type(value) is dict:
            return {k: self.copy(v, packed) for k, v in value.items()}
        if type(value) is list:
            return [self.copy(v, packed) for v in value]
        return value

    def finish(self, frame: _Frame) -> dict[Any, Any]:
        """A mapping's value with its merge keys applied (keys written in it win)."""
        own: dict[Any, Any] = frame.value
        if not frame.merges:
            return own
        merged: dict[Any, Any] = {}
        for value, packed in frame.merges:
            sources = value if type(value) is list else [value]
            for source in sources:
                if type(source) is not dict:
                    if source is not _BAD:
                        self.fail(
                            packed,
                            "a merge key << takes a mapping or a list of mappings; received "
                            + quote(source),
                            hint="e.g. <<: *defaults  (with &defaults on a mapping)",
                        )
                    continue
                for k, v in source.items():
                    if k not in own and k not in merged:
                        merged[k] = v
                        if frame.path is not None:
                            self.locs[frame.path + (k,)] = packed << _KEY | packed
        merged.update(own)
        own.clear()
        own.update(merged)  # the same object: a parent may already hold it
        return own


_TAG_HINT = "convcalc reads plain YAML values: remove the tag"


def _tag_text(tag: str) -> str:
    """A tag as it is written: ``!!python/name:x`` rather than its full form."""
    return quote("!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag)


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
