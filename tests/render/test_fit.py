"""Fitting a table to a width (convcalc.render.fit): whatever the table and the width, every
word is printed whole, numbers and shapes never wrap, a table that fits is left as it is, and a
table whose columns each fit beside the first is printed within the width."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.render.table import to_text

WORD = st.text(alphabet="abcdefghij_0123456789", min_size=1, max_size=12)
CELL = st.lists(WORD, min_size=1, max_size=4).map(" ".join)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[tuple[str, bool]], list[list[str]]]:
    """Columns (header, may wrap) and rows; numbers in the columns that may not wrap."""
    n = draw(st.integers(2, 7))
    columns = [(f"col{i}", draw(st.booleans())) for i in range(n)]
    rows = []
    for _ in range(draw(st.integers(1, 6))):
        rows.append(
            [draw(CELL) if wraps else f"{draw(st.integers(0, 10**9)):,}" for _, wraps in columns]
        )
    return columns, rows


def _build(columns: list[tuple[str, bool]], rows: list[list[str]]):  # type: ignore[no-untyped-def]
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for head, wraps in columns:
        table.add_column(
            head,
            justify="left" if wraps else "right",
            no_wrap=True,
            overflow="fold" if wraps else "ellipsis",
        )
    for row in rows:
        table.add_row(*row)
    return table


def _words(text: str) -> set[str]:
    return {w for w in text.split() if set(w) != {"─"}}


@settings(max_examples=150, deadline=None)
@given(tables(), st.integers(20, 160))
def test_fitting_keeps_every_word(t: tuple[list[tuple[str, bool]], list[list[str]]], width: int):
    columns, rows = t
    natural = to_text(_build(columns, rows), width=None)
    fitted = to_text(_build(columns, rows), width=width)
    assert _words(natural) <= _words(fitted)  # nothing cut, no word folded
    for row in rows:
        for cell in row:
            if "," in cell or cell.isdigit():
                assert cell in fitted  # a number is never broken
    widest = max(len(line) for line in natural.splitlines())
    if widest < width:  # (rich measures the box's blank right edge too: one more column)
        assert fitted == natural
    else:
        # each column fits beside the first one at its natural width: within the width
        pairs = [
            max(
                len(x)
                for x in to_text(
                    _build([columns[0], c], [[r[0], r[i]] for r in rows]), width=None
                ).splitlines()
            )
            for i, c in enumerate(columns)
            if i
        ]
        if max(pairs) <= width:
            assert max(len(line) for line in fitted.splitlines()) <= width
