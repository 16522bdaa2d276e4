"""Writing a file so that nothing the user had is lost: all of it or nothing.

The new content goes to a temporary file in the same folder, which then replaces the target in
one step (``os.replace``): an interrupted write leaves the old file as it was and no partial new
one, and the new file gets the permissions a plain ``open(path, "w")`` would give it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from convcalc.errors import UsageError, printable


class CtrlC:
    """A Ctrl-C noted while :func:`deferred_ctrl_c` holds it back."""

    def __init__(self) -> None:
        self.caught = False

    def take_effect(self) -> None:
        """Raise the noted Ctrl-C now, at a point the caller chose as safe."""
        if self.caught:
            self.caught = False
            raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_ctrl_c() -> Iterator[CtrlC]:
    """A Ctrl-C during the block takes effect when it ends, or earlier where the block calls
    ``take_effect()``, never in the middle of a step: a SIGINT right after a temporary file
    appeared left it behind, and one inside :mod:`zipfile` left it unable to close.

    The interrupt is deferred by Python's own handler, not by blocking the signal: with other
    threads running (OpenBLAS's, the runtime's workers) the kernel hands SIGINT to any thread
    that does not block it, and Python then raises KeyboardInterrupt in the main thread all the
    same."""
    noted = CtrlC()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # started with it ignored (nohup, &)
    ):
        yield noted
        return

    def note(signum: int, frame: object) -> None:
        noted.caught = True

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)
        if noted.caught:
            signal.raise_signal(signal.SIGINT)  # as if it came now, to the usual handler


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_only(path: Path) -> bool:
    """Whether ``path`` is read-only: not writable by this user, or without any write
    permission bit at all (which even root, who may write anything, is told to respect)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not mode & 0o222 or not os.access(path, os.W_OK)


def check_destination(path: str | Path, force: bool, flag: str) -> None:
    """Raise :class:`UsageError` unless ``path`` can be written by :func:`replacing`: its folder
    exists and takes a new file, it is not a directory, a device or any other special file, it
    is not read-only, and it does not exist unless ``force``. Call it before the work starts."""
    target = Path(path)
    shown = f"{flag} {printable(str(path))}"
    folder = target.parent if str(target.parent) else Path(".")
    try:
        st = os.stat(target)  # through a symlink, as replacing() writes
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UsageError(f"{shown}: cannot be written ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"{shown} is a directory", hint="give a file name inside it")
        if not stat.S_ISREG(st.st_mode):
            raise UsageError(
                f"{shown} is not a regular file; convcalc replaces only regular files",
                hint="give the path of a file",
            )
        if not force:
            raise UsageError(f"{shown} exists; pass --force to overwrite it")
        if read_only(target):
            raise UsageError(f"{shown} is read-only; convcalc does not replace it")
    if not folder.is_dir():
        raise UsageError(
            f"{shown}: the folder {printable(str(folder))} does not exist",
            hint="create it first",
        )
    try:  # the one sure test that the folder takes a new file (read-only mounts, root or not)
        with deferred_ctrl_c():
            fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"{shown}: cannot write in {printable(str(folder))} ({exc.strerror})"
        ) from None


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary file to write ``path``'s new content into; it replaces ``path`` on success.

    A symlink is written through (its target is replaced, the link stays); a directory, a
    device such as /dev/null, a FIFO or a socket is never replaced (:class:`UsageError`), nor
    is a read-only file (:class:`PermissionError`)."""
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.stat(target).st_mode):
            raise UsageError(
                f"{printable(str(path))} is not a regular file; convcalc replaces only "
                "regular files",
                hint="give the path of a file",
            )
    folder = target.parent if str(target.parent) else Path(".")
    if target.exists() and read_only(target):
        raise PermissionError(errno.EACCES, "the file is read-only", str(path))
    tmp = ""
    try:
        with deferred_ctrl_c():
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def write_bytes(path: str | Path, data: bytes) -> None:
    with replacing(path) as fh:
        fh.write(data)


def write_text(path: str | Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))
