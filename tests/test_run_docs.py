"""docs/run.md shows real output: every ```console block is rerun, as the README's are (the
```text blocks hold timings, which vary from run to run)."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_doc_outputs_are_current() -> None:
    refresh = runpy.run_path(str(ROOT / "scripts" / "readme.py"))["refresh"]
    text = (ROOT / "docs" / "run.md").read_text()
    assert text.count("```console") >= 1
    assert refresh(text) == text, "docs/run.md is stale: rerun its console commands"
