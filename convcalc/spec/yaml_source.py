"""Read YAML into plain Python values plus a source map ``path -> Location``.

PyYAML composes the node tree (every node keeps its start mark); we build ordinary dicts, lists
and scalars from it and record where each key and each value came from, so that every later
error can name ``file:line:col``. Duplicate keys, which PyYAML silently accepts, are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from convcalc.errors import Location, Problem, SpecError

try:  # the C composer is several times faster; both keep marks
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

Path = tuple[Any, ...]


@dataclass
class Source:
    """A parsed YAML document and where each of its parts stands in the file."""

    file: str
    data: Any
    values: dict[Path, Location] = field(default_factory=dict)
    keys: dict[Path, Location] = field(default_factory=dict)

    def at(self, path: Path) -> Location:
        """Location of the value at ``path``, or of the nearest enclosing value that has one."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Location(self.file, 1, 1))

    def key_at(self, path: Path) -> Location:
        """Location of the key that introduces ``path`` (falls back to its value)."""
        return self.keys.get(path) or self.at(path)


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


def _loc(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def load_yaml(text: str, file: str) -> Source:
    """Parse ``text``; raise :class:`SpecError` with the YAML error's position if malformed."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(file, mark) if mark is not None else Location(file, 1, 1)
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
    except yaml.YAMLError as exc:
        raise SpecError([Problem(Location(file, 1, 1), f"malformed YAML: {exc}")]) from None
    src = Source(file, None)
    if node is None:
        return src
    problems: list[Problem] = []
    constructor = yaml.constructor.SafeConstructor()
    src.data = _build(node, (), src, constructor, problems)
    if problems:
        raise SpecError(problems)
    return src


def _build(node: Any, path: Path, src: Source, cons: Any, problems: list[Problem]) -> Any:
    src.values[path] = _loc(src.file, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = cons.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append(
                    Problem(
                        _loc(src.file, key_node.start_mark),
                        f"a key must be a plain name; received {key!r}",
                    )
                )
                continue
            if key in out:
                first = src.keys[path + (key,)]
                problems.append(
                    Problem(
                        _loc(src.file, key_node.start_mark),
                        f"duplicate key '{key}' (first given at line {first.line})",
                        hint="remove one of the two; YAML keeps only the last",
                    )
                )
                continue
            src.keys[path + (key,)] = _loc(src.file, key_node.start_mark)
            out[key] = _build(value_node, path + (key,), src, cons, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(v, path + (i,), src, cons, problems) for i, v in enumerate(node.value)]
    return cons.construct_object(node, deep=True)
