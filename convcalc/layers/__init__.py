"""Layer kinds. Importing this package imports every module in it, and so registers every kind
(each ``@register`` class) in :data:`REGISTRY`: a kind in a new module needs no edit here."""

import importlib
import os

from convcalc.layers.base import Layer, LayerError, Shape, Weight
from convcalc.layers.registry import ALIASES, REGISTRY, lookup, suggest

for _file in sorted(os.listdir(os.path.dirname(__file__))):
    if _file.endswith(".py") and not _file.startswith("_"):
        importlib.import_module(f"{__name__}.{_file[:-3]}")

__all__ = ["ALIASES", "REGISTRY", "Layer", "LayerError", "Shape", "Weight", "lookup", "suggest"]
