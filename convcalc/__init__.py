"""convcalc: shapes, parameters and MACs of convolutional layer stacks, from YAML.

Everything a command does is a Python call too::

    from convcalc import load_spec, analyze
    report = analyze(load_spec("specs/vgg16.yaml"))
    report.totals.params  # 138357544
"""

__version__ = "0.1.0"


def load_spec(path):  # noqa: ANN001, ANN201 - thin lazy re-export
    from convcalc.spec.loader import load_spec as _load
    return _load(path)


def analyze(spec):  # noqa: ANN001, ANN201
    from convcalc.engine import analyze as _analyze
    return _analyze(spec)


__all__ = ["__version__", "analyze", "load_spec"]
