"""docs/check.md shows real output: every ```console block is rerun, as the README's are."""

from __future__ import annotations

import runpy

from tests.conftest import ROOT


def test_check_doc_outputs_are_current() -> None:
    refresh = runpy.run_path(str(ROOT / "scripts" / "readme.py"))["refresh"]
    text = (ROOT / "docs" / "check.md").read_text()
    assert text.count("```console") >= 9
    assert refresh(text) == text, "docs/check.md is stale: rerun its console commands"


def test_check_doc_examples_fail_as_the_doc_says() -> None:
    # the doc's examples must keep failing for the reasons it gives (VGG16: 138,357,544 params
    # > 100M; block1_conv1's 224*224*64 = 3,211,264 int8 bytes > 2 MiB = 2,097,152)
    from convcalc.tools.check import check_files

    (edge,) = check_files([str(ROOT / "docs" / "examples" / "vgg16_edge.yaml")])
    assert [(o.key, o.actual) for o in edge.failures] == [
        ("max_params", 138_357_544), ("max_activation_bytes", 3_211_264)]
