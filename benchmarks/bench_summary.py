"""Wall time of `convcalc summary` (specs/vgg16.yaml, and the zoo's resnet50: 177 rows) against
a minimal typer+rich program printing a table with as many rows.

Both run as fresh processes, alternating A B A B ... after warm-ups, in the same run; the
script prints medians and the paired ratio. Goal (issue 13): within 1.2x of the minimal
program for ResNet-50, whose table has the most rows. With
--baseline DIR (another checkout of convcalc, e.g. `git worktree add ../base main`), that
version's summary is timed in the same loop, so a change's cost is measured against it.
With --peer-python PY (an interpreter that has torch and torchinfo), it also times the peer a
user would otherwise pick: import torch + torchinfo, build VGG16, torchinfo.summary (goal,
issue 13: convcalc at least 20x faster, whole process).

    python benchmarks/bench_summary.py [-n 20] [--peer-python PY] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
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


def time_once(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def cpu_once(cmd: list[str]) -> float:
    """User + system CPU seconds of one run (less disturbed by a busy machine than wall time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def launcher(package: Path) -> list[str]:
    """``convcalc summary specs/vgg16.yaml`` with ``package`` first on the path."""
    return [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(package)!r}); "
        "sys.argv = ['convcalc', 'summary', 'specs/vgg16.yaml']; "
        "from convcalc.cli import main; main()",
    ]


def compare_baseline(base_dir: Path, floor: list[str], n: int) -> None:
    """This checkout against another one, both started the same way (``python -c``), alternating
    with the minimal program: wall time and CPU time, paired."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(base_dir / "convcalc")], check=True
    )
    this, base = launcher(ROOT), launcher(base_dir)
    for _ in range(3):
        time_once(this)
        time_once(base)
    wall: dict[str, list[float]] = {"this": [], "base": [], "floor": []}
    cpu: dict[str, list[float]] = {"this": [], "base": [], "floor": []}
    for _ in range(n):
        for key, cmd in (("this", this), ("base", base), ("floor", floor)):
            wall[key].append(time_once(cmd))
            cpu[key].append(cpu_once(cmd))
    for what, t in (("wall", wall), ("cpu ", cpu)):
        med = {k: statistics.median(v) for k, v in t.items()}
        paired = statistics.median(x / y for x, y in zip(t["this"], t["base"]))
        print(
            f"{what}: this {med['this']:.3f} s, baseline {base_dir.name} {med['base']:.3f} s, "
            f"minimal {med['floor']:.3f} s; this / minimal {med['this'] / med['floor']:.2f}x, "
            f"baseline / minimal {med['base'] / med['floor']:.2f}x, this / baseline (paired) "
            f"{paired:.3f}x"
        )


def paired(ours: list[str], floor: list[str], n: int, name: str, floor_name: str) -> list[float]:
    """Time ``ours`` and ``floor`` alternately after warm-ups; print medians and the ratio."""
    for _ in range(3):
        time_once(ours)
        time_once(floor)
    a, b = [], []
    for _ in range(n):
        a.append(time_once(ours))
        b.append(time_once(floor))
    ratios = [x / y for x, y in zip(a, b)]
    width = max(len(name), len(floor_name))
    print(
        f"{name:<{width}} : median {statistics.median(a):.3f} s "
        f"(min {min(a):.3f}, max {max(a):.3f})"
    )
    print(
        f"{floor_name:<{width}} : median {statistics.median(b):.3f} s "
        f"(min {min(b):.3f}, max {max(b):.3f})"
    )
    print(
        f"{'ratio (paired)':<{width}} : median {statistics.median(ratios):.2f}x "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); goal <= 1.2x"
    )
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20, help="timed runs per command")
    ap.add_argument("--peer-python", help="a python with torch and torchinfo")
    ap.add_argument("--baseline", type=Path, help="another convcalc checkout to time alike")
    args = ap.parse_args()

    # A user's second run finds cached bytecode; make sure it exists even when this shell sets
    # PYTHONDONTWRITEBYTECODE (otherwise every run recompiles convcalc's ~8,000 lines).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "convcalc")], check=True)
    exe = shutil.which("convcalc", path=str(Path(sys.executable).parent)) or "convcalc"
    ours = [exe, "summary", "specs/vgg16.yaml"]
    floor = [sys.executable, "benchmarks/minimal_table_app.py"]
    a = paired(ours, floor, args.n, "convcalc summary specs/vgg16.yaml", "minimal 22-row table")
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
    paired(
        [exe, "summary", "resnet50"],
        [*floor, "--rows", str(rows)],
        args.n,
        f"convcalc summary resnet50 ({rows} rows)",
        f"minimal {rows}-row table",
    )
    if args.baseline:
        compare_baseline(args.baseline.resolve(), floor, args.n)
    if args.peer_python:
        peer = [args.peer_python, "-c", PEER]
        time_once(peer)
        c = [time_once(peer) for _ in range(max(3, args.n // 4))]
        print(f"torch + torchinfo VGG16 summary   : median {statistics.median(c):.3f} s")
        print(
            f"peer / convcalc                   : "
            f"{statistics.median(c) / statistics.median(a):.1f}x faster; goal >= 20x"
        )


if __name__ == "__main__":
    main()
