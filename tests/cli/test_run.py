"""`convcalc run` and `convcalc summary --run`: outputs, options and every error message whole."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from convcalc.cli import app
from convcalc.layers import REGISTRY

SMALL = """\
name: small
input: [6, 5, 2]
layers:
  - Conv2D: {name: conv, filters: 3, kernel_size: 3, padding: same, activation: relu}
  - MaxPooling2D: {name: pool, pool_size: 2}
  - Flatten: {name: flat}
  - Dense: {name: fc, units: 4}
"""
TORCH = """\
name: tiny
data_format: channels_first
input: [2, 4]
layers:
  - Conv1d: {name: conv, out_channels: 3, kernel_size: 3}
  - Flatten: {name: flat}
  - Linear: {name: fc, out_features: 2}
"""


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    (tmp_path / "small.yaml").write_text(SMALL)
    return tmp_path / "small.yaml"


@pytest.fixture()
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "tiny.yaml").write_text(TORCH)
    return tmp_path / "tiny.yaml"


def test_run_json_has_executed_shapes_times_and_forward(small: Path) -> None:
    result = cli("run", small, "--format", "json", "--batch", "3", "--repeat", "2")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [layer["executed_shape"] for layer in doc["layers"]] == [
        layer["output_shape"] for layer in doc["layers"]
    ]
    assert [layer["output_shape"] for layer in doc["layers"]] == [
        [6, 5, 2],
        [6, 5, 3],
        [3, 2, 3],
        [18],
        [4],
    ]
    assert all(layer["time_s"] >= 0 for layer in doc["layers"])
    assert doc["forward_s"] > 0
    assert doc["run"]["batch"] == 3 and doc["run"]["passes"] == 2 and doc["run"]["warmup"]
    conv = doc["layers"][1]["stats"]
    assert conv["min"] == 0.0 and conv["max"] > 0  # after ReLU


def test_summary_run_table_adds_the_run_columns(small: Path) -> None:
    result = cli("summary", small, "--run", "--no-color")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[2].split()
    assert header[-9:] == ["Param", "#", "MACs", "Executed", "Time", "Mean", "Std", "Min", "Max"]
    conv_row = next(line for line in result.stdout.splitlines() if line.startswith(" conv "))
    assert "(None, 6, 5, 3)" in conv_row and "(1, 6, 5, 3)" in conv_row
    assert any(
        line.startswith("Forward:") and "batch 1, 1 pass" in line
        for line in result.stdout.splitlines()
    )


def test_summary_without_run_is_unchanged(small: Path) -> None:
    plain = cli("summary", small, "--no-color").stdout
    assert "Executed" not in plain and "Forward" not in plain


@pytest.mark.parametrize(
    "fmt,needle",
    [
        ("markdown", "| Executed | Time | Mean | Std | Min | Max |"),
        ("csv", "macs,executed_shape,time_s,mean,std,min,max"),
    ],
)
def test_run_markdown_and_csv(small: Path, fmt: str, needle: str) -> None:
    result = cli("run", small, "--format", fmt)
    assert result.exit_code == 0, result.output
    assert needle in result.stdout
    if fmt == "csv":
        # MACs 6·5·3·(2·3·3) = 1,620
        assert result.stdout.splitlines()[2].startswith(
            "conv,Conv2D,input_1,6x5x3,57,57,0,1620,1x6x5x3,"
        )


def test_seed_changes_values_and_is_reproducible(small: Path) -> None:
    def fc_stats(seed: int) -> dict:
        doc = json.loads(cli("run", small, "--format", "json", "--seed", seed).stdout)
        return doc["layers"][-1]["stats"]

    # the same seed gives the same values (up to the BLAS's summation order, which can depend
    # on how an array happens to be aligned in memory)
    assert fc_stats(1) == pytest.approx(fc_stats(1), rel=1e-5)
    assert fc_stats(1)["mean"] != pytest.approx(fc_stats(2)["mean"], rel=1e-2)


def test_input_weights_output_torch_layout(tiny: Path, tmp_path: Path) -> None:
    """A channels_first Conv1d -> Flatten -> Linear with PyTorch-layout weights, checked by hand:
    Flatten reads (C, L) order, as torch.flatten does."""
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 4)  # (N, C, L)
    w = np.zeros((3, 2, 3), dtype=np.float32)  # (out, in, k)
    w[0, 0, 0] = 1.0  # out0[l] = x[0, l]
    w[1, 1, 2] = 2.0  # out1[l] = 2·x[1, l + 2]
    b = np.array([0.0, 0.0, 0.5], dtype=np.float32)  # out2 = 0.5
    fc_w = np.zeros((2, 6), dtype=np.float32)
    fc_w[0, 1] = 1.0  # flat[1] = out0[1] = 1
    fc_w[1, 2] = 1.0  # flat[2] = out1[0] = 2·x[1, 2] = 12
    np.save(tmp_path / "x.npy", x)
    np.savez(
        tmp_path / "w.npz",
        **{"conv.weight": w, "conv.bias": b, "fc.weight": fc_w, "fc.bias": np.zeros(2, np.float32)},
    )
    out = tmp_path / "acts.npz"
    result = cli(
        "run",
        tiny,
        "--input",
        tmp_path / "x.npy",
        "--weights",
        tmp_path / "w.npz",
        "--weights-layout",
        "torch",
        "--output",
        out,
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    acts = np.load(out)
    assert sorted(acts.files) == ["conv", "fc", "flat", "input_1"]
    assert np.array_equal(acts["conv"], [[[0, 1], [12, 14], [0.5, 0.5]]])
    assert np.array_equal(acts["fc"], [[1, 12]])
    again = cli("run", tiny, "--output", out)
    assert (again.exit_code, again.stderr) == (
        2,
        f"error: --output {out} exists; pass --force to overwrite it\n",
    )
    assert cli("run", tiny, "--output", out, "--force").exit_code == 0


def test_true_convolution_flips_the_kernel(tiny: Path, tmp_path: Path) -> None:
    x = np.array([[[1, 2, 4, 8], [0, 0, 0, 0]]], dtype=np.float32)
    w = np.zeros((3, 2, 3), dtype=np.float32)
    w[0, 0] = [1, 10, 100]
    np.save(tmp_path / "x.npy", x)
    np.savez(
        tmp_path / "w.npz",
        **{
            "conv.weight": w,
            "conv.bias": np.zeros(3, np.float32),
            "fc.weight": np.zeros((2, 6), np.float32),
            "fc.bias": np.zeros(2, np.float32),
        },
    )
    for flag, expected in (
        ([], [1 + 20 + 400, 2 + 40 + 800]),  # cross-correlation
        (["--true-convolution"], [100 + 20 + 4, 200 + 40 + 8]),
    ):
        out = tmp_path / f"a{len(flag)}.npz"
        result = cli(
            "run",
            tiny,
            "--input",
            tmp_path / "x.npy",
            "--weights",
            tmp_path / "w.npz",
            "--weights-layout",
            "torch",
            "--output",
            out,
            *flag,
        )
        assert result.exit_code == 0, result.output
        assert np.load(out)["conv"][0, 0].tolist() == expected


def test_input_shape_mismatch(small: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((5, 5, 2), np.float32))
    result = cli("run", small, "--input", tmp_path / "x.npy")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --input {tmp_path / 'x.npy'}: array has shape (5, 5, 2); "
        f"the spec's input is (None, 6, 5, 2) (one sample (6, 5, 2), or a "
        f"batch)\n"
    )


def test_batch_disagrees_with_input(small: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((2, 6, 5, 2), np.float32))
    result = cli("run", small, "--input", tmp_path / "x.npy", "--batch", "3")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --batch 3 but --input {tmp_path / 'x.npy'} holds a batch of 2\n",
    )


def test_weight_shape_mismatch_names_layer_and_shapes(tiny: Path, tmp_path: Path) -> None:
    np.savez(
        tmp_path / "w.npz",
        **{
            "conv.weight": np.zeros((3, 2, 5), np.float32),
            "conv.bias": np.zeros(3, np.float32),
            "fc.weight": np.zeros((2, 6), np.float32),
        },
    )
    result = cli("run", tiny, "--weights", tmp_path / "w.npz", "--weights-layout", "torch")
    w = tmp_path / "w.npz"
    assert result.exit_code == 2
    assert result.stderr == (
        f"{w}: error: layers[0] 'conv' (Conv1D): weight 'conv/weight' has shape (3, 2, 5); "
        f"expected (3, 2, 3) (torch layout)\n"
        f"  hint: --weights-layout keras reads Keras layouts\n"
        f"{w}: error: layers[2] 'fc' (Dense): missing key 'fc.bias' (torch layout, "
        f"shape (2,))\n"
        f"2 problems in {w}\n"
    )


def test_torch_names_read_as_keras_layout(tiny: Path, tmp_path: Path) -> None:
    """A PyTorch state_dict given without --weights-layout torch is one mistake, said once."""
    w = tmp_path / "w.npz"
    np.savez(
        w,
        **{
            "conv.weight": np.zeros((3, 2, 3), np.float32),
            "conv.bias": np.zeros(3, np.float32),
            "fc.weight": np.zeros((2, 6), np.float32),
            "fc.bias": np.zeros(2, np.float32),
        },
    )
    result = cli("run", tiny, "--weights", w)
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --weights {w} uses PyTorch names and layouts (e.g. 'conv.weight'); pass "
        f"--weights-layout torch\n",
    )


def test_unknown_and_unexpected_weight_names(tiny: Path, tmp_path: Path) -> None:
    w = tmp_path / "w.npz"
    np.savez(
        w,
        **{
            "conv/kernel": np.zeros((3, 2, 3), np.float32),
            "conv/gamma": np.zeros(3, np.float32),
            "fc/kernel": np.zeros((6, 2), np.float32),
            "fc/bias": np.zeros(2, np.float32),
            "fx/kernel": np.zeros(1, np.float32),
        },
    )
    result = cli("run", tiny, "--weights", w)
    assert result.exit_code == 2
    assert result.stderr == (
        f"{w}: error: unexpected key 'fx/kernel': it names no layer of the spec\n"
        f"  hint: keys are '<layer name>/<weight>' or '<layer name>.<weight>' (a PyTorch "
        f"module path matches the layer named with '_' for '.')\n"
        f"{w}: error: layers[0] 'conv' (Conv1D): missing key 'conv/bias' (keras layout, "
        f"shape (3,))\n"
        f"{w}: error: layers[0] 'conv' (Conv1D): unexpected weight 'conv/gamma'\n"
        f"  hint: this layer's weights: kernel, bias\n"
        f"3 problems in {w}\n"
    )


def test_run_options_need_run(small: Path) -> None:
    result = cli("summary", small, "--seed", "3", "--repeat", "2", "--batch", "2")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --seed, --repeat apply only with --run\n",  # summary --batch N is a view
    )


def test_keras_style_has_no_run_columns(small: Path) -> None:
    result = cli("summary", small, "--run", "--style", "keras")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --style keras prints Keras's summary exactly and has no room for the --run "
        "columns; drop --style keras\n",
    )


def test_unsupported_feature_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "up.yaml"
    spec.write_text("input: [2, 2, 1]\nlayers:\n  - UpSampling2D: {interpolation: bicubic}\n")
    result = cli("run", spec)
    assert (result.exit_code, result.stderr) == (
        2,
        f"{spec}:3:35: error: layers[0] 'up_sampling2d' (UpSampling2D): --run supports "
        f"interpolation 'nearest' and 'bilinear'; received 'bicubic' (PyTorch and Keras "
        f"define it differently)\n",
    )


def test_shape_mismatch_is_loud(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forward that disagrees with the engine stops the run, naming the layer (exit 3)."""
    cls = REGISTRY["MaxPooling2D"]
    monkeypatch.setattr(cls, "forward", lambda self, xs, params: xs[0])
    result = cli("run", small)
    assert result.exit_code == 3
    assert result.stderr == (
        f"{small}:5:5: error: layers[1] 'pool' (MaxPooling2D): executed output (1, 6, 5, 3) "
        f"(float32) differs from the analytic (1, 3, 2, 3) (float32); this is a bug in "
        f"convcalc, please report it with the spec\n"
    )


