"""Analysis: the engine (shapes, params, MACs), the receptive field, and loading a spec with
every problem reported at once (argument problems and the shape problems of the layers that
did parse)."""

from __future__ import annotations

from pathlib import Path

from convcalc import importers, zoo
from convcalc.analysis.engine import analyze, shape_problems
from convcalc.errors import SpecError
from convcalc.report import Report
from convcalc.spec import loader
from convcalc.spec.files import decode_spec
from convcalc.spec.model import Spec

__all__ = ["analyze", "load_and_analyze", "load_spec", "parse_file_bytes", "parse_spec"]


def _with_shape_problems(err: SpecError) -> SpecError:
    """``err`` plus the shape problems of the layers that parsed: they are independent of the
    others, so one run reports them all (layers downstream of a broken one are skipped)."""
    if err.partial is None:
        return err
    return SpecError(loader.distinct(err.problems + shape_problems(err.partial)))


def parse_spec(text: str, file: str = "<spec>") -> Spec:
    """Validate spec ``text``; raise :class:`SpecError` with every problem, shapes included."""
    try:
        return loader.parse(text, file)
    except SpecError as err:
        raise _with_shape_problems(err) from None


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file: YAML, a framework's file that an importer reads (Keras
    JSON or archive, ONNX), or the zoo spec of that name when no such file exists
    (``resnet50``); raise :class:`SpecError` listing every problem."""
    missing = zoo.not_found(path)
    if missing is not None:
        raise SpecError([missing])
    try:
        resolved = zoo.resolve(path)
        return importers.load(resolved) if importers.handles(resolved) else loader.load(resolved)
    except SpecError as err:
        raise _with_shape_problems(err) from None


def parse_file_bytes(raw: bytes, file: str) -> Spec:
    """Validate the bytes of a spec file named ``file`` (e.g. a committed version,
    ``HEAD:model.json``): YAML, or a framework's file by its suffix."""
    try:
        if importers.handles(file):
            return importers.load(file, raw)
        return loader.parse(decode_spec(raw, file), file)
    except SpecError as err:
        raise _with_shape_problems(err) from None


def load_and_analyze(path: str | Path) -> tuple[Spec, Report]:
    spec = load_spec(path)
    return spec, analyze(spec)
