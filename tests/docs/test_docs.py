"""The documentation's example outputs are real: every ```console block of README.md and
docs/*.md is rerun and compared (``python scripts/readme.py --write`` refreshes them; ```text
blocks hold timings, which vary from run to run)."""

from __future__ import annotations

import runpy
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# at least this many console blocks in each document (a document must not lose its examples)
DOCS = {"README.md": 10, "docs/check.md": 9, "docs/compare.md": 7, "docs/run.md": 1}


def test_readme_outputs_are_current() -> None:
    proc = subprocess.run(
        [sys.executable, "scripts/readme.py"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, (
        "README is stale; run python scripts/readme.py --write\n" + proc.stdout[-3000:]
    )


@pytest.mark.parametrize("doc", [d for d in DOCS if d != "README.md"])
def test_doc_outputs_are_current(doc: str) -> None:
    refresh = runpy.run_path(str(ROOT / "scripts" / "readme.py"))["refresh"]
    text = (ROOT / doc).read_text()
    assert refresh(text) == text, f"{doc} is stale: rerun its console commands"


@pytest.mark.parametrize("doc", list(DOCS))
def test_docs_keep_their_examples(doc: str) -> None:
    assert (ROOT / doc).read_text().count("```console") >= DOCS[doc]


def test_quickstart_has_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("## Quickstart", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = block.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("convcalc summary specs/vgg16.yaml")
    assert "'.[test]'" in lines[1] and "pytest" in lines[1]
    assert "pip install -e '.[test]' && python -m pytest -q" in (ROOT / ".ci/run").read_text()


def test_check_doc_examples_fail_as_the_doc_says() -> None:
    # the doc's examples must keep failing for the reasons it gives (VGG16: 138,357,544 params
    # > 100M; block1_conv1's 224*224*64 = 3,211,264 int8 bytes > 2 MiB = 2,097,152)
    from convcalc.tools.check import check_files

    (edge,) = check_files([str(ROOT / "docs" / "examples" / "vgg16_edge.yaml")])
    assert [(o.key, o.actual) for o in edge.failures] == [
        ("max_params", 138_357_544),
        ("max_activation_bytes", 3_211_264),
    ]


@pytest.mark.parametrize("doc", list(DOCS))
def test_every_code_block_is_closed_before_the_next_section(doc: str) -> None:
    """A lost ``` fence swallows the prose after it into a console block (and the rerun then
    replaces that prose with command output): no section heading may sit inside a block."""
    inside = False
    for number, line in enumerate((ROOT / doc).read_text().splitlines(), 1):
        if line.startswith("```"):
            inside = not inside
        elif inside and line.startswith("## "):
            raise AssertionError(f"{doc}:{number}: heading inside a code block: {line}")
    assert not inside, f"{doc}: a code block is not closed"
