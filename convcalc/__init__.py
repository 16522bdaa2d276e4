"""convcalc: shapes, parameters and MACs of convolutional layer stacks, from YAML.

Everything a command does is a Python call too::

    from convcalc import load_spec, analyze, run
    report = analyze(load_spec("specs/vgg16.yaml"))
    report.totals.params  # 138357544
    result = run(load_spec("specs/vgg16.yaml"), repeat=3)   # NumPy kernels (--run)
    result.forward_s, result.outputs["predictions"].shape   # (0.246, (1, 1000))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path

    from convcalc.report import Report
    from convcalc.runtime.executor import RunResult
    from convcalc.spec.model import Spec


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file (every problem at once, shape problems included)."""
    from convcalc.analysis import load_spec as _load

    return _load(path)


def analyze(spec: Spec) -> Report:
    """Shapes, params, MACs and receptive fields of every layer of ``spec``."""
    from convcalc.analysis import analyze as _analyze

    return _analyze(spec)


def run(spec: Spec, report: Report | None = None, **options: Any) -> RunResult:
    """Execute ``spec`` with the NumPy runtime; ``options`` are the fields of
    :class:`convcalc.runtime.options.RunOptions` (seed, input_path, batch, weights_path,
    weights_layout, repeat, true_convolution, keep_activations, ...)."""
    from convcalc.runtime.executor import RunOptions, execute

    return execute(spec, report if report is not None else analyze(spec), RunOptions(**options))


__all__ = ["__version__", "analyze", "load_spec", "run"]
