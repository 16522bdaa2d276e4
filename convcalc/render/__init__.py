"""Renderers: the only place numbers become text. One idiom everywhere: a table from a format
name to the function that renders it (``SUMMARY`` here; ``check.RENDERERS`` for check results;
``compare.render_comparison`` and ``diff``'s by format)."""

from __future__ import annotations

from collections.abc import Callable

from convcalc.render import keras, machine, table
from convcalc.report import Report

SUMMARY: dict[str, Callable[..., str]] = {
    "table": table.render_table,
    "keras": lambda report, color=False: keras.render_keras(report),
    "json": lambda report, color=False: machine.render_json(report),
    "markdown": lambda report, color=False: machine.render_markdown(report),
    "csv": lambda report, color=False: machine.render_csv(report),
}


def render(report: Report, fmt: str, color: bool = False) -> str:
    """A summary of ``report`` in ``fmt`` (table, keras, json, markdown or csv)."""
    return SUMMARY[fmt](report, color=color)
