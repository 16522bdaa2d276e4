"""Coverage-guided fuzzing of the spec loader and the CLI entry points, for a bounded time.

With atheris (``pip install -e '.[fuzz]'``; wheels exist for CPython 3.11 and earlier) the
inputs are bytes mutated by libFuzzer, guided by the coverage of convcalc's own code (the
modules are instrumented on import). Without it, the same target is fed by hypothesis
(mutations of generated specs), for the same time. Each input goes through
``tests/fuzz/target.py`` (loader, engine, check, every renderer); one input in 16 also goes
through the CLI (``check`` and ``summary`` in-process, as a .yaml spec or a Keras .json
model), whose exit code must be 0, 1 or 2.
Any other exception is a crash: the input is written to ``--crashes`` (to be fixed and kept as
a regression in tests/fuzz/regressions/) and the script exits 1.

    python scripts/fuzz.py [--seconds 30] [--engine atheris|hypothesis] [--crashes DIR]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEEDS = [*sorted((ROOT / "specs").glob("*.yaml")), *sorted((ROOT / "tests" / "examples").glob("*"))]


class Target:
    """One input: through the library and, now and then, the CLI."""

    def __init__(self, crashes: Path) -> None:
        from typer.testing import CliRunner

        from convcalc.cli import app
        from convcalc.errors import SpecError
        from convcalc.spec.files import decode_spec
        from tests.fuzz.target import check_text

        self.decode, self.check_text, self.spec_error = decode_spec, check_text, SpecError
        self.app, self.runner = app, CliRunner()
        self.crashes = crashes
        self.cases = 0
        self.folder = Path(tempfile.mkdtemp(prefix="convcalc-fuzz-"))

    def __call__(self, data: bytes) -> None:
        self.cases += 1
        try:
            self.run(data)
        except Exception:
            self.crashes.mkdir(parents=True, exist_ok=True)
            name = hashlib.sha1(data).hexdigest()[:16] + ".yaml"
            (self.crashes / name).write_bytes(data)
            sys.stderr.write(f"fuzz: crash, input kept as {self.crashes / name}\n")
            raise

    def run(self, data: bytes) -> None:
        try:
            text = self.decode(data, "fuzz.yaml")
        except self.spec_error:
            return
        self.check_text(text)
        if data[:1] and data[0] % 16 == 0:  # the CLI costs more: one input in 16
            # as a spec, or as a Keras model.to_json() file (the importer behind summary)
            spec = self.folder / ("f.json" if len(data) > 1 and data[1] % 2 else "f.yaml")
            spec.write_bytes(data)
            for args in (["check", str(spec), "--format", "github"], ["summary", str(spec)]):
                result = self.runner.invoke(self.app, args)
                if result.exit_code not in (0, 1, 2):
                    raise AssertionError(f"{args}: exit {result.exit_code}: {result.stderr}")


def with_atheris(seconds: int, crashes: Path) -> int:
    """libFuzzer ends the process itself: it runs in a child, whose statistics are read."""
    started = time.monotonic()
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--engine",
            "atheris-child",
            "--seconds",
            str(seconds),
            "--crashes",
            str(crashes),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    log = child.stderr
    done = re.search(r"Done (\d+) runs in (\d+) second", log)
    cov = re.findall(r"cov: (\d+) ft: (\d+)", log)
    if child.returncode != 0 or not done:
        sys.stderr.write(log[-5000:])
        print(f"fuzz: atheris stopped with exit code {child.returncode}: a crash (see above)")
        return 1
    edges = f", {cov[-1][0]} coverage edges" if cov else ""
    print(
        f"fuzz: atheris ran {int(done[1]):,} inputs in {time.monotonic() - started:.0f} s"
        f"{edges}; no crash"
    )
    return 0


def atheris_child(seconds: int, crashes: Path) -> int:
    import atheris

    with atheris.instrument_imports(include=["convcalc"]):
        import convcalc.analysis
        import convcalc.cli
        import convcalc.render.check
        import convcalc.render.machine
        import convcalc.render.table
        import convcalc.tools.check  # noqa: F401

    target = Target(crashes)
    corpus = Path(tempfile.mkdtemp(prefix="convcalc-corpus-"))
    for seed in SEEDS + sorted((ROOT / "tests" / "fuzz" / "regressions").glob("*")):
        (corpus / seed.name).write_bytes(seed.read_bytes())
    for model in sorted((ROOT / "tests" / "golden" / "keras").glob("*.json.gz")):
        data = gzip.decompress(model.read_bytes())  # Keras model configs, for the importer
        if len(data) <= 8192:
            (corpus / model.name[:-3]).write_bytes(data)
    args = [
        sys.argv[0],
        f"-max_total_time={seconds}",
        "-max_len=8192",
        "-rss_limit_mb=2048",
        f"-artifact_prefix={crashes}{os.sep}",
        "-print_final_stats=1",
        str(corpus),
    ]
    crashes.mkdir(parents=True, exist_ok=True)
    atheris.Setup(args, target)
    atheris.Fuzz()  # does not return
    return 0


def with_hypothesis(seconds: int, crashes: Path) -> int:
    from hypothesis import HealthCheck, given, settings

    from tests.fuzz.strategies import mutated_texts, spec_texts

    target = Target(crashes)
    started = time.monotonic()

    @settings(
        max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(mutated_texts() | spec_texts())
    def one(text: str) -> None:
        target(text.encode("utf-8", "surrogatepass"))

    while time.monotonic() - started < seconds:
        one()
    print(
        f"fuzz: hypothesis ran {target.cases:,} inputs in {time.monotonic() - started:.0f} s; "
        "no crash"
    )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--engine", choices=["atheris", "hypothesis", "atheris-child"], default=None)
    ap.add_argument(
        "--crashes", type=Path, default=Path(tempfile.gettempdir()) / "convcalc-crashes"
    )
    a = ap.parse_args()
    engine = a.engine
    if engine is None:
        try:
            import atheris  # noqa: F401

            engine = "atheris"
        except ImportError:
            print("fuzz: atheris is not installed here; using hypothesis instead")
            engine = "hypothesis"
    run = {"atheris": with_atheris, "atheris-child": atheris_child}.get(engine, with_hypothesis)
    return run(a.seconds, a.crashes)


if __name__ == "__main__":
    raise SystemExit(main())
