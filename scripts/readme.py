"""Keep the README's example outputs real: run every ```console block's `$ convcalc ...` command
and compare (default) or rewrite (--write) the output shown under it.

    python scripts/readme.py          # exit 1 and show a diff if an output is stale
    python scripts/readme.py --write  # refresh the outputs in place (README.md and docs/*.md)

Blocks fenced as ```text are not checked (timings and other run-dependent output).
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def run(command: str) -> str:
    args = shlex.split(command)
    assert args[0] == "convcalc", command
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "convcalc", *args[1:]],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode:
        out += f"[exit code {proc.returncode}]\n"
    return out


def refresh(text: str) -> str:
    def block(m: re.Match[str]) -> str:
        body = m.group(1)
        commands = [line[2:] for line in body.splitlines() if line.startswith("$ ")]
        parts = []
        for command in commands:
            parts.append(f"$ {command}\n{run(command)}")
        return "```console\n" + "".join(parts) + "```"

    return BLOCK.sub(block, text)


def main() -> int:
    old = README.read_text()
    new = refresh(old)
    if "--write" in sys.argv:
        README.write_text(new)
        for doc in sorted((ROOT / "docs").glob("*.md")):
            text = doc.read_text()
            fresh = refresh(text)
            if fresh != text:
                doc.write_text(fresh)
        return 0
    if old != new:
        sys.stdout.writelines(
            difflib.unified_diff(
                old.splitlines(True),
                new.splitlines(True),
                "README.md",
                "README.md (commands rerun)",
            )
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
