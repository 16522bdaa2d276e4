"""``compare --run``: the measured forward time of each variant, or of a spec before and after
its rewrite, with the NumPy runtime (importing this module imports numpy)."""

from __future__ import annotations

import statistics
from dataclasses import replace

from convcalc.analysis import analyze
from convcalc.runtime.executor import Execution
from convcalc.runtime.options import RunOptions
from convcalc.spec.model import Spec
from convcalc.tools.compare.results import SPEC_REPEATS, LayerComparison, SpecComparison
from convcalc.tools.compare.variants import variant_layers, variant_spec


def time_variants(
    specs: list[tuple[str, Spec]], *, batch: int = 1, repeats: int = 7, seed: int = 0
) -> list[int]:
    """Median wall time (ns) of each spec on a seeded random float32 batch: the NumPy runtime
    runs a warm-up and then ``repeats`` forwards (weight creation excluded)."""
    medians = []
    for _, spec in specs:
        ex = Execution(spec, analyze(spec), RunOptions(batch=batch, seed=seed))
        ex.forward()
        ex.tune()
        medians.append(round(statistics.median(ex.forward() for _ in range(repeats)) * 1e9))
    return medians


def timed(cmp: LayerComparison, *, repeats: int = 7, seed: int = 0) -> LayerComparison:
    """``cmp`` with the measured median time of every variant (``--run``)."""
    req = cmp.request
    specs = [(key, variant_spec(req, key, layers)) for key, _, layers in variant_layers(req)]
    medians = time_variants(specs, batch=req.batch or 1, repeats=repeats, seed=seed)
    return replace(
        cmp, variants=tuple(replace(v, median_ns=t) for v, t in zip(cmp.variants, medians))
    )


def timed_spec(
    cmp: SpecComparison, spec: Spec, *, repeats: int = SPEC_REPEATS, seed: int = 0
) -> SpecComparison:
    """``cmp`` with the median whole-network forward time before and after the rewrite
    (``compare SPEC --run``): the same seeded input, each network's own seeded weights."""
    before, after = time_variants(
        [("before", spec), ("after", cmp.spec)], repeats=repeats, seed=seed
    )
    return replace(cmp, forward_ns=(before, after))
