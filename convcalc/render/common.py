"""What several renderers share: the JSON documents' schema version and their common parts."""

from __future__ import annotations

from typing import Any

from convcalc.report import Report

# The version of every JSON document convcalc prints (summary, run, compare, check, diff).
SCHEMA_VERSION = 1


def totals_dict(report: Report) -> dict[str, Any]:
    """The totals of a report as the JSON documents give them."""
    return report.totals.as_dict()
