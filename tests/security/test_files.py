"""Rows 3-5 of issue 9's table: what a pull request can commit in place of a spec (a symlink to
/dev/zero or out of the repository, a FIFO, a symlinked folder under a recursive glob) is
refused with a located error, and nothing outside the working tree is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convcalc.spec.limits import MAX_FILE_BYTES
from tests.security.conftest import GOOD, ROOT, cli, no_traceback

DEVICE = (
    "error: is a character device (a symlink to /dev/zero), not a regular file\n"
    "  hint: convcalc reads only regular files\n"
)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize(
    "args",
    [["summary", "zero.yaml"], ["check", "zero.yaml"], ["diff", "zero.yaml", "ok.yaml"]],
    ids=["summary", "check", "diff"],
)
def test_a_symlink_to_dev_zero_is_never_read(here: Path, args: list[str]) -> None:
    (here / "zero.yaml").symlink_to("/dev/zero")
    (here / "ok.yaml").write_text(GOOD)
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr == "zero.yaml: " + DEVICE
    no_traceback(result.stdout, result.stderr)


def test_a_device_named_explicitly_is_refused(here: Path) -> None:
    result = cli("summary", "/dev/zero")
    assert (result.exit_code, result.stderr) == (
        2,
        "/dev/zero: error: is a character device, not a regular file\n"
        "  hint: convcalc reads only regular files\n",
    )


def test_a_fifo_is_refused_without_blocking(here: Path) -> None:
    os.mkfifo(here / "pipe.yaml")  # opening it for reading would wait for a writer forever
    (here / "ok.yaml").write_text(GOOD)
    result = cli("check", "*.yaml")
    assert result.exit_code == 2
    assert result.stdout.splitlines()[-1] == "2 specs: 1 passed, 0 failed, 1 invalid"
    assert result.stderr == (
        "pipe.yaml: error: is a FIFO (named pipe), not a regular file\n"
        "  hint: convcalc reads only regular files\n"
    )


def test_a_symlink_out_of_the_tree_is_refused_and_its_keys_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "outside" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("AWS_SECRET_KEY_abc123: 1\nlayers: [Flatten]\n")
    repo = tmp_path / "repo"
    (repo / "specs").mkdir(parents=True)
    (repo / "specs" / "x.yaml").symlink_to(secret)
    (repo / "specs" / "up.yaml").symlink_to("../../outside/secret.yaml")
    monkeypatch.chdir(repo)
    for fmt in ("text", "github", "json", "markdown", "junit"):
        result = cli("check", "specs/*.yaml", "--format", fmt)
        assert result.exit_code == 2
        assert "AWS_SECRET_KEY" not in result.stdout + result.stderr
    result = cli("summary", "specs/x.yaml")
    assert result.stderr == (
        "specs/x.yaml: error: is reached through a symlink that leads outside the working "
        f"directory, to {secret}\n"
        "  hint: pass --allow-outside-links to read it anyway\n"
    )
    allowed = cli("summary", "specs/x.yaml", "--allow-outside-links")
    assert "unknown top-level key 'AWS_SECRET_KEY_abc123'" in allowed.stderr  # read: as asked


def test_a_symlink_inside_the_tree_and_paths_given_outside_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "real.yaml").write_text(GOOD)
    (repo / "link.yaml").symlink_to("real.yaml")
    (tmp_path / "elsewhere.yaml").write_text(GOOD)
    monkeypatch.chdir(repo)
    assert cli("check", "link.yaml").exit_code == 0
    assert cli("check", str(tmp_path / "elsewhere.yaml")).exit_code == 0  # asked for as it is
    assert cli("check", "../elsewhere.yaml").exit_code == 0


@pytest.mark.parametrize("target", ["/usr", ".."], ids=["to-usr", "to-parent"])
def test_recursive_globs_do_not_follow_symlinked_folders(here: Path, target: str) -> None:
    (here / "specs" / "a" / "b").mkdir(parents=True)
    (here / "specs" / "top.yaml").write_text(GOOD)
    (here / "specs" / "a" / "b" / "deep.yaml").write_text(GOOD)
    (here / "specs" / "a" / "loop").symlink_to(target, target_is_directory=True)
    result = cli("check", "specs/**/*.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "PASS   specs/a/b/deep.yaml (deep): 1 check holds",
        "PASS   specs/top.yaml (top): 1 check holds",
        "2 specs: 2 passed, 0 failed, 0 invalid",
    ]


def test_recursive_glob_matches_what_glob_matches_without_links(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import glob

    from convcalc.tools.check import glob_files

    monkeypatch.chdir(ROOT)
    for pattern in ("specs/*.yaml", "**/*.yaml", "tests/**/*.npz", "docs/**", "tests/*/test_*.py"):
        expected = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        assert glob_files(pattern) == expected, pattern


def test_the_size_limit_and_its_flag(here: Path) -> None:
    (here / "big.yaml").write_text(GOOD + "#" * 2000 + "\n")
    size = (here / "big.yaml").stat().st_size
    result = cli("summary", "big.yaml", "--max-file-size", "1KiB")
    assert (result.exit_code, result.stderr) == (
        2,
        f"big.yaml: error: is {size:,} bytes, over the limit of 1,024 bytes for a spec\n"
        f"  hint: pass --max-file-size {size} (or more) to read it\n",
    )
    assert cli("summary", "big.yaml", "--max-file-size", str(size)).exit_code == 0
    assert MAX_FILE_BYTES == 16 * 2**20  # README "Limits" says so


def test_the_layer_limit_and_its_flag(here: Path) -> None:
    layers = "".join(f"  - ReLU: {{name: r{i}}}\n" for i in range(5))
    (here / "five.yaml").write_text("input: [4]\nlayers:\n" + layers)
    result = cli("summary", "five.yaml", "--max-layers", "4")
    assert (result.exit_code, result.stderr) == (
        2,
        "five.yaml:7:5: error: the spec expands to more than 4 layers\n"
        "  hint: check the repeat: counts, or pass --max-layers N to allow more\n",
    )
    assert cli("summary", "five.yaml", "--max-layers", "5").exit_code == 0


def test_not_utf8_is_located(here: Path) -> None:
    (here / "latin.yaml").write_bytes(b"name: caf\xe9\ninput: [1]\nlayers: [Flatten]\n")
    result = cli("summary", "latin.yaml")
    assert (result.exit_code, result.stderr) == (
        2,
        "latin.yaml:1:10: error: is not UTF-8 text (invalid continuation byte at byte 9)\n"
        "  hint: save the spec as UTF-8\n",
    )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["m.onnx", "m.keras", "m.json", "m.h5"])
def test_a_model_file_that_is_dev_zero_is_never_read(here: Path, name: str) -> None:
    (here / name).symlink_to("/dev/zero")
    result = cli("summary", name)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{name}: error: is a character device (a symlink to /dev/zero), not a regular file\n"
    )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("w.npz", ""),
        ("x.npy", ""),
        ("w.safetensors", "  hint: convcalc reads only regular files\n"),
        ("w.h5", "  hint: convcalc reads only regular files\n"),
        ("w.onnx", "  hint: convcalc reads only regular files\n"),
    ],
)
def test_a_weights_or_input_file_that_is_dev_zero_is_never_read(
    here: Path, name: str, hint: str
) -> None:
    (here / "s.yaml").write_text(GOOD)
    (here / name).symlink_to("/dev/zero")
    flag = "--input" if name.endswith(".npy") else "--weights"
    result = cli("run", "s.yaml", flag, name)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: {flag} {name}: is a character device (a symlink to /dev/zero), not a "
        "regular file\n" + hint,
    )
