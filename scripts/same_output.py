"""Whether this checkout prints what another one does: the output of summary (table, json, csv,
markdown, views), check (every format) and the Keras layout for the shipped specs, the
examples, some zoo networks and generated chains, byte for byte, standard error and exit
status included. For changes that must not change any output (speed work):

    git worktree add ../base main
    python scripts/same_output.py ../base

Each command runs as a fresh process with the checkout first on the path, on copies of the
specs in a temporary folder; paths inside a checkout (the zoo's) are made relative to it
before comparing. Prints every command whose output
differs (and the first differing line) and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_scale import layers_spec, varied_spec  # noqa: E402

ZOO = ["resnet50", "densenet121", "unet", "xception", "googlenet", "text_cnn", "efficientnet_b0"]
VIEWS = [
    ["-f", "json"],
    [],
    ["-f", "csv"],
    ["-f", "markdown"],
    ["--columns", "input,output,kernel,params,macs,rf", "--chart"],
    ["-d", "1"],
    ["-f", "json", "--memory", "--convention", "torchinfo"],
    ["--batch", "4", "-f", "json"],
    ["--memory", "--operators"],
    ["--style", "keras"],
]
CHECKS = [[], ["-f", "json"], ["-f", "github"], ["-f", "junit"], ["-f", "markdown"]]


def commands(work: Path) -> list[list[str]]:
    """The commands, on copies of the specs in ``work`` (named relative to it)."""
    specs = []
    for folder in ("specs", "docs/examples"):
        for p in sorted((ROOT / folder).glob("*.yaml")):
            shutil.copy(p, work / p.name)
            specs.append(p.name)
    specs += ZOO
    specs.append(layers_spec(work / "chain.yaml", 1_200).name)  # an abridged table
    specs.append(varied_spec(work / "varied.yaml", 1_500).name)  # dilated: gridding warnings
    out = [["summary", s, *v] for s in specs for v in VIEWS]
    return out + [["check", s, *c] for s in specs for c in CHECKS]


def output(checkout: Path, args: list[str], work: Path) -> bytes:
    code = (
        f"import sys; sys.path.insert(0, {str(checkout)!r}); "
        f"sys.argv = ['convcalc'] + {args!r}; from convcalc.cli import main; main()"
    )
    env = dict(os.environ, COLUMNS="200")
    cmd = [sys.executable, "-c", code]
    p = subprocess.run(cmd, check=False, capture_output=True, env=env, cwd=work)
    text = p.stdout + b"\n--stderr--\n" + p.stderr + f"\n--exit {p.returncode}\n".encode()
    return text.replace(str(checkout).encode() + b"/", b"")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline", type=Path, help="the other checkout")
    base = ap.parse_args().baseline.resolve()
    with tempfile.TemporaryDirectory(prefix="convcalc-same-") as tmp:
        work = Path(tmp)
        cmds = commands(work)
        differ = 0
        for args in cmds:
            mine, theirs = output(ROOT, args, work), output(base, args, work)
            if mine != theirs:
                differ += 1
                pairs = zip(mine.splitlines(), theirs.splitlines())
                first = next((i for i, (a, b) in enumerate(pairs) if a != b), None)
                print(f"differs: convcalc {' '.join(args)} (line {first})")
        print(f"{len(cmds) - differ} of {len(cmds)} commands print the same")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
