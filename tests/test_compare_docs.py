"""docs/compare.md shows real output: every ```console block is rerun, as the README's are."""

from __future__ import annotations

import runpy

from tests.conftest import ROOT


def test_compare_doc_outputs_are_current() -> None:
    refresh = runpy.run_path(str(ROOT / "scripts" / "readme.py"))["refresh"]
    text = (ROOT / "docs" / "compare.md").read_text()
    assert text.count("```console") >= 7
    assert refresh(text) == text, "docs/compare.md is stale: rerun its console commands"
