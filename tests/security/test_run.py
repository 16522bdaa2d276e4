"""Rows 8-11 of issue 9's table: `run` estimates before it allocates, reads hostile arrays
without trusting their headers, refuses inputs it cannot give meaning to, checks where it will
write before it starts, and an interrupted write leaves the previous file as it was."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from convcalc.analysis import analyze, parse_spec
from convcalc.analysis.memory import RUNTIME_BYTES, SLAB_BYTES, STATS_BYTES, estimate
from tests.security.conftest import ROOT, cli, no_traceback

SMALL = "input: [4, 4, 3]\nlayers:\n  - Conv2D: {name: c, filters: 2, kernel_size: 3}\n"
# 100,000 x 100,000 x 3 float32 input (111.76 GiB), a 16-channel 'same' convolution of it
# (596.05 GiB), and a padded copy of the input (111.8 GiB): 4*3*1e10, 4*16*1e10 bytes by hand
HUGE = (
    "input: [100000, 100000, 3]\nlayers:\n"
    "  - Conv2D: {name: wide, filters: 16, kernel_size: 3, padding: same}\n"
)
# Dense 100,000 -> 1,250,000: (100,000 + 1) * 1,250,000 weights * 4 B = 465.66 GiB
HEAVY = "input: [100000]\nlayers:\n  - Dense: {name: fc, units: 1250000}\n"


def _npy_header(shape: tuple[int, ...], descr: str = "<f4") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


PEAK = (
    "import atexit, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    sys.stderr.write('peak ' + status.split('VmHWM:')[1].split()[0] + '\\n')\n"
    "atexit.register(peak)\n"
    "sys.argv = ['convcalc'] + sys.argv[1:]\n"
    "from convcalc.cli import main\n"
    "main()\n"
)


def _peak_mib(args: list[str], cwd: Path) -> tuple[int, float, str]:
    """Exit code, peak resident MiB (VmHWM: the process's own, not its parent's before the
    fork, which ru_maxrss would count) and stderr of the CLI as a process."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    err, _, peak = done.stderr.rpartition("peak ")
    return done.returncode, int(peak) / 1024, err


def test_a_run_that_cannot_fit_is_refused_before_allocating(here: Path) -> None:
    (here / "huge.yaml").write_text(HUGE)
    code, peak, err = _peak_mib(["run", "huge.yaml"], here)
    assert code == 2 and peak < 300, (code, peak)
    assert err.startswith(
        "error: this run needs about 819.70 GiB (inputs 111.76 GiB, weights 0.0 MiB, "
        "activations 596.05 GiB (at wide), working buffers 111.90 GiB), more than the "
    )
    assert "of available memory; nothing was allocated\n" in err
    assert err.endswith(
        "hint: the largest layer output is 'wide' (596.05 GiB); --max-memory SIZE sets the limit\n"
    )


def test_weights_that_cannot_fit_are_refused(here: Path) -> None:
    (here / "heavy.yaml").write_text(HEAVY)
    result = cli("run", "heavy.yaml", "--max-memory", "64GiB")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: this run needs about 465.81 GiB (inputs 0.4 MiB, weights 465.67 GiB, "
    )
    assert "more than the 64.00 GiB of --max-memory; nothing was allocated" in result.stderr


def test_the_estimate_follows_the_graph() -> None:
    # a -> b -> c, and a also feeds c (a lives until c has run): 8x8x4 float32 = 1,024 B each
    text = (
        "input: [8, 8, 4]\nlayers:\n"
        "  - ReLU: {name: a}\n  - ReLU: {name: b}\n  - Add: {name: c, inputs: [a, b]}\n"
        "  - ReLU: {name: d}\n"
    )
    report = analyze(parse_spec(text, "g.yaml"))
    est = estimate(report)
    # by hand: while c runs a, b and c are alive (3,072); then a and b are freed; d runs with
    # c alive (2,048). Work: c's inputs a + b (2,048), two slabs, the statistics, the runtime
    assert (est.activations, est.peak_layer) == (3 * 1024, "c")
    assert est.workspace == 2 * 1024 + 2 * SLAB_BYTES + STATS_BYTES + RUNTIME_BYTES
    assert est.inputs == 1024 and est.weights == 0
    assert est.peak == 1024 + 3 * 1024 + est.workspace
    kept = estimate(report, batch=2, keep_all=True)  # --output keeps every activation
    assert kept.activations == 2 * 4 * 1024
    # timed passes on 3 threads: each batch shard or split-layer worker has its two slabs
    three = estimate(report, threads=3)
    assert three.workspace - est.workspace == 2 * 2 * SLAB_BYTES


def test_the_memory_slab_is_the_ops_slab() -> None:
    from convcalc.ops.base import TUNING

    assert SLAB_BYTES == TUNING.chunk * 4


def test_a_lying_npy_header_is_never_allocated(here: Path) -> None:
    (here / "s.yaml").write_text(SMALL)
    (here / "lie.npy").write_bytes(_npy_header((10**6, 10**6)) + b"\0" * 64)
    result = cli("run", "s.yaml", "--input", "lie.npy")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --input lie.npy: the array's header says shape (1000000, 1000000) of float32 "
        "(4,000,000,000,000 bytes), but the file holds 64 bytes of data\n"
        "  hint: the file is damaged or was not written by numpy.save/savez\n",
    )


