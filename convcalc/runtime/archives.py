"""Reading ``.npy`` and ``.npz`` files that may come from anyone (``--weights``, ``--input``).

:func:`open_arrays` reads only the headers: every member's name, shape and dtype, checked
against what the file really holds, before any array data is read, so that a caller can compare
shapes and sizes with what the spec needs and refuse early. Refused, each with a message:

* a file that is not a regular file (see :mod:`convcalc.spec.files`), or neither an ``.npy``
  (``\\x93NUMPY``) nor a zip archive (``PK``); a ``PK`` file that is not a valid zip;
* an ``.npy`` header that does not parse, or whose shape and dtype need more bytes than the
  file (or the zip member) holds: a lying header is never allocated;
* object (pickled), structured, string, date and other non-numeric dtypes;
* an archive with more than ``MAX_ARCHIVE_MEMBERS`` arrays, or a member whose declared size
  disagrees with its header (what a zip bomb does), encrypted or with an unknown compression.

Each array is read when :meth:`Arrays.read` asks for it, exactly its declared number of bytes.

:func:`write_npz` writes what ``numpy.savez`` writes, with a Ctrl-C taking effect only between
chunks.
"""

from __future__ import annotations

import contextlib
import math
import os
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from convcalc import atomic
from convcalc.errors import UsageError, printable
from convcalc.spec.files import open_input_file
from convcalc.spec.limits import MAX_ARCHIVE_MEMBERS

NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
NUMERIC = "biuf"  # bool, signed and unsigned integers, floats (complex: refused by the caller)
MAX_HEADER = 10_000  # bytes of an .npy header (numpy's own limit)


class Member(NamedTuple):
    """One array of a file, as its header describes it (no data read)."""

    name: str  # "" for a lone .npy
    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    offset: int  # where its data starts, in the member's bytes
    nbytes: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Arrays:
    """An ``.npy`` (one member named "") or ``.npz`` file with its headers read."""

    def __init__(self, path: Path, flag: str) -> None:
        self.path, self.flag = path, flag
        self.members: dict[str, Member] = {}
        self._zip: zipfile.ZipFile | None = None
        self._fh: IO[bytes] | None = None

    @property
    def single(self) -> bool:
        return self._zip is None

    def fail(self, why: str, hint: str = "") -> UsageError:
        return UsageError(f"{self.flag} {printable(str(self.path))}: {why}", hint)

    def read(self, name: str) -> np.ndarray:
        """The array ``name``: exactly the bytes its header declared, as a read-only array."""
        m = self.members[name]
        try:
            with self._open(name) as fh:
                fh.seek(m.offset) if self.single else _skip(fh, m.offset)
                data = fh.read(m.nbytes)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
            raise self.fail(f"array {printable(name)!r} cannot be read ({exc})") from None
        if len(data) != m.nbytes:
            raise self.fail(
                f"array {printable(name)!r} holds {len(data):,} bytes; its header says {m.nbytes:,}"
            )
        a = np.frombuffer(data, dtype=m.dtype)
        return a.reshape(m.shape, order="F" if m.fortran else "C")

    @contextlib.contextmanager
    def _open(self, name: str) -> Iterator[IO[bytes]]:
        if self._zip is None:
            assert self._fh is not None
            yield self._fh
        else:
            with self._zip.open(name + ".npy") as fh:
                yield fh

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._fh is not None:
            self._fh.close()

    def __enter__(self) -> Arrays:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _skip(fh: IO[bytes], n: int) -> None:
    fh.read(n)


def open_arrays(path: Path, flag: str) -> Arrays:
    """Open ``path`` and read its headers; raise :class:`UsageError` for anything unsafe."""
    arrays = Arrays(path, flag)
    try:
        fh = open_input_file(path, "NumPy file")
    except Exception as exc:  # SpecError: the reason, as the flag's error
        raise arrays.fail(_reason(exc)) from None
    arrays._fh = fh
    try:
        magic = fh.read(6)
        fh.seek(0)
        if magic == NPY_MAGIC:
            size = os.fstat(fh.fileno()).st_size
            arrays.members[""] = _header(arrays, fh, "", size)
        elif magic[:4] in ZIP_MAGIC:
            _open_zip(arrays, fh)
        else:
            raise arrays.fail(
                "not a NumPy .npy or .npz file",
                hint="save arrays with numpy.save (one array) or numpy.savez (several)",
            )
    except BaseException:
        arrays.close()
        raise
    return arrays


