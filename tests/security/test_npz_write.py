"""``write_npz``: what numpy.savez writes, and a Ctrl-C that lands mid-write is the Ctrl-C.

numpy.savez under a SIGINT that lands inside zipfile (between opening a member and closing it)
raised "Can't close the ZIP file while there is an open writing handle" instead of the
interrupt, and the half-closed ZipFile complained again when it was collected."""

from __future__ import annotations

import gc
import io
import signal
import sys
import zipfile
from collections.abc import Iterator

import numpy as np
import pytest

from convcalc.runtime import archives
from convcalc.runtime.archives import write_npz


@pytest.fixture(autouse=True)
def python_sigint_handler() -> Iterator[None]:
    """SIGINT handled as in a fresh ``convcalc`` process (an earlier test may have left it
    ignored), and put back afterwards."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "input_1": rng.standard_normal((1, 5, 7, 3), dtype=np.float32),
        "conv": np.asfortranarray(rng.standard_normal((4, 6))),  # float64, Fortran order
        "empty": np.zeros((0, 3), np.float32),
        "flags": np.array([True, False]),
        "big": np.arange(5 << 20, dtype=np.float32),  # 20 MiB: two of write_array's chunks
    }


def test_what_numpy_reads_back_is_what_was_written() -> None:
    buf = io.BytesIO()
    write_npz(buf, arrays())
    with np.load(io.BytesIO(buf.getvalue())) as loaded:
        assert loaded.files == list(arrays())
        for name, want in arrays().items():
            got = loaded[name]
            assert got.dtype == want.dtype and got.shape == want.shape
            assert np.array_equal(got, want)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:  # the members numpy.savez makes
        assert [i.compress_type for i in zf.infolist()] == [zipfile.ZIP_STORED] * 5
        assert zf.namelist() == [f"{n}.npy" for n in arrays()]
        assert zf.testzip() is None  # every CRC right


def test_a_sigint_mid_write_raises_keyboardinterrupt_at_the_next_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The signal arrives while the first chunk of "big" is being written: that chunk is
    finished, the next one is not started, and the archive closes without an error."""
    writes: list[int] = []
    original = archives._Interruptible.write

    def write(self: archives._Interruptible, data: bytes) -> int:
        writes.append(len(data))
        written = original(self, data)
        if len(data) == 16 << 20:  # while the first chunk of "big" is written
            signal.raise_signal(signal.SIGINT)  # a real SIGINT, to the deferring handler
        return written

    unraisable: list[object] = []
    monkeypatch.setattr(archives._Interruptible, "write", write)
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    buf = io.BytesIO()
    with pytest.raises(KeyboardInterrupt) as caught:
        write_npz(buf, arrays())
    assert caught.value.__context__ is None  # the interrupt itself, not what it broke
    assert writes[-2:] == [16 << 20, 4 << 20]  # the second chunk was refused before writing
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    gc.collect()
    assert unraisable == []  # nothing left half-open to complain when collected
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:  # a closed, valid archive
        assert zf.namelist()[:4] == ["input_1.npy", "conv.npy", "empty.npy", "flags.npy"]


def test_a_sigint_during_the_last_close_takes_effect_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No chunk is left to check at: the interrupt comes when the archive is closed."""
    original = zipfile.ZipFile.close

    def close(self: zipfile.ZipFile) -> None:
        signal.raise_signal(signal.SIGINT)
        original(self)

    monkeypatch.setattr(zipfile.ZipFile, "close", close)
    buf = io.BytesIO()
    with pytest.raises(KeyboardInterrupt) as caught:
        write_npz(buf, {"a": np.ones(3, np.float32)})
    assert caught.value.__context__ is None
    monkeypatch.undo()
    with np.load(io.BytesIO(buf.getvalue())) as loaded:
        assert np.array_equal(loaded["a"], np.ones(3, np.float32))


def test_an_ignored_sigint_stays_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process started with SIGINT ignored (``nohup``, ``&`` in a script) is not interrupted
    by the deferral either."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    original = archives._Interruptible.write

    def write(self: archives._Interruptible, data: bytes) -> int:
        signal.raise_signal(signal.SIGINT)
        return original(self, data)

    monkeypatch.setattr(archives._Interruptible, "write", write)
    buf = io.BytesIO()
    write_npz(buf, {"a": np.ones(3, np.float32)})
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    with np.load(io.BytesIO(buf.getvalue())) as loaded:
        assert np.array_equal(loaded["a"], np.ones(3, np.float32))
