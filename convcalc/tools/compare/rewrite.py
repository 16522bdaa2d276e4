"""A whole spec with every eligible convolution rewritten (``convcalc compare SPEC``): at the
YAML data level (names and everything else kept), re-parsed and re-counted; :func:`write_spec`
saves it.

Which kinds may be rewritten, and why the others are kept, is each kind's ``compare_role``.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml

from convcalc import atomic
from convcalc.analysis import analyze, parse_spec
from convcalc.counting import TOTAL_FIELDS
from convcalc.errors import UsageError
from convcalc.layers.base import CompareRole, Layer
from convcalc.report import LayerRow, Report
from convcalc.spec.model import LayerSpec, Spec
from convcalc.tools.compare.results import LayerChange, Part, Skip, SpecComparison, Transform
from convcalc.tools.compare.variants import parts


def _eligible(role: CompareRole, layer: Any, row: LayerRow, t: Transform) -> Skip | None:
    if t.kind not in role.rewrites:
        return Skip(role.skip)
    c_in = row.in_shapes[0][-1]
    groups = getattr(layer, "groups", 1)
    if groups != 1:
        return Skip("grouped", (("groups", groups),))
    if t.kind in ("separable", "bottleneck") and math.prod(layer.kernel_size) == 1:
        return Skip("pointwise")
    if c_in % t.value:
        return Skip("channels", (("channels", c_in), ("by", t.value)))
    if t.kind == "grouped" and layer.filters % t.value:
        return Skip("filters", (("filters", layer.filters), ("by", t.value)))
    return None


def _unique(name: str, taken: set[str]) -> str:
    candidate, i = name, 1
    while candidate in taken:
        candidate, i = f"{name}_{i}", i + 1
    taken.add(candidate)
    return candidate


def _rewrite(
    role: CompareRole,
    written: str,
    args: dict[str, Any],
    t: Transform,
    c_in: int,
    layer: Any,
    taken: set[str],
) -> list[dict[str, Any]]:
    """The entries that replace one eligible convolution entry (``args``: a copy of its own);
    a kind that stays keeps its spelling (``Conv2d`` stays ``Conv2d``)."""
    if t.kind == "separable":
        args.pop("groups", None)
        if t.value != 1:
            args["depth_multiplier"] = t.value
        return [{role.separable: args}]
    if t.kind == "grouped":
        args["groups"] = t.value
        return [{written: args}]
    width = c_in // t.value
    reduce: dict[str, Any] = {
        "name": _unique(f"{args['name']}_reduce", taken),
        "filters": width,
        "kernel_size": 1,
    }
    if getattr(layer, "activation", None):
        reduce["activation"] = layer.activation
    if not layer.use_bias:
        reduce["use_bias"] = False
    if "inputs" in args:
        reduce["inputs"] = args["inputs"]
        args["inputs"] = reduce["name"]
    if "trainable" in args:
        reduce["trainable"] = args["trainable"]
    if "in_channels" in args:
        args["in_channels"] = width
    return [{role.pointwise: reduce}, {written: args}]


def _role(layer: Layer) -> CompareRole | None:
    return type(layer).compare_role


def rewrite_data(
    spec: Spec, before: Report, t: Transform
) -> tuple[dict[str, Any], dict[str, Skip | None], dict[str, str]]:
    """The spec's YAML data with every eligible convolution rewritten.

    Returns ``(data, verdicts, owner)``: verdicts maps each convolution's name to ``None``
    (rewritten) or its :class:`Skip`; ``owner`` maps every new layer name to the original one.
    Every layer name is written out explicitly, so that automatic names and ``inputs:``
    references stay as they were; expectations of totals (no longer true) are dropped.
    Entries are found by their path in the document (``LayerSpec.path``).
    """
    data = copy.deepcopy(spec.source.data)
    # InputLayer entries of the list too (imported specs have them): they are kept as written
    by_path: dict[tuple[Any, ...], LayerSpec] = {ls.path: ls for ls in spec.layers}
    taken = {ls.name for ls in spec.layers}
    verdicts: dict[str, Skip | None] = {}
    owner: dict[str, str] = {}
    new_layers: list[Any] = []
    for i, entry in enumerate(data["layers"]):
        ls = by_path[("layers", i)]
        written, args = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        args = {"name": ls.name, **{k: v for k, v in (args or {}).items() if k != "name"}}
        role = _role(ls.layer)
        if role is None:
            new_layers.append({written: args})
            continue
        row = before.row(ls.name)
        verdicts[ls.name] = skip = _eligible(role, ls.layer, row, t)
        if skip is not None:
            new_layers.append({written: args})
            continue
        for new in _rewrite(role, written, args, t, row.in_shapes[0][-1], ls.layer, taken):
            owner[next(iter(new.values()))["name"]] = ls.name
            new_layers.append(new)
    data["layers"] = new_layers
    if any(v is None for v in verdicts.values()):
        suffix = {
            "separable": "separable",
            "grouped": f"groups{t.value}",
            "bottleneck": f"bottleneck{t.value}",
        }[t.kind]
        data["name"] = f"{spec.name}_{suffix}"
        _drop_stale_expectations(data, verdicts)
    return data, verdicts, owner


def _drop_stale_expectations(data: dict[str, Any], verdicts: dict[str, Skip | None]) -> None:
    expect = data.get("expect")
    if not isinstance(expect, dict):
        return
    for key in TOTAL_FIELDS:
        expect.pop(key, None)
    for lname, lexp in list((expect.get("layers") or {}).items()):
        if lname in verdicts and verdicts[lname] is None and isinstance(lexp, dict):
            lexp.pop("params", None)
            lexp.pop("macs", None)
            if not lexp:
                del expect["layers"][lname]
    if expect.get("layers") == {}:
        del expect["layers"]
    if not expect:
        del data["expect"]


def dump_spec(data: dict[str, Any], header: str = "") -> str:
    """YAML text of a spec's data: keys in their order, one flow mapping per layer."""
    body = yaml.safe_dump(
        data, sort_keys=False, default_flow_style=None, width=120, allow_unicode=True
    )
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    return lines + body


