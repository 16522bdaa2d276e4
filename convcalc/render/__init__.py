"""Renderers: the only place numbers become text. ``render(report, fmt)`` picks one."""

from __future__ import annotations

from convcalc.report import Report

FORMATS = ("table", "keras", "json", "markdown", "csv")


def render(report: Report, fmt: str, color: bool = False) -> str:
    if fmt == "keras":
        from convcalc.render.keras import render_keras
        return render_keras(report)
    if fmt == "table":
        from convcalc.render.table import render_table
        return render_table(report, color=color)
    from convcalc.render import machine
    return {"json": machine.render_json, "markdown": machine.render_markdown,
            "csv": machine.render_csv}[fmt](report)
