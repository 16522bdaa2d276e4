"""convcalc: shapes, parameters and MACs of convolutional layer stacks, from YAML.

Everything a command does is a Python call too::

    from convcalc import load_spec, analyze
    report = analyze(load_spec("specs/vgg16.yaml"))
    report.totals.params  # 138357544
    result = run(load_spec("specs/vgg16.yaml"), repeat=3)   # NumPy kernels (--run)
    result.forward_s, result.outputs["predictions"].shape   # (0.246, (1, 1000))
"""

__version__ = "0.1.0"


def load_spec(path):  # noqa: ANN001, ANN201 - thin lazy re-export
    from convcalc.spec.loader import load_spec as _load
    return _load(path)


def analyze(spec):  # noqa: ANN001, ANN201
    from convcalc.engine import analyze as _analyze
    return _analyze(spec)


def run(spec, report=None, **options):  # noqa: ANN001, ANN003, ANN201
    """Execute ``spec`` with the NumPy runtime; ``options`` are those of
    :class:`convcalc.runtime.executor.RunOptions` (batch, seed, input_path, weights_path,
    weights_layout, repeat, true_convolution, keep_activations)."""
    from convcalc.runtime.executor import RunOptions, execute
    return execute(spec, report if report is not None else analyze(spec), RunOptions(**options))


__all__ = ["__version__", "analyze", "load_spec", "run"]
