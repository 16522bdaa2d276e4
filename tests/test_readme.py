"""The README's example outputs are real: every ```console command is rerun and compared."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_readme_outputs_are_current():
    proc = subprocess.run([sys.executable, "scripts/readme.py"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, "README is stale; run python scripts/readme.py --write\n" \
        + proc.stdout[-3000:]


def test_quickstart_has_the_two_commands():
    text = (ROOT / "README.md").read_text()
    block = text.split("## Quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = block.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("convcalc summary specs/vgg16.yaml")
    assert "'.[test]'" in lines[1] and "pytest" in lines[1]
    assert "pip install -e '.[test]' && python -m pytest -q" in (ROOT / ".ci/run").read_text()
