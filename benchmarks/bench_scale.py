"""convcalc at scale: 100,000-layer specs, 1,000 specs in one check, and hostile inputs.

Each command runs as a fresh process (``python -c`` with the checkout first on the path); the
script prints wall time, CPU time (user + system) and peak resident memory of each, the goal it
is measured against, and, for 25,000 / 50,000 / 100,000 layers, the time per layer (linear
means a flat column). With --baseline DIR (another checkout, e.g. `git worktree add ../base
main`) every command also runs with that version, in the same loop, and the ratio is printed.
`convcalc check` runs its specs one after the other in one process (no parallelism).

Goals (issue 9): 100,000 layers: `summary --format json` and `check` under 2 s, the table
under 4 s (it shows the first and last 500 rows beyond 1,000), under 300 MB; 1,000 specs in
one `check` under 10 s; hostile inputs refused in well under a second.

Where the time goes (in-process CPU, `time.process_time` around each phase, 100,000 layers,
December 2026, shared machine): reading the YAML 0.55 s, the layer entries 1.05 s, the engine
0.58 s (the rows 0.33, the receptive-field walk 0.21), the gridding walk 0.02 s, writing the
JSON 0.25 s (the table 0.33 s, most of it rich's 1,000 rows); imports and start-up about 0.25 s.
The varied chain: the engine 1.06 s, the gridding walk 0.25 s (it stops where the field is
wider than 65,536 positions), the JSON 0.41 s. Memory: after the entries are parsed about
205 MiB (the YAML document about 70, the layers and their entries about 80), the report about
55 more (rows and receptive fields), a peak of about 265-280 MiB.

    python benchmarks/bench_scale.py [-n 3] [--baseline DIR] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ("vgg16", "mobilenet_v1", "inception_3a", "inception_bottleneck")


def layers_spec(path: Path, n: int) -> Path:
    """A valid chain of ``n`` small convolutions with an expectation (which fails: check's
    exit 1 is expected)."""
    with path.open("w") as fh:
        fh.write("name: big\ninput: [8, 8, 4]\nlayers:\n")
        for i in range(n):
            fh.write(f"  - Conv2D: {{name: c{i}, filters: 4, kernel_size: 3, padding: same}}\n")
        fh.write("expect:\n  params: 1\n")
    return path


def varied_spec(path: Path, n: int) -> Path:
    """A valid chain of ``n`` layers of five kinds with co-prime cycles of channel counts (4 to
    254), kernels (1 to 7) and dilations (1 to 3): thousands of distinct configurations and
    input shapes, so that the memos of the reader and the engine (layers alike computed once)
    do not flatter the figures as the uniform chain does; with an expectation that fails."""
    with path.open("w") as fh:
        fh.write("name: varied\ninput: [8, 8, 4]\nlayers:\n")
        for i in range(n):
            k = (1, 3, 5, 7)[i % 4]
            d = (1, 2, 3)[i % 3] if k > 1 else 1
            f = 4 + (i * 7) % 251
            kind = i % 5
            if kind == 0:
                fh.write(
                    f"  - Conv2D: {{name: c{i}, filters: {f}, kernel_size: {k}, "
                    f"dilation_rate: {d}, padding: same}}\n"
                )
            elif kind == 1:
                bias = "true" if i % 2 == 0 else "false"
                fh.write(
                    f"  - DepthwiseConv2D: {{name: c{i}, kernel_size: {k}, padding: same, "
                    f"use_bias: {bias}}}\n"
                )
            elif kind == 2:
                fh.write(f"  - BatchNormalization: {{name: c{i}}}\n")
            elif kind == 3:
                fh.write(
                    f"  - MaxPooling2D: {{name: c{i}, pool_size: {k}, strides: 1, padding: same}}\n"
                )
            else:
                fh.write(
                    f"  - SeparableConv2D: {{name: c{i}, filters: {f}, kernel_size: {k}, "
                    f"padding: same, activation: relu}}\n"
                )
        fh.write("expect:\n  params: 1\n")
    return path


def hostile(folder: Path) -> dict[str, list[str]]:
    """Inputs an attacker would send, and the command for each."""
    lol = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lol.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (folder / "lol.yaml").write_text("\n".join(lol) + "\n")
    with (folder / "invalid.yaml").open("w") as fh:
        fh.write("input: [8, 8, 4]\nlayers:\n")
        for i in range(100_000):
            fh.write(f"  - Conv2D: {{name: c{i}, filters: 4, kernal_size: 3}}\n")
    (folder / "wide.yaml").write_text(
        "input: [" + ", ".join(["1"] * 1_000_000) + ", 0]\nlayers: [Flatten]\n"
    )
    return {
        "billion laughs (342 bytes)": ["summary", str(folder / "lol.yaml")],
        "100,000 invalid layers, --format github": [
            "check",
            str(folder / "invalid.yaml"),
            "--format",
            "github",
        ],
        "1,000,000-element input:": ["summary", str(folder / "wide.yaml")],
    }


def launcher(package: Path, args: list[str]) -> list[str]:
    """``convcalc ARGS`` of the checkout ``package``, started as the console script starts it
    (``python -m convcalc``: its ``__main__``, whatever that version's entry point does)."""
    return [
        sys.executable,
        "-c",
        f"import sys, runpy; sys.path.insert(0, {str(package)!r}); "
        f"sys.argv = ['convcalc'] + {args!r}; runpy.run_module('convcalc', run_name='__main__')",
    ]


def measure(cmd: list[str], cwd: Path) -> tuple[float, float, float, int]:
    """Wall s, CPU s, peak RSS MiB and bytes written to stdout+stderr, of one fresh process."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=out)
        _, _, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = 0
        size = out.seek(0, os.SEEK_END)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, size


def run(label: str, args: list[str], cwd: Path, n: int, base: Path | None, goal: str) -> None:
    results: dict[str, list[tuple[float, float, float, int]]] = {"this": [], "base": []}
    for _ in range(n):
        results["this"].append(measure(launcher(ROOT, args), cwd))
        if base is not None:
            results["base"].append(measure(launcher(base, args), cwd))
    for who, rows in results.items():
        if not rows:
            continue
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        rss = max(r[2] for r in rows)
        out = rows[0][3]
        name = "this" if who == "this" else f"baseline {base.name if base else ''}"
        print(
            f"  {label:<44} {name:<16} wall {wall:7.2f} s  cpu {cpu:7.2f} s  "
            f"peak {rss:7.0f} MiB  output {out:>11,} B   goal: {goal}"
        )
    if results["base"]:
        this_cpu = statistics.median(r[1] for r in results["this"])
        base_cpu = statistics.median(r[1] for r in results["base"])
        print(f"  {'':<44} baseline / this (cpu): {base_cpu / this_cpu:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="runs per command (medians)")
    ap.add_argument("--baseline", type=Path, help="another checkout of convcalc to compare with")
    ap.add_argument("--quick", action="store_true", help="skip the 25k/50k linearity runs")
    a = ap.parse_args()
    base = a.baseline.resolve() if a.baseline else None
    work = Path(tempfile.mkdtemp(prefix="convcalc-scale-"))
    try:
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} (shared machine)")
        big = layers_spec(work / "big.yaml", 100_000)
        print("100,000 valid layers:")
        run("summary --format json", ["summary", str(big), "-f", "json"], work, a.n, base, "2 s")
        run("check", ["check", str(big)], work, a.n, base, "2 s")
        run("summary (the table)", ["summary", str(big)], work, a.n, base, "4 s")
        varied = varied_spec(work / "varied.yaml", 100_000)
        print("100,000 varied layers (five kinds, thousands of distinct configurations):")
        run("summary --format json", ["summary", str(varied), "-f", "json"], work, a.n, base, "2 s")
        run("check", ["check", str(varied)], work, a.n, base, "2 s")
        run("summary (the table)", ["summary", str(varied)], work, a.n, base, "4 s")
        if not a.quick:
            print("linearity (summary --format json; cpu s per 1,000 layers):")
            for n in (25_000, 50_000, 100_000):
                spec = layers_spec(work / f"l{n}.yaml", n)
                cpus = [measure(launcher(ROOT, ["summary", str(spec), "-f", "json"]), work)[1]]
                print(f"  {n:>7,} layers: cpu {cpus[0]:6.2f} s, {1000 * cpus[0] / n:.3f} s")
        many = work / "many"
        many.mkdir()
        for i in range(250):
            for s in SPECS:
                shutil.copy(ROOT / "specs" / f"{s}.yaml", many / f"{s}_{i}.yaml")
        print("1,000 specs in one check (sequential, one process):")
        run("check 'many/*.yaml'", ["check", "many/*.yaml"], work, a.n, base, "10 s")
        print("hostile inputs (each refused with a located error):")
        for label, args in hostile(work).items():
            run(label, args, work, 1, None, "< 1 s, small output")  # the old version: minutes
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
