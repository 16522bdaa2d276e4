"""``convcalc import SRC``: a framework's file (Keras JSON or archive, ONNX graph) as a
readable YAML spec that gives the same numbers.

The importer's document is written as a hand-written spec would be: one flow mapping per
layer with the framework's layer names; arguments equal to the kind's default are left out
(``strides: [1, 1]``, ``use_bias: true``, a per-layer ``data_format`` equal to the spec's) and
so is ``inputs`` when it is the previous layer. An ``expect:`` block records the totals, so
that ``convcalc check`` keeps the spec honest. The text is parsed and analysed again before it
is written: it must give exactly the imported model's rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from convcalc import atomic, importers
from convcalc.analysis import analyze, parse_spec
from convcalc.errors import ArgError, UsageError
from convcalc.fields import REQUIRED
from convcalc.layers import lookup
from convcalc.report import Report


def _is_default(kind: str, key: str, value: Any, channels_first: bool) -> bool:
    cls = lookup(kind)
    if key == "activation" and value == "linear":  # Keras's "no activation"
        return True
    if key == "data_format":
        return bool(value == ("channels_first" if channels_first else "channels_last"))
    if cls is None or key not in cls.args:
        return False
    arg = cls.args[key]
    if arg.default is REQUIRED or arg.default is None:
        return False
    try:
        return bool(arg.parse(value) == arg.parse(arg.default))
    except ArgError:  # a value its validator refuses is kept: the loader will say why
        return False


def tidy(data: dict[str, Any]) -> dict[str, Any]:
    """The document without the values that change nothing (see the module's docstring)."""
    cf = data.get("data_format") == "channels_first"
    layers = []
    previous = None
    for entry in data["layers"]:
        ((kind, args),) = entry.items()
        args = {k: v for k, v in args.items() if not _is_default(kind, k, v, cf)}
        if previous is not None and args.get("inputs") == [previous]:
            del args["inputs"]
        previous = args.get("name")
        layers.append({kind: args})
    return {**data, "layers": layers}


def flow(value: Any) -> str:
    """One YAML flow value on one line (PyYAML's quoting)."""
    text: str = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9)
    return text.removesuffix("\n...\n").strip()


def dump(data: dict[str, Any], source: str) -> str:
    lines = [f"# Imported by `convcalc import {source}`: the layers, names and arguments"]
    lines.append("# of that file; the expect: block holds the totals it gives.")
    for key, value in data.items():
        if key == "layers":
            lines.append("layers:")
            lines += [
                f"  - {kind}: {flow(args)}" for entry in value for kind, args in entry.items()
            ]
        elif key == "expect":
            lines.append("expect:")
            lines += [f"  {k}: {flow(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {flow(value)}")
    return "\n".join(lines) + "\n"


def same_rows(a: Report, b: Report) -> bool:
    key = [
        (r.name, r.kind, r.inputs, r.shape, r.params, r.trainable_params, r.macs) for r in a.rows
    ]
    return key == [
        (r.name, r.kind, r.inputs, r.shape, r.params, r.trainable_params, r.macs) for r in b.rows
    ]


def import_text(path: str | Path) -> str:
    """The YAML spec of ``path``; raises SpecError (located in ``path``) if it cannot be read."""
    if not importers.handles(path):
        kinds = ", ".join(f"{what} ({suffix})" for suffix, (what, _) in importers.READERS.items())
        raise UsageError(f"{path}: convcalc imports {kinds}", hint="a YAML spec needs no import")
    src = importers.document(path)
    report = analyze(importers.load(path))
    data = tidy(src.data)
    expect: dict[str, Any] = {**report.totals.as_dict(), "output_shape": list(report.output_shape)}
    if report.incomplete:  # its MACs are unknown: an expectation could only fail
        del expect["macs"]
    data["expect"] = expect
    text = dump(data, Path(path).name)
    again = analyze(parse_spec(text, f"{path} (imported)"))
    if not same_rows(report, again):  # a bug, not a user error: say so rather than write it
        raise UsageError(
            f"the YAML written for {path} does not give the same layers; please report this"
        )
    return text


def write_import(path: str | Path, out: str | Path, force: bool) -> None:
    target = Path(out)
    if target.exists() and not force:
        raise UsageError(f"{out} already exists; pass --force to overwrite it")
    text = import_text(path)
    try:
        atomic.write_text(target, text)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