def test_numpy_stays_out_of_layers_and_runtime_package() -> None:
    code = textwrap.dedent("""
        import sys
        import convcalc.layers, convcalc.runtime, convcalc.render.run, convcalc.cli
        print('numpy' in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_threads_in_a_fresh_process(small: Path) -> None:
    """--threads before numpy is imported sets the BLAS environment; the run still works."""
    code = textwrap.dedent(f"""
        import os, sys
        from convcalc.cli import app
        try:
            app(["run", {str(small)!r}, "--threads", "1", "--format", "json"])
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
        sys.stderr.write(os.environ["OPENBLAS_NUM_THREADS"])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr == "1"
    assert json.loads(out.stdout)["forward_s"] > 0


def test_threads_report_how_the_timed_passes_used_them(small: Path) -> None:
    """With two BLAS threads and a batch of one, the warm-up measures split layers against
    OpenBLAS's threads and the faster is timed; the Forward line and JSON say which, with
    the warm-up's seconds of each (each a positive time, the chosen one the smaller)."""
    code = textwrap.dedent(f"""
        from convcalc.cli import app
        try:
            app(["run", {str(small)!r}, "--threads", "2", "--repeat", "2", *ARGS])
        except SystemExit as exc:
            assert exc.code in (0, None), exc.code
    """)
    if (os.cpu_count() or 1) < 2:
        pytest.skip("OpenBLAS caps its thread count at the CPUs there are")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVCALC_")}

    def run(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", f"ARGS = {list(args)!r}\n" + code],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout

    doc = json.loads(run("--format", "json"))["run"]
    trials = doc["threading_trials_s"]
    assert doc["threads"] == 2
    assert set(trials) == {"split layers", "OpenBLAS threads", "one thread"}
    assert doc["threading"] == min(trials, key=trials.__getitem__)
    line = next(ln for ln in run().splitlines() if ln.startswith("Forward:"))
    assert re.search(
        r"median of 2 after a warm-up, 2 threads: (split layers|OpenBLAS threads|one thread) "
        r"\(warm-up: [0-9.]+ [mµ]?s; (split layers|OpenBLAS threads|one thread) [0-9.]+ [mµ]?s, "
        r"(split layers|OpenBLAS threads|one thread) [0-9.]+ [mµ]?s\)",
        line,
    ), line
    batch = json.loads(run("--format", "json", "--batch", "2"))["run"]
    trials = batch["threading_trials_s"]
    assert set(trials) == {"batch shards", "OpenBLAS threads"}
    assert batch["threading"] == min(trials, key=trials.__getitem__)


@pytest.mark.parametrize(("threads", "passes"), [(1, 1 + 2), (2, 1 + 25 + 2)])
def test_progress_bar_counts_layers(
    small: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    threads: int,
    passes: int,
) -> None:
    """The bar (stderr, transient) gets one update per executed layer and pass: the first
    pass, with 2 threads the warm-up's 25 passes that choose how to use them (one, then four
    rounds of two of each of the three ways: a network this small never fills the trials'
    second), then the timed ones."""
    from convcalc import analyze, load_spec
    from convcalc.render.progress import progress_bar
    from convcalc.runtime import shards
    from convcalc.runtime.executor import RunOptions, execute

    monkeypatch.delenv("CONVCALC_SPLIT", raising=False)
    monkeypatch.setattr(shards, "blas_threads", lambda: threads)
    spec = load_spec(small)
    seen: list[tuple[int, int, str]] = []
    with progress_bar(True, "running small") as update:
        assert update is not None
        execute(
            spec,
            analyze(spec),
            RunOptions(repeat=2),
            lambda done, total, name: (seen.append((done, total, name)), update(done, total, name)),
        )
    assert [s[0] for s in seen] == list(range(1, 4 * passes + 1))  # 4 layers x passes
    assert {s[1] for s in seen} == {4 * passes} and seen[-1][2] == "fc"
    with progress_bar(False, "off") as update:
        assert update is None
    assert capsys.readouterr().out == ""


def test_compare_run_times_each_variant() -> None:
    """`convcalc compare ... --run` times every variant with this runtime."""
    result = cli(
        "compare",
        "--input",
        "10x10x4",
        "--kernel",
        "3",
        "--filters",
        "8",
        "--separable",
        "--run",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    variants = json.loads(result.stdout)["variants"]
    assert len(variants) == 2 and all(v["median_ns"] > 0 for v in variants)


def test_compare_spec_run_times_the_network_before_and_after() -> None:
    """`convcalc compare SPEC --bottleneck 4 --run`: the whole network is timed before and after
    the rewrite, beside the counted MACs (inception (3a): 3x3 and 5x5 get a 1x1 to 48)."""
    result = cli(
        "compare", "specs/inception_3a.yaml", "--bottleneck", "4", "--run", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    assert totals["forward_ns_before"] > 0 and totals["forward_ns_after"] > 0
    text = cli("compare", "specs/inception_3a.yaml", "--bottleneck", "4", "--run").stdout
    line = next(x for x in text.splitlines() if x.startswith("Forward time:"))
    assert " ms -> " in line and ("x faster" in line or "x slower" in line)


def test_stats_in_chunks_match_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    from convcalc.runtime import stats

    monkeypatch.setattr(stats, "STATS_CHUNK", 7)
    a = (np.random.default_rng(3).standard_normal((5, 9, 4)) * 3 + 100).astype(np.float32)
    mean, std, lo, hi = stats.summary(a)
    a64 = a.astype(np.float64)
    assert (lo, hi) == (float(a.min()), float(a.max()))
    assert abs(mean - a64.mean()) < 1e-9 and abs(std - a64.std()) < 1e-9


TWO_INPUTS = """\
name: two
layers:
  - InputLayer: {name: a, shape: [3, 2]}
  - InputLayer: {name: b, shape: [3, 2]}
  - Add: {name: sum, inputs: [a, b]}
"""


def test_several_inputs_from_an_npz(tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(TWO_INPUTS)
    a = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.savez(tmp_path / "x.npz", a=a, b=10 * a)
    out = tmp_path / "acts.npz"
    result = cli("run", spec, "--input", tmp_path / "x.npz", "--output", out)
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.load(out)["sum"], [11 * a])
    np.save(tmp_path / "x.npy", a)
    result = cli("run", spec, "--input", tmp_path / "x.npy")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --input {tmp_path / 'x.npy'}: the spec has 2 inputs (a, b); pass an .npz "
        f"keyed by their names\n",
    )
    np.savez(tmp_path / "y.npz", a=a)
    result = cli("run", spec, "--input", tmp_path / "y.npz")
    assert (result.exit_code, result.stderr) == (
        2,
        f"error: --input {tmp_path / 'y.npz'} has no array for input 'b' (keys: a)\n",
    )


def test_threads_after_numpy_is_imported() -> None:
    """In a process that already imported numpy, OpenBLAS's own setter is called."""
    import os

    from convcalc.runtime.threads import set_threads

    assert set_threads(1) is True
    assert set_threads(os.cpu_count() or 1) is True


def test_python_api(small: Path) -> None:
    from convcalc import load_spec, run

    result = run(load_spec(small), batch=2, repeat=1)
    assert result.outputs["fc"].shape == (2, 4)
    assert result.layers["pool"].executed_shape == (3, 2, 3)
    assert result.passes == 1 and result.warmup and result.forward_s > 0
