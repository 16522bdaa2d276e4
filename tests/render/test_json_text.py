"""The fast JSON writer against the reference it replaces: ``json.dumps(indent=2)`` with every
list of plain numbers joined onto one line (the regular expression the renderer used before)."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.render import json_text

_FLAT_LIST = re.compile(r"\[\s+([-\d.,\s]*?)\s+\]")


def reference(doc: Any) -> str:
    text = json.dumps(doc, indent=2)
    flat = _FLAT_LIST.sub(
        lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text
    )
    return flat + "\n"


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8)
)
DOCS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(DOCS)
def test_same_text_as_the_reference(doc: Any) -> None:
    assert json_text.dumps(doc) == reference(doc)


def test_each_writes_what_a_list_would() -> None:
    items = [1, 2, 3]
    doc = {"a": json_text.Each(items, lambda x: {"x": x, "s": [x, x]}), "b": 1}
    assert json_text.dumps(doc) == reference({"a": [{"x": x, "s": [x, x]} for x in items], "b": 1})
    assert json_text.dumps({"e": json_text.Each([], str)}) == reference({"e": []})


def test_non_string_keys_as_json_writes_them() -> None:
    doc = {7: "a", 2.5: "b", True: "c", None: "d"}
    assert json_text.dumps(doc) == reference(doc)
