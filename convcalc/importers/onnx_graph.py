"""ONNX graphs -> spec documents (placeholder)."""

from __future__ import annotations

from pathlib import Path

from convcalc.errors import UsageError
from convcalc.spec.yaml_source import Source


def load_document(path: str | Path) -> Source:
    raise UsageError("ONNX is not read yet")