def test_a_zip_bomb_is_not_decompressed(here: Path) -> None:
    (here / "s.yaml").write_text(SMALL)
    with zipfile.ZipFile(here / "bomb.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("c/kernel.npy", "w", force_zip64=True) as fh:
            fh.write(_npy_header((2**28,)))
            zeros = b"\0" * (1 << 22)
            for _ in range(256):  # 1 GiB of zeros, about 1 MiB compressed
                fh.write(zeros)
        z.writestr("c/bias.npy", _npy_header((2,)) + b"\0" * 8)
    code, peak, err = _peak_mib(["run", "s.yaml", "--weights", "bomb.npz"], here)
    assert code == 2 and peak < 300, (code, peak)
    assert err == (
        "bomb.npz: error: layers[0] 'c' (Conv2D): weight 'c/kernel' has shape (268435456,); "
        "expected (3, 3, 3, 2) (keras layout)\n"
        "  hint: --weights-layout torch reads PyTorch layouts\n"
    )


def test_a_zip_bomb_inside_a_keras_archive_is_not_decompressed(here: Path) -> None:
    """A .keras archive's model.weights.h5 is read from the zip whole: its declared size must
    be sane first (here 50 MiB of zeros deflated to about 50 KB: a 1,000x inflation)."""
    (here / "s.yaml").write_text(SMALL)
    with zipfile.ZipFile(here / "bomb.keras", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", b"\0" * (50 << 20))
    code, peak, err = _peak_mib(["run", "s.yaml", "--weights", "bomb.keras"], here)
    assert code == 2 and peak < 150, (code, peak)
    size = (here / "bomb.keras").stat().st_size
    assert err.startswith("error: --weights bomb.keras: model.weights.h5 inflates 52,428,800 ")
    assert "(more than 100x): refused as a zip bomb" in err and size < 60_000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"PK\x03\x04 not a zip at all",
            "starts like a zip archive but is not one (File is not a zip file)",
        ),
        (b"hello", "not a NumPy .npy or .npz file"),
        (
            _npy_header((2,), "|O") + b"\0" * 16,
            "the array has dtype object; convcalc reads numeric arrays only",
        ),
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}    \n", "the array has no valid .npy header"),
    ],
    ids=["pk-not-zip", "text", "object-dtype", "bad-header"],
)
def test_files_that_are_not_arrays(here: Path, content: bytes, message: str) -> None:
    (here / "s.yaml").write_text(SMALL)
    (here / "x.npz").write_bytes(content)
    for flag in ("--input", "--weights"):
        result = cli("run", "s.yaml", flag, "x.npz")
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error: {flag} x.npz: {message}"), result.stderr
        no_traceback(result.stderr)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (
            np.zeros((4, 4, 3), np.complex64),
            "error: --input x.npy: array is complex (complex64); convcalc runs real float32 "
            "inputs\n  hint: pass the real part (numpy.real) if that is what you mean\n",
        ),
        (
            np.zeros((0, 4, 4, 3), np.float32),
            "error: --input x.npy: array holds a batch of 0 samples\n  hint: give at least one\n",
        ),
        (
            np.where(np.arange(48).reshape(4, 4, 3) == 7, np.nan, 1.0),
            "error: --input x.npy: array holds nan at index (0, 0, 2, 1) (NaN and infinities, "
            "and values beyond float32's range, give no meaningful statistics)\n"
            "  hint: replace them (numpy.nan_to_num) or clip the values\n",
        ),
        (
            np.full((1, 4, 4, 3), 1e39),  # float64 beyond float32's range
            "error: --input x.npy: array holds inf at index (0, 0, 0, 0) (NaN and infinities, "
            "and values beyond float32's range, give no meaningful statistics)\n"
            "  hint: replace them (numpy.nan_to_num) or clip the values\n",
        ),
    ],
    ids=["complex", "batch-0", "nan", "beyond-float32"],
)
def test_inputs_without_meaning_are_refused(here: Path, array: np.ndarray, message: str) -> None:
    (here / "s.yaml").write_text(SMALL)
    np.save(here / "x.npy", array)
    result = cli("run", "s.yaml", "--input", "x.npy")
    assert (result.exit_code, result.stderr) == (2, message)


@pytest.mark.parametrize(
    ("output", "extra", "message"),
    [
        (
            "nodir/a.npz",
            [],
            "error: --output nodir/a.npz: the folder nodir does not exist\n  hint: create it first\n",
        ),
        (
            ".",
            ["--force"],
            "error: --output . is a directory\n  hint: give a file name inside it\n",
        ),
        (
            "/dev/null",
            ["--force"],
            "error: --output /dev/null is not a regular file; convcalc replaces only regular files\n  hint: give the path of a file\n",
        ),
    ],
    ids=["no-folder", "directory", "device"],
)
def test_output_destinations_are_checked_before_the_run(
    here: Path, monkeypatch: pytest.MonkeyPatch, output: str, extra: list[str], message: str
) -> None:
    (here / "s.yaml").write_text(SMALL)

    def never(*a: object, **k: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr("convcalc.runtime.executor.Execution.__init__", never)
    result = cli("run", "s.yaml", "--output", output, *extra)
    assert (result.exit_code, result.stderr) == (2, message)


def test_a_read_only_output_is_not_replaced(here: Path) -> None:
    (here / "s.yaml").write_text(SMALL)
    (here / "old.npz").write_bytes(b"previous")
    (here / "old.npz").chmod(0o444)
    result = cli("run", "s.yaml", "--output", "old.npz", "--force")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --output old.npz is read-only; convcalc does not replace it\n",
    )
    assert (here / "old.npz").read_bytes() == b"previous"


