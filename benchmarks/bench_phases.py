"""Where a 100,000-layer summary spends its CPU: each phase timed in-process.

Reads the spec file, builds the YAML document, parses the layer entries, analyses, walks the
gridding, then renders (``json``: written to /dev/null as the CLI writes it; ``table``; or
``check``), printing the CPU seconds of each phase (``time.process_time``), the resident
memory after it and the peak. Each run is a fresh process; the medians of ``-n`` runs are
printed, for the uniform chain and the varied one of bench_scale.py.

    python benchmarks/bench_phases.py [-n 3] [--layers 100000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_scale import layers_spec, varied_spec

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import gc, json, os, resource, sys, time
sys.path.insert(0, {root!r})
gc.set_threshold(100_000, 50, 100)  # as the CLI sets it
from convcalc.analysis import analyze
from convcalc.analysis.gridding import gridding_warnings
from convcalc.spec import loader
from convcalc.spec.yaml_source import load_yaml
path, what = {path!r}, {what!r}
cpu, rss, t = {{}}, {{}}, time.process_time()
def mark(name):
    global t
    cpu[name] = time.process_time() - t
    rss[name] = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    t = time.process_time()
text = loader.read_spec_text(path); mark("read")
src = load_yaml(text, path); mark("yaml")
spec = loader.parse_source(src); mark("parse")
report = analyze(spec); mark("analyze")
gridding_warnings(spec, report); mark("gridding")
if what == "json":
    from convcalc.render.machine import write_json
    with open(os.devnull, "w") as out:
        write_json(report, out.write)
elif what == "table":
    from convcalc.render.table import render_table, table_options
    render_table(report, **table_options(report, None))
else:
    from convcalc.render.check import RENDERERS
    from convcalc.tools.check import check_spec
    RENDERERS["text"]([check_spec(spec, report)])
mark(what)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"cpu": cpu, "rss": rss, "peak": peak}}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="runs per case (medians)")
    ap.add_argument("--layers", type=int, default=100_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="convcalc-phases-") as tmp:
        work = Path(tmp)
        specs = {
            "uniform": layers_spec(work / "big.yaml", a.layers),
            "varied": varied_spec(work / "varied.yaml", a.layers),
        }
        for label, path in specs.items():
            for what in ("json", "check", "table"):
                code = CHILD.format(root=str(ROOT), path=str(path), what=what)
                runs = [
                    json.loads(
                        subprocess.run(
                            [sys.executable, "-c", code], check=True, capture_output=True, text=True
                        ).stdout
                    )
                    for _ in range(a.n)
                ]
                phases = runs[0]["cpu"]
                cells = "  ".join(
                    f"{p} {statistics.median(r['cpu'][p] for r in runs):.2f}" for p in phases
                )
                total = statistics.median(sum(r["cpu"].values()) for r in runs)
                after = runs[0]["rss"]
                mem = " ".join(f"{p} {after[p]:.0f}" for p in ("parse", "analyze", what))
                peak = max(r["peak"] for r in runs)
                print(f"{label:<8} {what:<6} cpu s: {cells}  total {total:.2f}")
                print(f"{'':<15} MiB after: {mem}, peak {peak:.0f}")


if __name__ == "__main__":
    main()
