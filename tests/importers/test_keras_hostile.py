"""A Keras config is treated as hostile: every value of two real configs (a shared layer in
Keras 3's form, a nested model in Keras 2's) replaced by values of the wrong kind gives either a
model or a located error (ConvcalcError), never another exception."""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest

from convcalc.analysis import analyze, load_spec
from convcalc.errors import ConvcalcError, SpecError
from tests.conftest import GOLDEN

GARBAGE: list[Any] = [None, "x", -1, 1.5, [], {}, [1, "a"], True]


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if path:
        yield path
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, inner in items:
        yield from paths(inner, path + (key,))


@pytest.mark.parametrize("name", ["shared.keras3", "nested.keras2"])
def test_every_mutation_is_a_model_or_a_located_error(name, tmp_path):
    doc = json.loads(gzip.open(GOLDEN / "keras" / f"{name}.json.gz", "rt").read())
    target = tmp_path / "m.json"
    refused = 0
    for path in list(paths(doc)):
        for garbage in GARBAGE:
            mutated = copy.deepcopy(doc)
            holder = mutated
            for key in path[:-1]:
                holder = holder[key]
            holder[path[-1]] = garbage
            target.write_text(json.dumps(mutated))
            try:
                analyze(load_spec(target))
            except SpecError as err:
                assert all(p.loc.file == str(target) for p in err.problems)
                refused += 1
            except ConvcalcError:
                refused += 1
    assert refused > 100
