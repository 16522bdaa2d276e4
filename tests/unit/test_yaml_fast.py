"""The fast YAML reader (convcalc.spec.yaml_fast) against libyaml's reading of the same text.

The independent reference is PyYAML with libyaml (``yaml.CSafeLoader``, through the event
loop that convcalc used for every document before): for any text, the fast reader either
leaves the document to it (``Unsure``) or gives the same values, the same locations for every
path it records, and records every path of up to ``RECORDED`` items.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convcalc.errors import SpecError
from convcalc.spec import yaml_fast
from convcalc.spec.yaml_source import _libyaml, load_yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [*ROOT.glob("specs/*.yaml"), *ROOT.glob("convcalc/zoo/*.yaml"), *ROOT.glob("tests/**/*.yaml")]
)


def agree(text: str) -> bool:
    """True if the fast reader read ``text``, False if it left it to libyaml; fails the test if
    the two readings differ."""
    try:
        data, locs = yaml_fast.read(text)
    except yaml_fast.Unsure:
        return False
    try:
        full = _libyaml(text, "t.yaml")
    except SpecError as err:
        raise AssertionError(f"the fast reader read a document libyaml refuses: {err}") from None
    assert repr(data) == repr(full.data)  # repr: 1 and 1.0 and True differ
    for path, packed in locs.items():
        assert full.locs.get(path) == packed, path
    assert [p for p in full.locs if len(p) <= yaml_fast.RECORDED and p not in locs] == []
    return True


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_spec_in_the_repository(path: Path) -> None:
    agree(path.read_text())


def test_the_shipped_specs_take_the_fast_path() -> None:
    shipped = [p for p in FILES if "tests" not in p.parts]
    assert shipped and all(agree(p.read_text()) for p in shipped)


# --- plain scalars: the forms read here, and the doubtful ones left to PyYAML -----------------
def pyyaml_value(text: str) -> Any:
    return yaml.load("v: " + text, Loader=yaml.CSafeLoader)["v"]


@pytest.mark.parametrize(
    "text",
    [
        "1", "-0", "+5", "0", "007", "0x1F", "0b101", "1_000", "1:30", "1.5", "1.", ".5", "-.5",
        "1e5", "1.0e5", "1.0e+5", "-1.5e-3", ".inf", ".NaN", "2001-12-14", "yes", "No", "ON",
        "off", "y", "n", "True", "tRUE", "null", "Null", "~", "<<", "=", "3a_1x1", "relu",
        "${name}_1", "$filters", "layer1.0.conv1", "same", "Conv2D",
    ],
)  # fmt: skip
def test_plain_scalars_read_as_pyyaml_reads_them(text: str) -> None:
    try:
        value = yaml_fast.plain_value(text)
    except yaml_fast.Unsure:
        return  # left to libyaml: always right
    assert repr(value) == repr(pyyaml_value(text))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789+-._:eExXbBoOabcdfyYnNtTrRuUlL~<=$# ", min_size=1, max_size=8))
def test_plain_scalars_in_every_place(text: str) -> None:
    for doc in (f"v: {text}\n", f"v: [{text}, 1]\n", f"- {text}\n", f"a: {{v: {text}}}\n"):
        agree(doc)


# --- whole documents: random spec-like values, written in the styles specs use ----------------
SCALARS = st.one_of(
    st.integers(-300, 300),
    st.sampled_from([0.5, 1.001e-5, 2.0, "relu", "same", "${name}_a", "3a", "x y", "on", "true",
                     "null", "~", "1e5", "a:b", "a #b", "it's", "-1x", "", " lead", "#x", "*a"]),
)  # fmt: skip
KEYS = st.sampled_from(["name", "filters", "kernel_size", "strides", "a b", "on", "1", "Conv2D"])


def values(depth: int = 0) -> st.SearchStrategy[Any]:
    if depth >= 3:
        return SCALARS
    inner = st.deferred(lambda: values(depth + 1))
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=3),
        st.dictionaries(KEYS, inner, max_size=3),
    )


def scalar_text(value: Any, style: int) -> str:
    if isinstance(value, str):
        if style % 3 == 1:
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if style % 3 == 2:
            return "'" + value.replace("'", "''") + "'"
        return value
    return repr(value) if isinstance(value, float) else str(value)


def flow(value: Any, style: int) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v, style)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v, style) for v in value) + "]"
    return scalar_text(value, style)


def block(value: Any, indent: int, style: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict) and value:
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v and style % 2:
                lines.append(f"{pad}{k}:  # a comment")
                lines += block(v, indent + 2, style + 1)
            else:
                lines.append(f"{pad}{k}: {flow(v, style)}")
        return lines
    if isinstance(value, list) and value:
        for v in value:
            if isinstance(v, dict) and v and style % 2:
                first, *rest = block(v, indent + 2, style + 1)
                lines += [f"{pad}- {first.lstrip()}", *rest]
            else:
                lines.append(f"{pad}- {flow(v, style)}")
        return lines
    return [pad + flow(value, style)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, values(), min_size=1, max_size=4), st.integers(0, 5))
def test_random_documents(value: dict[str, Any], style: int) -> None:
    agree("# spec\n" + "\n".join(block(value, 0, style)) + "\n")


@pytest.mark.parametrize(
    "text",
    [
        "a: [1,\n  2, 3]  # spans lines\nb: {x: 1,\n    y: [2, 3]}\n",
        'source: "one line\n  and the next\n\n  a paragraph"\n',
        "source: 'it''s\n  folded'\n",
        "layers:\n- Conv2D: {filters: 4}\n- Flatten\nname: x\n",
        "layers:\n  - Conv2D:\n      filters: 4\n    name: c\n  - Dense: {units: 3}  # note\n",
        "a:\nb: ~\nc: [ ]\nd: {}\n",
        "- - 1\n  - 2\n- x\n",
        "x\n",
        "",
        "# only a comment\n",
        "a: https://example.com/x?y=1#z\n",
        "a: 1\n  b: 2\n",  # invalid: libyaml says so
        "a: b: c\n",  # invalid
        "a: [1, 2,]\n",
        "a: {b}\n",
        "a: [b: 1]\n",
        "a: 1\na: 2\n",  # a duplicate: reported by libyaml
        "a: &x 1\nb: *x\n",
        "a: !!int 1\n",
        "a: |\n  text\n",
        "a: 'x\n",
        "a:\n- 1\n- 2\nb: 3\n",
        "a: plain\n  continued\n",
        "a: [1, 2] trailing\n",
        "- a: 1\n  b: [1, 2]\n- c\n",
    ],
)
def test_documents(text: str) -> None:
    agree(text)


def test_the_source_map_is_completed_when_a_message_needs_a_deep_place() -> None:
    text = "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: 3}\n"
    src = load_yaml(text, "t.yaml")
    assert src.text is not None  # the fast reader's partial map
    at = src.at(("layers", 0, "Conv2D", "kernel_size"))
    assert (at.line, at.col) == (3, 39)  # counted by hand: the 3 after "kernel_size: "
    assert src.text is None and ("layers", 0, "Conv2D", "filters") in src.locs


def test_places_of_the_layer_list_are_dropped_after_parse_and_found_again() -> None:
    from convcalc.analysis import parse_spec

    text = (
        "input: [8, 8, 3]\nlayers:\n  - Conv2D: {filters: 4, kernel_size: 3}\n"
        "  - Conv2D: {filters: 4, kernel_size: 9}\nexpect:\n  params: 1\n"
    )
    spec = parse_spec(text, "t.yaml")
    src = spec.source
    assert not any(p[:1] == ("layers",) and len(p) > 1 for p in src.locs)
    assert ("expect", "params") in src.locs  # check's messages still find theirs at once
    assert (spec.layers[2].loc.line, spec.layers[2].loc.col) == (4, 5)  # its "Conv2D"
    # a later message (a shape problem: kernel 9 on an 8x8 input) finds its place again
    at = spec.layers[2].layer.arg_locs["kernel_size"]
    assert (at.line, at.col) == (4, 39)  # counted by hand: the 9 after "kernel_size: "
    assert src.at(("layers", 1)) == src.key_at(("layers", 1)) == (at._replace(line=4, col=5))


def test_plain_specs_do_not_import_pyyaml() -> None:
    code = (
        "import sys\nfrom convcalc.analysis import load_spec\n"
        "load_spec('specs/vgg16.yaml'); load_spec('resnet50')\n"
        "from convcalc.analysis import parse_spec\n"  # bare kinds: "- Flatten", twice
        "s = parse_spec('input: [2, 2, 1]\\nlayers:\\n  - Flatten\\n  - ReLU\\n  - ReLU\\n')\n"
        "assert [x.loc.line for x in s.layers[1:]] == [3, 4, 5]\n"
        "assert 'yaml' not in sys.modules, 'PyYAML imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
