"""YAML file -> :class:`Spec`, reporting every independent problem at once.

Validation runs in two phases per layer (as mkdocs does for options): each argument on its
own (type, range, unknown names, both spellings of an alias), then the cross-argument rules of
the layer kind, only if the first phase passed. Shape rules need the input shapes and are
checked by the engine: :func:`convcalc.analysis.load_spec` adds them to the same report.
"""

from __future__ import annotations

import heapq
from pathlib import Path
from typing import Any

from convcalc.errors import MAX_PROBLEMS, ArgError, Location, Problem, SpecError
from convcalc.layers import REGISTRY, lookup, suggest
from convcalc.spec.document import TOP, TOP_KEYS
from convcalc.spec.entry import EntryParser
from convcalc.spec.expand import Entry, Expander, resolve_inputs
from convcalc.spec.expect import SectionParser
from convcalc.spec.files import decode_spec, read_input_file
from convcalc.spec.limits import current
from convcalc.spec.model import LayerSpec, Spec
from convcalc.spec.names import AutoNames, final_names
from convcalc.spec.yaml_source import Reporter, Source, load_yaml

SUGGEST_FROM = 200  # a wrong input name is compared with the inputs and this many layers before


def read_spec_text(path: str | Path) -> str:
    """The text of the spec file ``path``, read only if it is a regular file within the
    limits in force (:mod:`convcalc.spec.limits`); raise :class:`SpecError` saying why not."""
    return decode_spec(read_input_file(path, "spec", current().max_file_bytes), str(path))


def load(path: str | Path) -> Spec:
    """Read and validate a spec file; raise :class:`SpecError` listing every problem found
    without shapes (its ``partial`` holds the layers that did parse)."""
    return parse(read_spec_text(path), str(path))


def distinct(problems: list[Problem]) -> list[Problem]:
    """``problems`` without repeats of the same message at the same place (a block's layer
    used many times, or repeated, is reported once)."""
    seen: set[tuple[Location, str]] = set()
    out = []
    for p in problems:
        if (p.loc, p.message) not in seen:
            seen.add((p.loc, p.message))
            out.append(p)
    return out


def parse(text: str, file: str = "<spec>") -> Spec:
    """Validate spec ``text`` (see :func:`load`)."""
    return _Parser(load_yaml(text, file)).parse()


def parse_source(src: Source) -> Spec:
    """Validate a spec document that is already parsed (an importer's, located in its file)."""
    return _Parser(src).parse()


def _explicit_names(entries: list[Entry]) -> set[str]:
    """Names given in the entries, reserved first so that automatic names never take them."""
    names = set()
    for e in entries:
        value = e.value
        if type(value) is dict and len(value) == 1:
            ((_, args),) = value.items()
            if isinstance(args, dict):
                name = args.get("name")
                if isinstance(name, str):
                    names.add(name)
    return names


def _resolved(entry: Entry, names: list[str], input_name: str) -> Entry:
    """``entry`` with the ``$input`` references in its ``inputs:`` replaced by layer names."""
    value = entry.value
    if type(value) is not dict or len(value) != 1:
        return entry
    kind, args = next(iter(value.items()))
    if not isinstance(args, dict) or "inputs" not in args or not isinstance(kind, str):
        return entry
    inputs = resolve_inputs(args["inputs"], names, input_name)
    if inputs == args["inputs"]:
        return entry
    return entry._replace(value={kind: {**args, "inputs": inputs}})


