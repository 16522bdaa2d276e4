"""Values derived from a weight (a tiled bias, a transformed kernel) are kept only while the
weight lives and only when nothing can change it; a writable weight changed in place gives the
new values. And the strided window view reads the positions the definition names."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.ops.base import _DERIVED, bias_act, derived, immutable, row_tile
from convcalc.ops.windows import windows


def test_a_read_only_bias_is_tiled_once_and_dropped_with_it() -> None:
    bias = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    bias.flags.writeable = False
    y = np.zeros((1, 2, 4, 3), dtype=np.float32)
    first = row_tile(bias, y)
    assert first.shape == (4, 3) and np.array_equal(first[2], [1.0, 2.0, 3.0])
    assert row_tile(bias, y) is first
    key = (id(bias), "row_tile", (4, 3))
    assert key in _DERIVED
    del bias, first
    assert key not in _DERIVED


def test_a_writable_bias_changed_in_place_is_seen() -> None:
    bias = np.array([1.0, 2.0], dtype=np.float32)
    y = np.zeros((1, 1, 3, 2), dtype=np.float32)
    assert np.array_equal(bias_act(y.copy(), bias, None)[0, 0, 1], [1.0, 2.0])
    bias *= 10  # same array, new values
    assert np.array_equal(bias_act(y.copy(), bias, None)[0, 0, 1], [10.0, 20.0])
    assert (id(bias), "row_tile", (3, 2)) not in _DERIVED


def test_immutable_follows_the_views_down() -> None:
    a = np.arange(6, dtype=np.float32)
    v = a[1:]
    v.flags.writeable = False
    assert not immutable(v)  # its base can still be written
    a.flags.writeable = False
    assert immutable(a[1:])
    assert immutable(np.frombuffer(b"\0" * 8, dtype=np.float32))
    calls = []
    derived(np.zeros(2), ("x",), lambda: calls.append(1))
    derived(np.zeros(2), ("x",), lambda: calls.append(1))
    assert calls == [1, 1]  # writable: computed each time


@pytest.mark.parametrize(
    ("n", "k", "s", "d"), [((7,), (3,), (2,), (1,)), ((6, 9), (2, 3), (1, 2), (2, 1))]
)
def test_windows_read_o_times_s_plus_t_times_d(n, k, s, d) -> None:
    x = np.arange(2 * int(np.prod(n)) * 3, dtype=np.float32).reshape(2, *n, 3)
    out = tuple((nn - dd * (kk - 1) - 1) // ss + 1 for nn, kk, ss, dd in zip(n, k, s, d))
    w = windows(x, k, s, d, out)
    assert w.shape == (2, *out, *k, 3) and not w.flags.writeable
    for o in np.ndindex(*out):
        for t in np.ndindex(*k):
            pos = tuple(oi * si + ti * di for oi, ti, si, di in zip(o, t, s, d))
            assert np.array_equal(w[(1, *o, *t)], x[(1, *pos)])


def test_windows_that_do_not_fit_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        windows(np.zeros((1, 5, 2), dtype=np.float32), (3,), (1,), (1,), (4,))
