"""Importers: the files frameworks write, read as specs without the frameworks.

* Keras: ``model.to_json()`` text (``.json``) and ``.keras`` archives (their ``config.json``):
  :mod:`convcalc.importers.keras`;
* ONNX graphs (``.onnx``; needs the ``onnx`` package: ``pip install 'convcalc[onnx]'``):
  :mod:`convcalc.importers.onnx_graph`.

Each builds the spec document that the spec loader validates, located in the original file,
so every command that takes a spec takes these files too (:func:`load`), and ``convcalc
import`` writes the document as YAML (:func:`document`).
"""

from __future__ import annotations

from pathlib import Path

from convcalc.importers import keras, onnx_graph
from convcalc.spec.loader import parse_source
from convcalc.spec.model import Spec
from convcalc.spec.yaml_source import Source

# file suffix -> (what it is, the function that reads it into a spec document)
READERS = {
    ".json": ("a Keras model.to_json()", keras.load_document),
    ".keras": ("a Keras archive", keras.load_document),
    ".onnx": ("an ONNX graph", onnx_graph.load_document),
}


def handles(path: str | Path) -> bool:
    """Whether ``path`` is a file an importer reads (by its suffix)."""
    return Path(path).suffix.lower() in READERS


def document(path: str | Path, raw: bytes | None = None) -> Source:
    """The spec document of a framework's file, located in that file. ``raw``: the file's
    bytes when they do not come from ``path`` (a committed version; ``path`` names it)."""
    return READERS[Path(path).suffix.lower()][1](path, raw)


def load(path: str | Path, raw: bytes | None = None) -> Spec:
    """Read and validate a framework's file as a spec (raises SpecError, located)."""
    return parse_source(document(path, raw))
