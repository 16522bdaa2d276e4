"""Layer kinds. Importing this package registers every kind in :data:`REGISTRY`."""

from convcalc.layers import (  # noqa: F401  (each module registers its kinds)
    activations,
    conv,
    core,
    merge,
    norm,
    pool,
    reshaping,
    transposed,
)
from convcalc.layers.base import Layer, LayerError, Shape, Weight
from convcalc.layers.registry import ALIASES, REGISTRY, lookup, suggest

__all__ = ["ALIASES", "REGISTRY", "Layer", "LayerError", "Shape", "Weight", "lookup", "suggest"]