def test_an_interrupted_output_write_leaves_the_previous_file(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (here / "s.yaml").write_text(SMALL)
    (here / "acts.npz").write_bytes(b"the previous run's activations")

    def interrupted(fp: io.BufferedWriter, array: np.ndarray, **kwargs: object) -> None:
        fp.write(b"\x93NUMPY half an array")
        raise KeyboardInterrupt  # Ctrl-C in the middle of the write

    with monkeypatch.context() as patched:
        patched.setattr(np.lib.format, "write_array", interrupted)
        result = cli("run", "s.yaml", "--output", "acts.npz", "--force")
    assert result.exit_code == 130
    assert result.stderr == "error: interrupted; files being written were left as they were\n"
    assert (here / "acts.npz").read_bytes() == b"the previous run's activations"
    assert sorted(p.name for p in here.iterdir()) == ["acts.npz", "s.yaml"]  # no temp file
    assert cli("run", "s.yaml", "--output", "acts.npz", "--force").exit_code == 0  # not blocked
    assert sorted(np.load(here / "acts.npz").files) == ["c", "input_1"]


def test_check_update_on_a_read_only_spec(here: Path) -> None:
    spec = here / "ro.yaml"
    spec.write_text(SMALL + "expect:\n  params: 1\n")
    spec.chmod(0o444)
    result = cli("check", "ro.yaml", "--update")
    assert result.exit_code == 2
    assert result.stderr == (
        "ro.yaml: error: --update cannot write this file: the file is read-only\n"
    )
    assert spec.read_text().endswith("params: 1\n")
    no_traceback(result.stdout, result.stderr)


def _interrupt_the_write(here: Path) -> subprocess.Popen[str] | None:
    """Run with --output and send SIGINT once the hidden temporary appears; None when the write
    finished before the signal could be sent (the caller tries again)."""
    import signal
    import time

    # `python -m convcalc run ...` with SIGINT handled as from a terminal, even where the tests
    # run with it ignored (started by a script's `&`), which the child would inherit
    main = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "sys.argv[0] = 'convcalc'; runpy.run_module('convcalc', run_name='__main__')"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", main, "run", "big.yaml", "--output", "acts.npz", "--force"],
        cwd=here,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if any(p.name.startswith(".acts.npz.") for p in here.iterdir()):
            proc.send_signal(signal.SIGINT)  # Ctrl-C, in the middle of the write
            break
        time.sleep(0.0005)
    proc.wait(timeout=60)
    return None if proc.returncode == 0 else proc


def test_a_real_ctrl_c_during_the_output_write(here: Path) -> None:
    """SIGINT while the activations are being written (the file appears as a hidden temporary
    in the same folder): the previous file stays whole, the temporary goes, exit code 130.
    A run whose write ends before the signal lands is tried again (up to 5 times)."""
    (here / "big.yaml").write_text(
        "input: [1024, 1024, 8]\nlayers:\n"
        + "".join(f"  - ReLU: {{name: r{i}}}\n" for i in range(12))  # 12 x 32 MiB to write
    )
    for _ in range(5):
        (here / "acts.npz").write_bytes(b"the previous run")
        proc = _interrupt_the_write(here)
        if proc is not None:
            break
    assert proc is not None, "five writes ended before the signal could be sent"
    assert proc.stderr is not None
    assert (proc.returncode, proc.stderr.read()) == (
        130,
        "error: interrupted; files being written were left as they were\n",
    )
    assert (here / "acts.npz").read_bytes() == b"the previous run"
    assert sorted(p.name for p in here.iterdir()) == ["acts.npz", "big.yaml"]


def test_no_write_ever_replaces_a_device_or_a_link(here: Path) -> None:
    import stat

    from convcalc import atomic
    from convcalc.errors import UsageError

    with pytest.raises(UsageError) as err:
        atomic.write_text("/dev/null", "x")  # what `explain --save /dev/null --force` asks
    assert err.value.render() == (
        "error: /dev/null is not a regular file; convcalc replaces only regular files\n"
        "  hint: give the path of a file"
    )
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    (here / "real.yaml").write_text("old")
    (here / "link.yaml").symlink_to("real.yaml")
    atomic.write_text(here / "link.yaml", "new")  # written through: the link stays a link
    assert (here / "link.yaml").is_symlink() and (here / "real.yaml").read_text() == "new"
    assert sorted(p.name for p in here.iterdir()) == ["link.yaml", "real.yaml"]