def _reason(exc: Exception) -> str:
    problems = getattr(exc, "problems", None)
    if problems:
        return str(problems[0].message)
    return str(exc)


def _open_zip(arrays: Arrays, fh: IO[bytes]) -> None:
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise arrays.fail(f"starts like a zip archive but is not one ({exc})") from None
    arrays._zip = zf
    infos = zf.infolist()
    if len(infos) > MAX_ARCHIVE_MEMBERS:
        raise arrays.fail(
            f"holds {len(infos):,} arrays; convcalc reads at most {MAX_ARCHIVE_MEMBERS:,}"
        )
    for info in infos:
        if info.is_dir():
            continue
        if not info.filename.endswith(".npy"):
            raise arrays.fail(
                f"holds {printable(info.filename)!r}, which is not an array (.npy)",
                hint="an .npz holds only the .npy files numpy.savez writes",
            )
        name = info.filename[: -len(".npy")]
        try:
            with zf.open(info) as member:
                arrays.members[name] = _header(arrays, member, name, info.file_size)
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
            raise arrays.fail(f"array {printable(name)!r} cannot be read ({exc})") from None


def _header(arrays: Arrays, fh: IO[bytes], name: str, available: int) -> Member:
    """The header of the array that starts at ``fh`` and has ``available`` bytes in all."""
    what = f"array {printable(name)!r}" if name else "the array"
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, MAX_HEADER)
        else:
            raise ValueError(f"format version {version} is not read (1.0 and 2.0 are)")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise arrays.fail(f"{what} has no valid .npy header ({printable(str(exc))})") from None
    offset = fh.tell()
    dtype = np.dtype(dtype)
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in NUMERIC + "c":
        raise arrays.fail(
            f"{what} has dtype {printable(str(dtype))}; convcalc reads numeric arrays only",
            hint="save float32 (or another real numeric type) arrays",
        )
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise arrays.fail(f"{what} has an invalid shape {printable(str(shape))}")
    nbytes = math.prod(shape) * dtype.itemsize
    if offset + nbytes != available:
        raise arrays.fail(
            f"{what}'s header says shape {tuple(shape)} of {dtype} ({nbytes:,} bytes), but "
            f"the file holds {max(available - offset, 0):,} bytes of data",
            hint="the file is damaged or was not written by numpy.save/savez",
        )
    return Member(name, tuple(shape), dtype, bool(fortran), offset, nbytes)


def as_float32(a: Any) -> np.ndarray:
    """A numeric array as float32 (the runtime's type); the caller has refused complex."""
    return np.asarray(a, dtype=np.float32)


class _Interruptible:
    """A zip member's writer on which a noted Ctrl-C takes effect before a chunk is written
    (``numpy.lib.format.write_array`` writes at most 16 MiB at a time to a file like this)."""

    def __init__(self, member: IO[bytes], ctrl_c: atomic.CtrlC) -> None:
        self.member, self.ctrl_c = member, ctrl_c

    def write(self, data: bytes) -> int:
        self.ctrl_c.take_effect()
        return self.member.write(data)


def write_npz(fh: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``fh`` as ``numpy.savez`` does (uncompressed ``.npy`` members, zip64).

    A Ctrl-C takes effect between chunks, where the member and the archive can still be
    closed: one inside :mod:`zipfile` (as it could land in ``numpy.savez``) left an archive
    that refused to close, and an error instead of the interrupt."""
    with (
        atomic.deferred_ctrl_c() as ctrl_c,
        zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf,
    ):
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                out = _Interruptible(member, ctrl_c)
                np.lib.format.write_array(out, np.asanyarray(array), allow_pickle=False)
