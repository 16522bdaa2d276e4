"""Layer kinds. Importing this package imports every module in it, and so registers every kind
(each ``@register`` class) in :data:`REGISTRY`: a kind in a new module needs no edit here."""

import importlib
import pkgutil

from convcalc.layers.base import Layer, LayerError, Shape, Weight
from convcalc.layers.registry import ALIASES, REGISTRY, lookup, suggest

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["ALIASES", "REGISTRY", "Layer", "LayerError", "Shape", "Weight", "lookup", "suggest"]
