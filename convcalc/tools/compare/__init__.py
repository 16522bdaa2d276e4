"""``convcalc compare``: what separable, grouped, bottleneck and spatially separable
convolutions really cost, for one layer (:func:`compare_layer`) or a whole spec
(:func:`compare_spec`). Everything is counted by the engine; renderers make the text.
``--run`` timings are in :mod:`convcalc.tools.compare.timing` (which imports numpy).
"""

from convcalc.tools.compare.request import arch_transform, layer_request, reject_flags
from convcalc.tools.compare.results import (
    ClosedForm,
    LayerChange,
    LayerComparison,
    LayerRequest,
    Part,
    Skip,
    SpecComparison,
    Transform,
    Variant,
)
from convcalc.tools.compare.rewrite import (
    compare_spec,
    dump_spec,
    rewrite_data,
    transform_flags,
    write_spec,
)
from convcalc.tools.compare.variants import compare_layer, variant_layers, variant_spec

__all__ = [
    "ClosedForm",
    "LayerChange",
    "LayerComparison",
    "LayerRequest",
    "Part",
    "Skip",
    "SpecComparison",
    "Transform",
    "Variant",
    "arch_transform",
    "compare_layer",
    "compare_spec",
    "dump_spec",
    "layer_request",
    "reject_flags",
    "rewrite_data",
    "transform_flags",
    "variant_layers",
    "variant_spec",
    "write_spec",
]
