"""A spec document built from another file, remembering where each of its parts came from.

An importer reads a framework's file into a :class:`~convcalc.spec.yaml_source.Source` (JSON is
YAML, so every value keeps its ``line:col``), then builds the spec document that the loader
validates. :class:`Built` records, for every path of the new document, the path of the value it
came from, so that a problem the loader finds in the new document is reported at the place in
the original file that holds that value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convcalc.errors import Location, Problem, SpecError
from convcalc.spec.files import open_input_file
from convcalc.spec.yaml_source import Path as DocPath
from convcalc.spec.yaml_source import Source

MAX_BYTES = 256 * 2**20  # a model description larger than this is refused, not read


def read_bytes(path: str | Path, what: str) -> bytes:
    """The bytes of ``path`` (a located error if missing, a folder, unreadable or huge)."""
    p = Path(path)
    loc = Location(str(path))
    if not p.exists():
        raise SpecError([Problem(loc, "no such file", hint=f"check the path of the {what}")])
    if p.is_dir():
        raise SpecError([Problem(loc, f"is a directory, not a {what}")])
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(
                [Problem(loc, f"is {size:,} bytes; a {what} over {MAX_BYTES:,} is not read")]
            )
        with open_input_file(p, what) as fh:  # a regular file: never a device or a FIFO
            data = fh.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise SpecError([Problem(loc, f"is over {MAX_BYTES:,} bytes; a {what} is not read")])
        return data
    except OSError as exc:
        raise SpecError([Problem(loc, f"cannot be read: {exc.strerror}")]) from None


def fail(loc: Location, message: str, hint: str = "", layer: str = "") -> SpecError:
    return SpecError([Problem(loc, message, layer, hint)])


class Built:
    """The new document's source map: ``put(dst, value, src)`` places ``value`` at ``dst`` of
    the new document and records that it (and everything inside it) came from ``src`` of the
    original."""

    def __init__(self, origin: Source) -> None:
        self.origin = origin
        self.values: dict[DocPath, Location] = {}
        self.keys: dict[DocPath, Location] = {}

    def record(self, dst: DocPath, src: DocPath, value: Any) -> Any:
        """Map ``dst`` (and the paths inside ``value``) to ``src`` in the original."""
        self.values[dst] = self.origin.at(src)
        self.keys[dst] = self.origin.key_at(src)
        if isinstance(value, dict):
            for k, v in value.items():
                self.record(dst + (k,), src + (k,), v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.record(dst + (i,), src + (i,), v)
        return value

    def at(self, dst: DocPath, src: DocPath) -> None:
        """``dst`` is a value convcalc made (not copied): it is located at ``src``."""
        self.values[dst] = self.origin.at(src)
        self.keys[dst] = self.origin.key_at(src)

    def source(self, data: Any) -> Source:
        src = Source(self.origin.file, data)
        src.values = dict(self.values)
        src.keys = dict(self.keys)
        src.values.setdefault((), Location(self.origin.file, 1, 1))
        return src
