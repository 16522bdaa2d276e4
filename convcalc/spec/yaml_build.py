"""The YAML reader's event loop: libyaml's events built into plain values and a source map,
with aliases, merge keys, depth and budgets as :mod:`convcalc.spec.yaml_source` describes."""

from __future__ import annotations

from typing import Any

from convcalc.errors import Location, Problem, printable, quote
from convcalc.spec.limits import MAX_DEPTH, alias_budget
from convcalc.spec.yaml_values import (
    BAD,
    KEY,
    MERGE,
    NO_KEY,
    SHIFT,
    TAG,
    TAG_HINT,
    Path,
    ScalarReader,
    tag_text,
)


class Stop(Exception):
    """Reading stops here (a budget is spent); the problem is recorded."""


class Frame:
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
        self.key: Any = NO_KEY
        self.key_loc = 0
        self.merges: list[tuple[Any, int]] | None = None


class Builder(ScalarReader):
    def __init__(self, file: str, characters: int) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.locs: dict[Path, int] = {}
        self.root: Any = None
        self.stack: list[Frame] = []
        self.anchors: dict[str, tuple[Any, int] | None] = {}  # None: still being built
        self.copied = 0
        self.budget = alias_budget(characters)
        self.plain: dict[str, Any] = {}  # plain scalar text -> its value (resolved once)
        self.documents = 0

    def fail(self, packed: int, message: str, hint: str = "") -> None:
        loc = Location(self.file, packed >> SHIFT, packed & ((1 << SHIFT) - 1))
        self.problems.append(Problem(loc, message, hint=hint))

    # --- the event loop ------------------------------------------------------------------------
    def run(self, get_event: Any) -> None:  # noqa: C901 (the hot loop, kept in one piece)
        import yaml

        scalar_event = yaml.ScalarEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
        stack, locs, plain = self.stack, self.locs, self.plain
        while True:
            ev = get_event()
            cls = type(ev)
            if cls is scalar_event:
                mark = ev.start_mark
                packed = (mark.line + 1) << SHIFT | (mark.column + 1)
                value = NO_KEY
                if ev.tag is None and ev.implicit[0]:
                    value = plain.get(ev.value, NO_KEY)
                if value is NO_KEY:
                    value = self.scalar(ev, packed)
                if ev.anchor is not None:
                    self.anchors[ev.anchor] = (value, 0)
                top = stack[-1] if stack else None
                # the common cases inline: a plain key, a value of a key, a list item
                if top is None or value is MERGE or value is BAD or top.path is None:
                    self.add(value, packed, 0)
                elif top.is_map:
                    key = top.key
                    if key is NO_KEY:
                        if type(value) is str and value not in top.value:
                            top.key, top.key_loc = value, packed
                        else:
                            self.key(top, value, packed)
                    elif key is MERGE or key is BAD:
                        self.add(value, packed, 0)
                    else:
                        top.key = NO_KEY
                        top.value[key] = value
                        locs[top.path + (key,)] = top.key_loc << KEY | packed
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
                        (mark.line + 1) << SHIFT | (mark.column + 1),
                        "a spec is one YAML document; this is the start of a second one",
                        hint="remove the '---' line, or split the file",
                    )
                    raise Stop
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
        if key is NO_KEY or key is BAD or key is MERGE:
            return None  # a complex key, a reported key, or the value of <<
        return (*top.path, key)

    def add(self, value: Any, packed: int, height: int) -> None:
        """Place a finished scalar or copied value into the innermost collection."""
        path = self.child_path()
        if path is not None and (not self.stack or type(self.stack[-1].value) is list):
            self.locs[path] = packed
        elif path is not None:
            self.locs[path] = self.stack[-1].key_loc << KEY | packed
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
        if key is NO_KEY and type(container) is dict:  # this value is a key
            self.key(top, value, packed)
            return
        if value is MERGE:  # << anywhere but as a key is the text itself
            value = "<<"
        if type(container) is list:
            container.append(value)
            return
        top.key = NO_KEY
        if key is MERGE:
            if top.merges is None:
                top.merges = []
            top.merges.append((value, packed))
        elif key is not BAD:
            container[key] = value

    def key(self, top: Frame, key: Any, packed: int) -> None:
        if key is MERGE or key is BAD:
            top.key, top.key_loc = key, packed
            return
        if not isinstance(key, (str, int, float, bool)) or key is None:
            self.fail(packed, f"a key must be a plain name; received {quote(key)}")
            key = BAD
        elif key in top.value:
            first = self.locs.get((*top.path, key), 0) >> KEY if top.path is not None else 0
            line = f" (first given at line {first >> SHIFT})" if first else ""
            self.fail(
                packed,
                f"duplicate key {quote(key)}{line}",
                hint="remove one of the two; YAML keeps only the last",
            )
            key = BAD
        top.key, top.key_loc = key, packed

    def start(self, ev: Any, value: dict[Any, Any] | list[Any]) -> None:
        mark = ev.start_mark
        packed = (mark.line + 1) << SHIFT | (mark.column + 1)
        tag = ev.tag
        kind = "map" if type(value) is dict else "seq"
        if tag is not None and tag != "!" and tag != TAG + kind:
            self.fail(packed, f"unsupported YAML tag {tag_text(tag)}", hint=TAG_HINT)
        depth = len(self.stack) + 1
        if depth > MAX_DEPTH:
            self.fail(
                packed,
                f"the document nests deeper than {MAX_DEPTH} levels",
                hint="a spec needs about 6 levels; check for a runaway [ or {",
            )
            raise Stop
        path = self.child_path()
        stack = self.stack
        if path is not None:
            in_list = not stack or type(stack[-1].value) is list
            self.locs[path] = packed if in_list else stack[-1].key_loc << KEY | packed
        if ev.anchor is not None:
            self.anchors[ev.anchor] = None
        stack.append(Frame(value, path, packed, ev.anchor))

    def attach(self, value: Any, frame: Frame) -> None:
        """Place a finished collection into its parent (its location is already recorded)."""
        stack = self.stack
        if stack and stack[-1].key is NO_KEY and type(stack[-1].value) is dict:
            self.key(stack[-1], value, frame.packed)  # a collection as a key: reported there
            return
        self.put(value, frame.packed)

    # --- aliases and merge keys -------------------------------------------------------------------
    def alias(self, ev: Any) -> None:
        mark = ev.start_mark
        packed = (mark.line + 1) << SHIFT | (mark.column + 1)
        anchor = ev.anchor
        if anchor not in self.anchors:
            self.fail(packed, f"the alias *{printable(anchor)} names no anchor defined before it")
            self.add(BAD, packed, 0)
            return
        found = self.anchors[anchor]
        if found is None:
            self.fail(
                packed,
                f"the alias *{printable(anchor)} is inside the value it names (a recursive "
                "structure)",
                hint="YAML allows it, but a spec cannot be infinite",
            )
            raise Stop
        value, height = found
        if len(self.stack) + height > MAX_DEPTH:
            self.fail(
                packed, f"the alias *{printable(anchor)} nests deeper than {MAX_DEPTH} levels"
            )
            raise Stop
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
            raise Stop
        if type(value) is dict:
            return {k: self.copy(v, packed) for k, v in value.items()}
        if type(value) is list:
            return [self.copy(v, packed) for v in value]
        return value

    def finish(self, frame: Frame) -> dict[Any, Any]:
        """A mapping's value with its merge keys applied (keys written in it win)."""
        own: dict[Any, Any] = frame.value
        if not frame.merges:
            return own
        merged: dict[Any, Any] = {}
        for value, packed in frame.merges:
            sources = value if type(value) is list else [value]
            for source in sources:
                if type(source) is not dict:
                    if source is not BAD:
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
                            self.locs[frame.path + (k,)] = packed << KEY | packed
        merged.update(own)
        own.clear()
        own.update(merged)  # the same object: a parent may already hold it
        return own
