"""Opening an input file that may come from anyone (a spec, a weights or input archive).

Only regular files are opened: a device (``/dev/zero``), a FIFO or a socket is refused before
anything is read, even when named explicitly or through a symlink, and a FIFO put in the file's
place between the check and the open does not block (``O_NONBLOCK``). A file is read up to a
size limit. A path that looks inside the working directory but leads outside it through a
symlink (which a pull request can commit) is refused unless ``--allow-outside-links`` is given.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from convcalc.errors import Location, Problem, SpecError, printable
from convcalc.spec.limits import current


def read_input_file(path: str | Path, what: str, max_bytes: int) -> bytes:
    """The bytes of ``path`` (a ``what``: "spec", "weights file", ...), at most ``max_bytes``;
    raise :class:`SpecError` saying why it is not read."""
    with open_input_file(path, what) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise SpecError([too_big(Location(str(path)), size, max_bytes, what)])
        try:
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise SpecError(
                [Problem(Location(str(path)), f"cannot be read: {exc.strerror}")]
            ) from None
    if len(data) > max_bytes:
        raise SpecError([too_big(Location(str(path)), len(data), max_bytes, what)])
    return data


def open_input_file(path: str | Path, what: str) -> BinaryIO:
    """``path`` opened for reading in binary, if it is a regular file that may be read."""
    loc = Location(str(path))
    why = refusal(path, what)
    if why:
        raise SpecError([Problem(loc, why[0], hint=why[1])])
    try:  # O_NONBLOCK: should a FIFO take the file's place now, opening does not wait for it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SpecError([Problem(loc, f"cannot be read: {exc.strerror}")]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise SpecError([Problem(loc, f"is {kind_of(mode)}, not a regular file")])
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def decode_spec(data: bytes, file: str) -> str:
    """A spec's bytes as text; a located problem at the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            [
                Problem(
                    Location(file, line, col),
                    f"is not UTF-8 text ({exc.reason} at byte {exc.start:,})",
                    hint="save the spec as UTF-8",
                )
            ]
        ) from None


def refusal(path: str | Path, what: str) -> tuple[str, str] | None:
    """Why ``path`` is not opened, with a hint; None if it may be."""
    shown = printable(str(path))
    try:
        st = os.stat(path)
    except OSError as exc:
        if os.path.islink(path):
            target = printable(os.readlink(path))
            return f"is a symlink to {target}, which does not exist", "fix or remove the link"
        if exc.errno == errno.ENOENT:
            if what == "spec":
                return (
                    "no such file",
                    "check the path; specs are YAML files such as specs/vgg16.yaml",
                )
            return "no such file", "check the path"
        return f"cannot be read: {exc.strerror}", ""
    if stat.S_ISDIR(st.st_mode):
        if what == "spec":
            return (
                "is a directory, not a spec file",
                f"to use every spec in it, pass {shown}/*.yaml",
            )
        return f"is a directory, not a {what}", ""
    if not stat.S_ISREG(st.st_mode):
        link = os.path.realpath(path)
        via = f" (a symlink to {printable(link)})" if link != os.path.abspath(path) else ""
        return (
            f"is {kind_of(st.st_mode)}{via}, not a regular file",
            "convcalc reads only regular files",
        )
    outside = None if current().allow_outside_links else outside_link(path)
    if outside:
        return (
            "is reached through a symlink that leads outside the working directory, to "
            f"{printable(outside)}",
            "pass --allow-outside-links to read it anyway",
        )
    return None


def too_big(loc: Location, size: int, limit: int, what: str = "spec") -> Problem:
    return Problem(
        loc,
        f"is {size:,} bytes, over the limit of {limit:,} bytes for a {what}",
        hint=f"pass --max-file-size {max(size, limit + 1)} (or more) to read it",
    )


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, for messages."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def outside_link(path: str | Path) -> str | None:
    """Where ``path`` really is, if it names a place inside the working directory but a symlink
    on the way leads outside it; else None. A path that is outside to begin with
    (``/tmp/x.yaml``, ``../x.yaml``) was asked for as it is."""
    cwd = os.getcwd()
    if not _within(os.path.abspath(path), cwd):
        return None
    real = os.path.realpath(path)
    return None if _within(real, os.path.realpath(cwd)) else real
