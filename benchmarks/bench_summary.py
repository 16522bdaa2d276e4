"""Whole-process time of `convcalc summary` (specs/vgg16.yaml, and the zoo's resnet50: 177
rows) against a minimal typer+rich program printing a table with as many rows, and against
torch + torchinfo summarising VGG16.

Every command runs as a fresh process, all of them in turn in every round (interleaved, after
warm-ups), in the same run; for each the script prints the median wall time and the median CPU
time (user + system of the child, from its rusage: less disturbed than wall time by other
processes on a shared machine), and paired ratios (round by round). Goals: ResNet-50
within 1.2x of the minimal program, whose table has as many rows; and with --peer-python PY (an
interpreter that has torch and torchinfo: import torch + torchinfo, build VGG16,
torchinfo.summary) convcalc on VGG16 at least 20x faster, whole process; the minimal program's
own ratio to the peer is printed beside it (the ceiling for a typer+rich program). With
--baseline DIR (another checkout of convcalc, e.g. `git worktree add ../base main`), that
version's summaries are timed in the same rounds, so a change's cost is measured against it.

    python benchmarks/bench_summary.py [-n 20] [--peer-python PY] [--peer-every K] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PEER = r"""
import torch, torch.nn as nn, torchinfo
cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M']
layers, c = [], 3
for v in cfg:
    if v == 'M':
        layers.append(nn.MaxPool2d(2, 2))
    else:
        layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
        c = v
model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(25088, 4096), nn.ReLU(),
                      nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 1000))
stats = torchinfo.summary(model, (1, 3, 224, 224), verbose=0)
assert stats.total_params == 138357544
print(stats)
"""


def time_once(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, the child's rusage) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def launcher(package: Path, spec: str) -> list[str]:
    """``python -m convcalc summary SPEC`` with ``package`` first on the path."""
    return [
        sys.executable,
        "-c",
        f"import runpy, sys; sys.path.insert(0, {str(package)!r}); "
        f"sys.argv = ['convcalc', 'summary', {spec!r}]; "
        "runpy.run_module('convcalc', run_name='__main__', alter_sys=True)",
    ]


def rounds(
    commands: dict[str, list[str]], n: int, every: dict[str, int]
) -> dict[str, list[tuple[float, float]]]:
    """Each command once per round (``every[key]``: only every k-th round), ``n`` rounds after
    two warm-up rounds (one for a command timed every k-th round); (wall, cpu) per timed run."""
    times: dict[str, list[tuple[float, float]]] = {key: [] for key in commands}
    for i in range(-2, n):
        for key, cmd in commands.items():
            k = every.get(key, 1)
            warm_up = i < 0
            if (warm_up and k > 1 and i == -2) or (not warm_up and i % k):
                continue
            t = time_once(cmd)
            if not warm_up:
                times[key].append(t)
    return times


def median(runs: list[tuple[float, float]], which: int) -> float:
    return statistics.median(r[which] for r in runs)


def paired(a: list[tuple[float, float]], b: list[tuple[float, float]], which: int) -> float:
    """Median of the round-by-round ratios a / b (the runs of the same rounds)."""
    return statistics.median(x[which] / y[which] for x, y in zip(a, b))


def show(name: str, runs: list[tuple[float, float]]) -> None:
    walls = [r[0] for r in runs]
    print(
        f"  {name:<40} wall median {median(runs, 0):.3f} s (min {min(walls):.3f}, "
        f"max {max(walls):.3f}), cpu median {median(runs, 1):.3f} s  [{len(runs)} runs]"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20, help="timed rounds")
    ap.add_argument("--peer-python", help="a python with torch and torchinfo")
    ap.add_argument(
        "--peer-every", type=int, default=2, help="time the (slow) peer every K-th round"
    )
    ap.add_argument("--baseline", type=Path, help="another convcalc checkout to time alike")
    args = ap.parse_args()

    # A user's second run finds cached bytecode; make sure it exists even when this shell sets
    # PYTHONDONTWRITEBYTECODE (otherwise every run recompiles convcalc's ~8,000 lines).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "convcalc")], check=True)
    exe = shutil.which("convcalc", path=str(Path(sys.executable).parent)) or "convcalc"
    rows = len(
        json.loads(
            subprocess.run(
                [exe, "summary", "resnet50", "--format", "json"],
                cwd=ROOT,
                capture_output=True,
                check=True,
                text=True,
            ).stdout
        )["layers"]
    )
    floor = [sys.executable, "benchmarks/minimal_table_app.py"]
    commands = {
        "vgg16": [exe, "summary", "specs/vgg16.yaml"],
        "floor22": floor,
        "resnet50": [exe, "summary", "resnet50"],
        f"floor{rows}": [*floor, "--rows", str(rows)],
    }
    names = {
        "vgg16": "convcalc summary specs/vgg16.yaml",
        "floor22": "minimal 22-row table",
        "resnet50": f"convcalc summary resnet50 ({rows} rows)",
        f"floor{rows}": f"minimal {rows}-row table",
        "this_vgg16": "this (python -m): summary specs/vgg16.yaml",
        "this_resnet50": "this (python -m): summary resnet50",
        "base_vgg16": "baseline: summary specs/vgg16.yaml",
        "base_resnet50": "baseline: summary resnet50",
        "peer": "torch + torchinfo VGG16 summary",
    }
    if args.baseline:
        base = args.baseline.resolve()
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", str(base / "convcalc")], check=True
        )
        # both checkouts started alike (``python -m``), not one through its console script
        commands["this_vgg16"] = launcher(ROOT, "specs/vgg16.yaml")
        commands["this_resnet50"] = launcher(ROOT, "resnet50")
        commands["base_vgg16"] = launcher(base, "specs/vgg16.yaml")
        commands["base_resnet50"] = launcher(base, "resnet50")
    every = {}
    if args.peer_python:
        commands["peer"] = [args.peer_python, "-c", PEER]
        every["peer"] = max(1, args.peer_every)
    print(f"{args.n} rounds, interleaved; load average {os.getloadavg()[0]:.2f} at the start")
    t = rounds(commands, args.n, every)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    for key, runs in t.items():
        show(names[key], runs)
    for what, which in (("wall", 0), ("cpu ", 1)):
        print(f"{what}:")
        for ours, ref, goal in (
            ("vgg16", "floor22", ""),
            ("resnet50", f"floor{rows}", "; goal <= 1.2x"),
        ):
            print(
                f"  {names[ours]} / {names[ref]}: paired median "
                f"{paired(t[ours], t[ref], which):.2f}x{goal}"
            )
        if args.baseline:
            for ours in ("vgg16", "resnet50"):
                print(
                    f"  {names['this_' + ours]} / baseline: paired median "
                    f"{paired(t['this_' + ours], t['base_' + ours], which):.3f}x"
                )
        if args.peer_python:
            peer = median(t["peer"], which)
            print(
                f"  peer / convcalc summary specs/vgg16.yaml: "
                f"{peer / median(t['vgg16'], which):.1f}x faster; goal >= 20x"
            )
            print(
                f"  peer / minimal 22-row table (the floor's own ratio): "
                f"{peer / median(t['floor22'], which):.1f}x"
            )


if __name__ == "__main__":
    main()
