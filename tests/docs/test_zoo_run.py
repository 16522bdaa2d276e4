"""`--run` executes every zoo spec (batch 1, NumPy kernels): every layer's executed shape equals
the analytic one. This is the slowest file of the suite (about 30 s on 2 cores: VGG and the
U-Net at their standard inputs, 15 and 150 GMACs); each network runs once, at its own input."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import run, zoo
from convcalc.analysis import analyze, load_spec


@pytest.mark.parametrize("name", zoo.names())
def test_every_zoo_spec_runs_with_the_analytic_shapes(name: str) -> None:
    spec = load_spec(name)
    report = analyze(spec)
    result = run(spec, report, batch=1, seed=0)
    assert result.batch == 1
    assert {n: tuple(lr.executed_shape) for n, lr in result.layers.items()} == {
        r.name: tuple(r.output_shape) for r in report.rows
    }
    (out,) = result.outputs.values()
    assert out.shape == (1, *report.output_shape) and np.isfinite(out).all()
