"""Text for ``convcalc compare``: one layer against its variants, or a spec before and after.

Formats as for ``summary``: a rich table fitted to the output width by
:mod:`convcalc.render.fit` (``text``), ``json``, ``markdown`` and ``csv``. Ratios are computed
as exact fractions in :mod:`convcalc.tools.compare` and shown here with 4 significant digits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from convcalc.render.compare.layer import build_layer_table, layer_csv, layer_dict, layer_markdown
from convcalc.render.compare.spec import build_spec_table, spec_csv, spec_dict, spec_markdown
from convcalc.render.table import to_text
from convcalc.tools.compare import LayerComparison, SpecComparison

__all__ = ["render_comparison"]


def render_comparison(cmp: LayerComparison | SpecComparison, fmt: str, color: bool = False) -> str:
    """``fmt``: text (the rich table), json, markdown or csv."""
    if isinstance(cmp, LayerComparison):
        views = LAYER_VIEWS
    else:
        views = SPEC_VIEWS
    if fmt == "text":
        return to_text(views["text"](cmp), color)
    return views[fmt](cmp)  # type: ignore[no-any-return]


def _json(doc: Callable[[Any], dict[str, Any]]) -> Callable[[Any], str]:
    return lambda cmp: json.dumps(doc(cmp), indent=2, ensure_ascii=False) + "\n"


LAYER_VIEWS: dict[str, Callable[[Any], Any]] = {
    "text": build_layer_table,
    "json": _json(layer_dict),
    "markdown": layer_markdown,
    "csv": layer_csv,
}
SPEC_VIEWS: dict[str, Callable[[Any], Any]] = {
    "text": build_spec_table,
    "json": _json(spec_dict),
    "markdown": spec_markdown,
    "csv": spec_csv,
}
