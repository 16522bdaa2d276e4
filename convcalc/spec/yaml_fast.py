"""A fast reader for the YAML that specs are written in, without libyaml's event stream.

A 100,000-layer spec is 1.3 million libyaml events, and making the event objects alone takes
longer than a whole ``check`` of it should take. Specs use a small part of YAML: block
mappings and lists, one-line or multi-line flow collections (``{filters: 64, kernel_size: 3}``),
plain scalars, simple quoted strings and comments. This module reads that part line by line
and gives up (:class:`Unsure`) on anything else, or on anything it is not certain to read
exactly as PyYAML's SafeLoader would; :func:`convcalc.spec.yaml_source.load_yaml` then reads
the document with libyaml, which also reports every problem. So the fast reader never reports
a problem and never decides a doubtful case: anchors, aliases, tags, merge keys, block scalars
(``|``, ``>``), escapes, multi-line plain scalars, duplicate or non-string keys, control
characters, several documents, deep nesting and long integers all go to libyaml.

Its scalars are read by :mod:`convcalc.spec.yaml_plain`.

The source map it returns holds every path up to :data:`RECORDED` long and every path whose
value is a collection (where a layer's kind is written); :class:`Source` rebuilds the whole
map with libyaml the first time a message needs a place that is not in it.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

from convcalc.spec.limits import MAX_DEPTH
from convcalc.spec.yaml_plain import Unsure, fold, plain_value
from convcalc.spec.yaml_values import KEY, SHIFT, Path

__all__ = ["RECORDED", "Unsure", "plain_value", "read"]

RECORDED = 3  # paths this long or shorter are all in the source map

_KEY = re.compile(r"((?:[^\s#:\[\]{},\"'!&*|>%@`?-]|-[^\s#:\[\]{},])[^:#\n]*?) *:(?= |$)")
_QUOTED_KEY = re.compile(r"(\"[^\"\\\n]*\"|'(?:[^'\n]|'')*') *:(?= |$)")
_FLOW_PLAIN = re.compile(r"(?:[^\s,\[\]{}:#\"'!&*|>%@`?\\-]|-(?=[^\s,\[\]{}]))[^,\[\]{}:#\"'\\\n]*")
_DOUBLE = re.compile(r"\"([^\"\\]*)\"")
_SINGLE = re.compile(r"'((?:[^']|'')*)'")
_SPACE = re.compile(r"(?:[ \n]+(?:#[^\n]*)?)*")
_DOCUMENT_MARK = re.compile(r"^(?:---|\.\.\.|%)", re.MULTILINE)
# a one-line flow collection of plain scalars only (the common layer entry), read by splitting
_FLAT = {
    "{": re.compile(r"\{([^\[\]{}\"'#\\\n]*)\}"),
    "[": re.compile(r"\[([^\[\]{}\"'#:\\\n]*)\]"),
}
_ENTRY = re.compile(r"- ([A-Za-z_][\w.]*): +\{([^\[\]{}\"'#\\\n]*)\}(?: *$| +#.*$)")
_NOT_FIRST = frozenset(" ,[]{}:#\"'!&*|>%@`?\\")  # characters a plain scalar cannot start with


_MISSING = object()


def read(text: str) -> tuple[Any, dict[Path, int]]:
    """``text``'s value and its (partial) source map; raise :class:`Unsure` to leave it to
    libyaml."""
    if "\t" in text or "\r" in text or _DOCUMENT_MARK.search(text):
        raise Unsure
    if not text.isascii() and not all(c.isprintable() or c == "\n" for c in set(text)):
        raise Unsure
    return _Reader(text).document()


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.n = len(self.lines)
        self.starts = [0] * self.n
        offset = 0
        for i, line in enumerate(self.lines):
            self.starts[i] = offset
            offset += len(line) + 1
        self.indent = [len(line) - len(line.lstrip(" ")) for line in self.lines]
        self.locs: dict[Path, int] = {}
        self.plain: dict[str, Any] = {}
        self.flat_values: dict[str, Any] = {}  # an item of a one-line flow, as written

    # --- lines --------------------------------------------------------------------------------
    def significant(self, i: int) -> int:
        """The first line from ``i`` on that holds more than spaces or a comment."""
        lines, indent, n = self.lines, self.indent, self.n
        while i < n:
            line = lines[i]
            col = indent[i]
            if col < len(line) and line[col] != "#":
                return i
            i += 1
        return n

    def document(self) -> tuple[Any, dict[Path, int]]:
        i = self.significant(0)
        if i == self.n:
            return None, {}
        value, end, collection = self.node(i, self.indent[i], (), -1)
        self.record((), self.packed(i, self.indent[i]), 0, collection)
        if end != self.n:
            raise Unsure
        return value, self.locs

    def record(self, path: Path, packed: int, key: int, collection: bool) -> None:
        if len(path) <= RECORDED or collection:
            self.locs[path] = key << KEY | packed if key else packed

    # --- block nodes ----------------------------------------------------------------------------
    def node(self, i: int, col: int, path: Path, parent: int) -> tuple[Any, int, bool]:
        """The node that starts at line ``i``, column ``col`` (0-based), inside a block indented
        at ``parent``; returns it, the next significant line after it, and whether it is a
        collection. The caller records where it starts; a collection records its items."""
        if len(path) >= MAX_DEPTH - 2:
            raise Unsure
        rest = self.lines[i][col:]
        if rest[:2] == "- " or rest == "-":
            return (*self.sequence(i, col, path), True)
        if _KEY.match(rest) or (rest[:1] in "\"'" and _QUOTED_KEY.match(rest)):
            return (*self.mapping(i, col, path), True)
        return self.inline(i, col, parent, path)

    def mapping(self, i: int, col: int, path: Path) -> tuple[Any, int]:
        out: dict[Any, Any] = {}
        lines, indent = self.lines, self.indent
        while True:
            rest = lines[i][col:]
            found = _KEY.match(rest)
            if found is not None:
                key = self.plain_scalar(found.group(1))
            else:
                found = _QUOTED_KEY.match(rest)
                if found is None:
                    raise Unsure
                key = self.quoted(found.group(1))
            if type(key) is not str or key in out:
                raise Unsure  # a number, a bool or a repeated key: libyaml reports or reads it
            key_loc = self.packed(i, col)
            colon = col + found.end()  # just after the ':'
            at = colon
            line = lines[i]
            while at < len(line) and line[at] == " ":
                at += 1
            sub = (*path, key)
            if at == len(line) or line[at] == "#":  # the value is on the next lines, or empty
                j = self.significant(i + 1)
                if j < self.n and indent[j] > col:
                    value, end, collection = self.node(j, indent[j], sub, col)
                    self.record(sub, self.packed(j, indent[j]), key_loc, collection)
                elif j < self.n and indent[j] == col and lines[j][col] == "-":
                    value, end = self.sequence(j, col, sub)  # a list may sit at its key's indent
                    self.record(sub, self.packed(j, col), key_loc, True)
                else:  # empty: libyaml places the null just after the ':'
                    value, end = None, j
                    self.record(sub, self.packed(i, colon), key_loc, False)
            else:
                value, end, collection = self.inline(i, at, col, sub)
                self.record(sub, self.packed(i, at), key_loc, collection)
            out[key] = value
            if end == self.n or indent[end] < col:
                return out, end
            if indent[end] > col or lines[end][col] == "-":
                raise Unsure
            i = end

    def sequence(self, i: int, col: int, path: Path) -> tuple[Any, int]:
        out: list[Any] = []
        lines, indent = self.lines, self.indent
        short = len(path) + 2 <= RECORDED  # an item's one pair is recorded
        n, match = self.n, _ENTRY.match
        while True:
            entry = match(lines[i], col) if short else None
            if entry is not None:
                end = i + 1  # the next line, unless it is blank or a comment
                if end < n and (indent[end] == len(lines[end]) or lines[end][indent[end]] == "#"):
                    end = self.significant(end)
            if entry is not None and (end == n or indent[end] <= col):
                out.append(self.entry(entry, i, col, (*path, len(out))))
            else:
                out.append(self.item(i, col, (*path, len(out))))
                end = self.end
            if end == self.n or indent[end] < col:
                return out, end
            if indent[end] > col or lines[end][col] != "-":
                if indent[end] == col:
                    return out, end  # the mapping that holds this list goes on
                raise Unsure
            i = end

    end = 0  # the next significant line after the item that item() read

    def item(self, i: int, col: int, sub: Path) -> Any:
        """The list item written at line ``i`` after the ``-`` at ``col``."""
        line = self.lines[i]
        if line[col : col + 2] != "- " and line[col:] != "-":
            raise Unsure
        at = col + 1
        while at < len(line) and line[at] == " ":
            at += 1
        if at == len(line) or line[at] == "#":
            raise Unsure  # an item on the next lines, or an empty one
        value, self.end, collection = self.node(i, at, sub, col)
        self.record(sub, self.packed(i, at), 0, collection)
        return value

    def entry(self, entry: re.Match[str], i: int, col: int, sub: Path) -> Any:
        """``- Kind: {a: 1, b: 2}`` on one line, the usual layer entry, read in one go."""
        written, body = entry.groups()
        kind = self.plain.get(written) or self.plain_scalar(written)
        if type(kind) is not str:
            raise Unsure
        line = (i + 1) << SHIFT
        packed = line | (col + 3)  # self.packed(i, col + 2), inline: one of these per layer
        self.locs[sub] = packed
        self.locs[sub + (kind,)] = packed << KEY | line | entry.start(2)
        return {kind: self.flat("{", body)}

    def inline(self, i: int, col: int, parent: int, path: Path) -> tuple[Any, int, bool]:
        """A value that starts on line ``i`` at ``col``: a flow collection, a quoted or a plain
        scalar. Returns it, the next significant line, and whether it is a collection."""
        line = self.lines[i]
        first = line[col]
        if first in "[{" or first in "\"'":
            pos = self.starts[i] + col
            if first in "[{":
                value, pos = self.flow(pos, parent, path)
            else:
                value, pos = self.quoted_at(pos, parent)
            end_line = bisect.bisect_right(self.starts, pos) - 1
            tail = self.text[pos : self.starts[end_line] + len(self.lines[end_line])]
            stripped = tail.lstrip(" ")
            if stripped and (stripped[0] != "#" or stripped == tail):
                raise Unsure
            return value, self.significant(end_line + 1), first in "[{"
        if first in "]},&*!|>%@`?:#" or line[col : col + 2] == "- " or line[col:] == "-":
            raise Unsure
        cut = line.find(" #", col)
        text = (line[col:] if cut < 0 else line[col:cut]).rstrip(" ")
        if ": " in text or text.endswith(":"):
            raise Unsure
        return self.plain_scalar(text), self.significant(i + 1), False

    # --- flow collections -----------------------------------------------------------------------
    def flow(self, pos: int, parent: int, path: Path) -> tuple[Any, int]:
        """The flow collection that starts at offset ``pos``; returns it and the offset after it."""
        if len(path) >= MAX_DEPTH - 2:
            raise Unsure
        text = self.text
        opening = text[pos]
        if len(path) >= RECORDED:  # its items are not recorded: try the one-line form
            flat = _FLAT[opening].match(text, pos)
            if flat is not None:
                return self.flat(opening, flat.group(1)), flat.end()
        closing = "]" if opening == "[" else "}"
        out: Any = [] if opening == "[" else {}
        pos = self.space(pos + 1, parent)
        if text[pos : pos + 1] == closing:
            return out, pos + 1
        while True:
            if opening == "[":
                pos = self.flow_item(pos, parent, path, out)
            else:
                pos = self.flow_pair(pos, parent, path, out)
            pos = self.space(pos, parent)
            char = text[pos : pos + 1]
            if char == closing:
                return out, pos + 1
            if char != ",":
                raise Unsure
            pos = self.space(pos + 1, parent)
            if text[pos : pos + 1] in (closing, ","):
                raise Unsure  # a trailing or doubled comma

    def flow_item(self, pos: int, parent: int, path: Path, out: list[Any]) -> int:
        """Read the item at ``pos`` of a flow list into ``out``; the offset after it."""
        sub = (*path, len(out))
        value, end, collection = self.flow_node(pos, parent, sub)
        if self.text[end : end + 1] == ":":
            raise Unsure  # a one-pair mapping in a list
        if len(sub) <= RECORDED or collection:
            self.locs[sub] = self.offset_packed(pos)
        out.append(value)
        return end

    def flow_pair(self, pos: int, parent: int, path: Path, out: dict[Any, Any]) -> int:
        """Read the ``key: value`` at ``pos`` of a flow mapping into ``out``; the offset after."""
        text = self.text
        key, end, collection = self.flow_node(pos, parent, path)
        if collection or type(key) is not str or key in out:
            raise Unsure
        if text[end : end + 2] not in (": ", ":\n"):
            raise Unsure  # a key without a value, or ':' without a space
        start = self.space(end + 1, parent)
        sub = (*path, key)
        value, end, collection = self.flow_node(start, parent, sub)
        if len(sub) <= RECORDED or collection:
            self.locs[sub] = self.offset_packed(pos) << KEY | self.offset_packed(start)
        out[key] = value
        return end

    def flat(self, opening: str, body: str) -> Any:
        """The items of a one-line flow collection of plain scalars, ``body`` between its
        brackets (a mapping's pairs are ``key: value``). The hot loop of a long spec: each
        distinct item text is checked once (:meth:`flat_scalar`) and its value kept."""
        if not body.strip(" "):
            return [] if opening == "[" else {}
        get = self.flat_values.get
        if opening == "[":
            return [
                found if (found := get(item, _MISSING)) is not _MISSING else self.flat_scalar(item)
                for item in body.split(",")
            ]
        out: dict[Any, Any] = {}
        for item in body.split(","):
            key, colon, value = item.partition(": ")
            if not colon:
                raise Unsure
            k = get(key, _MISSING)
            if k is _MISSING:
                k = self.flat_scalar(key)
            if type(k) is not str or k in out:
                raise Unsure
            v = get(value, _MISSING)
            out[k] = v if v is not _MISSING else self.flat_scalar(value)
        return out

    def flat_scalar(self, item: str) -> Any:
        """The value of one item of a one-line flow collection, as written between its commas
        (spaces included)."""
        text = item.strip(" ")
        if not text or text[0] in _NOT_FIRST or text[:2] == "- " or ":" in text:
            raise Unsure  # an empty item (a trailing comma), an indicator, a ':'
        value = self.flat_values[item] = self.plain_scalar(text)
        return value

    def flow_node(self, pos: int, parent: int, path: Path) -> tuple[Any, int, bool]:
        text = self.text
        first = text[pos : pos + 1]
        if first in ("[", "{"):
            value, pos = self.flow(pos, parent, path)
            return value, self.space(pos, parent), True
        if first in ('"', "'"):
            value, pos = self.quoted_at(pos, parent)
            return value, self.space(pos, parent), False
        found = _FLOW_PLAIN.match(text, pos)
        if found is None:
            raise Unsure
        written = found.group().rstrip(" ")
        value = self.plain_scalar(written)
        return value, self.space(pos + len(written), parent), False

    def space(self, pos: int, parent: int) -> int:
        """The offset after the spaces, line breaks and comments at ``pos``; a continuation
        line must be indented deeper than the block that holds the collection."""
        if self.text[pos : pos + 1] not in (" ", "\n"):
            return pos
        found = _SPACE.match(self.text, pos)
        end = found.end() if found is not None else pos
        if "\n" in self.text[pos:end]:
            line = bisect.bisect_right(self.starts, end) - 1
            if end - self.starts[line] <= parent:
                raise Unsure
        return end

    # --- scalars --------------------------------------------------------------------------------
    def plain_scalar(self, text: str) -> Any:
        plain = self.plain
        if text in plain:
            return plain[text]
        value = plain_value(text)
        plain[text] = value
        return value

    def quoted(self, token: str) -> str:
        body = token[1:-1]
        if token[0] == "'":
            body = body.replace("''", "'")
        if "\n" not in body:
            return body
        folded = fold(body)
        if "\n" in folded:
            raise Unsure  # a newline in a value: allowed in some (description), reported in others
        return folded

    def quoted_at(self, pos: int, parent: int) -> tuple[str, int]:
        found = (_DOUBLE if self.text[pos] == '"' else _SINGLE).match(self.text, pos)
        if found is None:
            raise Unsure  # an escape (\n, \x41 ...), or no closing quote
        token = found.group()
        if "\n" in token:
            first = bisect.bisect_right(self.starts, pos) - 1
            for k in range(first + 1, bisect.bisect_right(self.starts, found.end() - 1)):
                if self.indent[k] <= parent and self.lines[k].strip(" "):
                    raise Unsure
        return self.quoted(token), found.end()

    # --- positions ------------------------------------------------------------------------------
    def packed(self, i: int, col: int) -> int:
        return (i + 1) << SHIFT | (col + 1)

    def offset_packed(self, pos: int) -> int:
        line = bisect.bisect_right(self.starts, pos) - 1
        return (line + 1) << SHIFT | (pos - self.starts[line] + 1)