def compare_spec(spec: Spec, t: Transform) -> SpecComparison:
    """Rewrite every eligible convolution of ``spec`` with ``t``; count before and after."""
    before = analyze(spec)
    data, verdicts, owner = rewrite_data(spec, before, t)
    new_spec = parse_spec(dump_spec(data), f"{spec.file} (rewritten)")
    after = analyze(new_spec)
    replaced: dict[str, list[Part]] = {}
    for part in parts(after, new_spec):
        replaced.setdefault(owner.get(part.name, part.name), []).append(part)
    changes = []
    for r in before.rows:
        is_conv = r.name in verdicts
        if r.is_input or (r.params == 0 and r.macs == 0 and not is_conv):
            continue
        skip = verdicts.get(r.name)
        changes.append(
            LayerChange(
                r.name,
                r.kind,
                tuple(replaced[r.name]),
                r.params,
                r.macs,
                is_conv and skip is None,
                skip,
            )
        )
    return SpecComparison(t, before, after, tuple(changes), data, spec=new_spec)


def transform_flags(t: Transform) -> str:
    """The command-line flags that ask for ``t``."""
    if t.kind == "separable":
        return "--separable" + (f" --depth-multiplier {t.value}" if t.value != 1 else "")
    return f"--{'groups' if t.kind == 'grouped' else 'bottleneck'} {t.value}"


def write_spec(result: SpecComparison, path: str | Path, force: bool = False) -> None:
    """Save the rewritten spec, atomically; never replace an existing file unless ``force``."""
    p = Path(path)
    if p.exists() and not force:
        raise UsageError(f"{path} already exists; pass --force to overwrite it")
    header = (
        f"{result.after.name}: {result.before.name} with every eligible convolution "
        f"rewritten by\n  convcalc compare {result.before.file} "
        f"{transform_flags(result.transform)}"
    )
    try:
        atomic.write_text(p, dump_spec(result.data, header))
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