class _Parser(Reporter):
    def __init__(self, src: Source) -> None:
        super().__init__(src, [])
        self.sections = SectionParser(src, self.problems)
        self.channels_first = False
        self.broken: set[str] = set()

    # --- top level -----------------------------------------------------------------------------
    def top(self, data: dict[str, Any], key: str, default: Any) -> Any:
        """The top-level ``key`` through its validator, or ``default`` (absent or invalid)."""
        if key not in data:
            return default
        try:
            return TOP[key].parse(data[key])
        except ArgError as exc:
            self.fail((key,), f"{key} {exc.message}", hint=exc.hint)
            return None

    def parse(self) -> Spec:
        data = self.src.data
        if not isinstance(data, dict):
            self.fail(
                (),
                "a spec must be a mapping with at least 'input' and 'layers'",
                hint="start from specs/vgg16.yaml",
            )
            raise SpecError(self.problems)
        for key in data:
            if key not in TOP:
                near = suggest(str(key), list(TOP_KEYS))
                self.fail(
                    (key,),
                    f"unknown top-level key '{key}'",
                    key=True,
                    hint=(f"did you mean '{near}'? " if near else "")
                    + "allowed: "
                    + ", ".join(TOP_KEYS),
                )
        name = self.top(data, "name", Path(self.src.file).stem)
        if name is None:
            name = str(data["name"])
        data_format = self.top(data, "data_format", "channels_last") or "channels_last"
        model = self.top(data, "model", "functional") or "functional"
        self.channels_first = data_format == "channels_first"
        layers = self.parse_layers(data)
        if model == "sequential":
            self.check_sequential(layers)
        expect = self.top(data, "expect", {}) or {}
        expect = self.sections.expect(expect, None if self.problems else {ls.name for ls in layers})
        budget = self.sections.budget(self.top(data, "budget", {}) or {})
        self.top(data, "source", None)  # checked; read by `convcalc zoo`
        description = data.get("description", "")
        self.src.forget("layers")  # each layer holds its place; a message's place is re-read
        spec = Spec(
            self.src.file,
            name,
            data_format,
            model,
            layers,
            self.src,
            expect,
            budget,
            str(description or ""),
        )
        if self.problems:
            raise SpecError(distinct(self.problems), partial=spec)
        return spec

    def check_sequential(self, layers: list[LayerSpec]) -> None:
        for ls in layers:
            if not ls.is_input and len(ls.inputs) > 1:
                self.fail(
                    ls.path,
                    "a sequential model cannot merge branches",
                    layer=ls.describe(),
                    hint="use model: functional",
                )
                return

    # --- layers ----------------------------------------------------------------------------------
    def parse_layers(self, data: dict[str, Any]) -> list[LayerSpec]:
        if data.get("layers") is None:
            self.fail(
                (),
                "the spec has no 'layers' list",
                hint="add a list such as  layers: [{Conv2D: {filters: 8, kernel_size: 3}}]",
            )
            return []
        raw = self.top(data, "layers", None)
        if raw is None:
            return []
        expander = Expander(self.src, self.problems)
        expander.definitions(self.top(data, "blocks", None))
        entries = expander.expand(raw)  # at most --max-layers of them (the expander says so)
        auto_name = AutoNames(_explicit_names(entries))
        result, no_input_reported = self.input_layer(data, entries, auto_name)
        final = final_names(entries, auto_name)
        input_name = result[-1].name if result else ""
        names: dict[str, LayerSpec] = {}
        previous = input_name
        parser = EntryParser(self.src, self.problems, self.channels_first)
        parser.blocks = list(expander.defs)
        for i, entry in enumerate(entries):
            if expander.defs:  # only a block's layers refer to $input (see expand.Ref)
                entry = _resolved(entry, final, input_name)
            parser.current_name = final[i]
            ls = None if entry.broken else parser.layer(i, entry, final[i])
            if ls is None:  # reported; layers that depend on it are skipped, not misreported
                self.broken.add(parser.current_name)
                previous = parser.current_name
                continue
            if ls.name in names:
                first = names[ls.name]
                where = self.src.key_at(first.path + (first.written_kind, "name"))
                self.fail(
                    ls.path + (ls.written_kind, "name"),
                    f"duplicate layer name '{ls.name}' (also layers[{first.index}]"
                    + (f"{first.via or ', '} named at {where})" if ls.via or first.via else ")"),
                    layer=ls.describe(),
                    hint="every layer needs a unique name"
                    + (
                        "; a repeated layer's name needs ${repeat} in it"
                        if first.path == ls.path and not ls.via
                        else "; in a block, build names from ${name} (and ${repeat})"
                        if ls.via
                        else ""
                    ),
                )
            names[ls.name] = ls
            if not ls.is_input and not ls.inputs:
                if previous:
                    ls.inputs = [previous]
                elif not no_input_reported:
                    self.fail(
                        ls.path,
                        "the first layer has nothing to take as input",
                        layer=ls.describe(),
                        hint="add input: [H, W, C] at the top",
                    )
            previous = ls.name
            result.append(ls)
        self.check_inputs(result)
        return result

    def input_layer(
        self, data: dict[str, Any], entries: list[Entry], auto_name: AutoNames
    ) -> tuple[list[LayerSpec], bool]:
        """The layer of the top-level ``input:`` (none if the list has its own InputLayer), and
        whether a missing input was reported."""
        if "input" not in data:
            if any(
                isinstance(e.value, dict)
                and (cls := lookup(str(next(iter(e.value), "")))) is not None
                and cls.is_input
                for e in entries
            ):
                return [], False
            self.fail(
                (),
                "the spec has no input shape",
                hint="add  input: [224, 224, 3]  (one sample, without the batch)",
            )
            return [], True
        shape = self.top(data, "input", None)
        if shape is None:
            return [], False
        cls = REGISTRY["InputLayer"]
        name = auto_name(cls)
        layer = cls(
            {"shape": shape},
            name=name,
            channels_first=self.channels_first,
            loc=self.src.at(("input",)),
            index=-1,
        )
        return [
            LayerSpec(
                -1, cls.kind, name, layer, [], layer.loc, written_kind="input", path=("input",)
            )
        ], False

    def check_inputs(self, result: list[LayerSpec]) -> None:
        """Every named input must be a layer defined earlier. Linear in the layer count: a
        "did you mean" looks at the inputs and the last SUGGEST_FROM layers, and only for the
        problems that will be shown."""
        seen: set[str] = set()
        order: list[str] = []
        inputs = [ls.name for ls in result if ls.is_input]
        everything = {ls.name for ls in result}
        for ls in result:
            for j, src_name in enumerate(ls.inputs):
                if src_name in seen or src_name in self.broken:
                    continue
                later = src_name in everything
                hint = "list layers before the layers that use them"
                if not later and len(self.problems) < MAX_PROBLEMS:
                    near = suggest(src_name, inputs + order[-SUGGEST_FROM:])
                    hint = (
                        f"did you mean '{near}'?"
                        if near
                        else "inputs names earlier layers, e.g. "
                        + ", ".join(heapq.nsmallest(6, seen))
                    )
                elif not later:
                    hint = ""
                self.fail(
                    ls.path + (ls.written_kind, "inputs", j),
                    f"input '{src_name}' is "
                    + ("defined later in the list" if later else "not a layer name"),
                    layer=ls.describe(),
                    hint=hint,
                )
            seen.add(ls.name)
            order.append(ls.name)
