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

The event loop is :mod:`convcalc.spec.yaml_build`; what a scalar is worth,
:mod:`convcalc.spec.yaml_values`. Most specs are read by :mod:`convcalc.spec.yaml_fast`
instead (several times faster, and without importing PyYAML); it leaves every document it is
not certain of, and every problem, to the event loop, and its source map is completed by the
event loop the first time a message needs a place it did not record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from convcalc.errors import Location, Problem, SpecError
from convcalc.spec import yaml_fast
from convcalc.spec.yaml_build import Builder, Stop
from convcalc.spec.yaml_values import KEY, SHIFT, VALUE, Path

__all__ = ["Path", "Reporter", "Source", "load_yaml"]
_LOCATION = tuple.__new__  # Location's fields without its generated __new__ (twice as fast)
_COL = (1 << SHIFT) - 1


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
    # the text, while ``locs`` is the fast reader's partial map (see yaml_fast.RECORDED)
    text: str | None = field(default=None, repr=False)

    def _complete(self) -> None:
        """The whole source map, from libyaml's reading of the text (the first time a place
        that the fast reader did not record is asked for)."""
        text, self.text = self.text, None
        if text is not None:
            self.locs = _libyaml(text, self.file).locs

    def forget(self, top: str) -> None:
        """Drop the recorded places under the top-level key ``top`` (the layer list, once its
        layers hold their own places: 200,000 entries in a 100,000-layer spec), if the text
        can rebuild them: only the fast reader's partial map is thinned."""
        if self.text is not None:
            self.locs = {p: v for p, v in self.locs.items() if len(p) < 2 or p[0] != top}

    def _location(self, packed: int) -> Location:
        return _LOCATION(Location, (self.file, packed >> SHIFT, packed & _COL))

    def at(self, path: Path) -> Location:
        """Location of the value at ``path``, or of the nearest enclosing value that has one."""
        if self.text is not None and path not in self.locs:
            self._complete()
        locs, values = self.locs, self.values
        while path not in locs and path and (not values or path not in values):
            path = path[:-1]
        if values and path in values:
            return values[path]
        found = locs.get(path)
        return self._location(found & VALUE) if found else Location(self.file, 1, 1)

    def key_at(self, path: Path) -> Location:
        """Location of the key that introduces ``path`` (falls back to its value)."""
        if self.keys and path in self.keys:
            return self.keys[path]
        found = self.locs.get(path)  # one lookup: a path's hash is not cached
        if found is None and self.text is not None:
            self._complete()
            found = self.locs.get(path)
        key = (found or 0) >> KEY
        return self._location(key) if key else self.at(path)


class ArgLocations(Mapping[str, Location]):
    """Where each argument of one layer entry is written, found only when a message needs it:
    ``spelled`` maps the argument's Keras name to the key the spec wrote it with."""

    __slots__ = ("entry", "spelled", "src")

    def __init__(self, src: Source, entry: Path, spelled: dict[str, str]) -> None:
        self.src, self.entry, self.spelled = src, entry, spelled

    def __getitem__(self, name: str) -> Location:
        return self.src.at(self.entry + (self.spelled[name],))

    def __iter__(self) -> Iterator[str]:
        return iter(self.spelled)

    def __len__(self) -> int:
        return len(self.spelled)


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
    try:
        data, locs = yaml_fast.read(text)
    except yaml_fast.Unsure:
        return _libyaml(text, file)
    except RecursionError:  # pragma: no cover - the fast reader stops at MAX_DEPTH
        return _libyaml(text, file)
    return Source(file, data, locs, text=text)


def _libyaml(text: str, file: str) -> Source:
    """``text`` read by libyaml's event stream (:mod:`convcalc.spec.yaml_build`)."""
    import yaml

    loader_class: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C: several times faster
    builder = Builder(file, len(text))
    loader = loader_class(text)
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
    except Stop:
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
