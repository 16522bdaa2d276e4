"""YAML file -> :class:`Spec`, reporting every independent problem at once.

Validation runs in two phases per layer (as mkdocs does for options): each argument on its
own (type, range, unknown names, both spellings of an alias), then the cross-argument rules of
the layer kind, only if the first phase passed. Shape rules need the input shapes and are
checked by the engine: :func:`convcalc.analysis.load_spec` adds them to the same report.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from convcalc.errors import ArgError, Location, Problem, SpecError
from convcalc.fields import REQUIRED
from convcalc.layers import REGISTRY, Layer, lookup, suggest
from convcalc.spec.document import COMMON_KEYS, TOP, TOP_KEYS
from convcalc.spec.expand import Entry, expand
from convcalc.spec.expect import SectionParser
from convcalc.spec.model import LayerSpec, Spec
from convcalc.spec.yaml_source import Source, load_yaml


def snake_case(name: str) -> str:
    """Keras's automatic layer name stem: ``Conv2D`` -> ``conv2d``, ``ReLU`` -> ``re_lu``."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def read_spec_text(path: str | Path) -> str:
    p = Path(path)
    loc = Location(str(path))
    if not p.exists():
        raise SpecError(
            [
                Problem(
                    loc,
                    "no such file",
                    hint="check the path; specs are YAML files such as specs/vgg16.yaml",
                )
            ]
        )
    if p.is_dir():
        raise SpecError(
            [
                Problem(
                    loc,
                    "is a directory, not a spec file",
                    hint=f"to use every spec in it, pass {path}/*.yaml",
                )
            ]
        )
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Problem(loc, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")]
        ) from None
    except OSError as exc:
        raise SpecError([Problem(loc, f"cannot be read: {exc.strerror}")]) from None


def load(path: str | Path) -> Spec:
    """Read and validate a spec file; raise :class:`SpecError` listing every problem found
    without shapes (its ``partial`` holds the layers that did parse)."""
    return parse(read_spec_text(path), str(path))


def parse(text: str, file: str = "<spec>") -> Spec:
    """Validate spec ``text`` (see :func:`load`)."""
    return _Parser(load_yaml(text, file)).parse()


class AutoNames:
    """Keras's automatic layer names (``conv2d``, ``conv2d_1``, ...), never one already taken."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.counters: dict[str, int] = {}

    def __call__(self, cls: type[Layer]) -> str:
        stem = "input" if cls.is_input else snake_case(cls.kind)
        while True:
            n = self.counters.get(stem, 1 if cls.is_input else 0)
            self.counters[stem] = n + 1
            candidate = f"{stem}_{n}" if n else stem
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def _explicit_names(entries: list[Entry]) -> set[str]:
    """Names given in the entries, reserved first so that automatic names never take them."""
    names = set()
    for e in entries:
        if isinstance(e.value, dict) and len(e.value) == 1:
            args = next(iter(e.value.values()))
            if isinstance(args, dict) and isinstance(args.get("name"), str):
                names.add(args["name"])
    return names


class _Parser:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.problems: list[Problem] = []
        self.sections = SectionParser(src, self.problems)
        self.channels_first = False
        self.broken: set[str] = set()
        self.current_name = ""

    def fail(
        self,
        path: tuple[Any, ...],
        message: str,
        hint: str = "",
        layer: str = "",
        key: bool = False,
    ) -> None:
        loc = self.src.key_at(path) if key else self.src.at(path)
        self.problems.append(Problem(loc, message, layer, hint))

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
        description = data.get("description", "")
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
            raise SpecError(self.problems, partial=spec)
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
                hint="add  layers:\n    - Conv2D: {filters: 8, kernel_size: 3}",
            )
            return []
        raw = self.top(data, "layers", None)
        if raw is None:
            return []
        entries = expand(raw)
        auto_name = AutoNames(_explicit_names(entries))
        result, no_input_reported = self.input_layer(data, entries, auto_name)
        names: dict[str, int] = {}
        previous = result[-1].name if result else ""
        for i, entry in enumerate(entries):
            self.current_name = f"<layers[{i}]>"
            ls = self.parse_layer(i, entry, auto_name)
            if ls is None:  # reported; layers that depend on it are skipped, not misreported
                self.broken.add(self.current_name)
                previous = self.current_name
                continue
            if ls.name in names:
                self.fail(
                    ls.path + (ls.written_kind, "name"),
                    f"duplicate layer name '{ls.name}' (also layers[{names[ls.name]}])",
                    layer=ls.describe(),
                    hint="every layer needs a unique name",
                )
            names[ls.name] = i
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
        """Every named input must be a layer defined earlier."""
        seen: set[str] = set()
        everything = {ls.name for ls in result}
        for ls in result:
            for j, src_name in enumerate(ls.inputs):
                if src_name not in seen and src_name not in self.broken:
                    later = src_name in everything
                    near = suggest(src_name, sorted(seen))
                    self.fail(
                        ls.path + (ls.written_kind, "inputs", j),
                        f"input '{src_name}' is "
                        + ("defined later in the list" if later else "not a layer name"),
                        layer=ls.describe(),
                        hint=(
                            "list layers before the layers that use them"
                            if later
                            else (
                                f"did you mean '{near}'?"
                                if near
                                else "inputs names earlier layers, e.g. "
                                + ", ".join(sorted(seen)[:6])
                            )
                        ),
                    )
            seen.add(ls.name)

    def entry_kind(self, i: int, entry: Entry) -> tuple[str, type[Layer], dict[str, Any]] | None:
        """The written kind, its class and its argument mapping; None (reported) if unusable."""
        value, path = entry.value, entry.path
        if isinstance(value, str):
            value = {value: None}
        if not isinstance(value, dict) or len(value) != 1:
            shown = list(value) if isinstance(value, dict) else value
            self.fail(
                path,
                f"a layer entry is '- Kind: {{arguments}}' with one kind; received {shown!r}",
                layer=f"layers[{i}]",
                hint="e.g.  - Conv2D: {filters: 64, kernel_size: 3}  (check the indentation"
                " of the arguments)",
            )
            return None
        written, args = next(iter(value.items()))
        cls = lookup(str(written))
        if cls is None:
            near = suggest(str(written))
            self.fail(
                path,
                f"unknown layer type '{written}'",
                layer=f"layers[{i}]",
                hint=(f"did you mean '{near}'? " if near else "")
                + "`convcalc layers` lists every supported kind",
            )
            return None
        if args is None:
            args = {}
        if not isinstance(args, dict):
            self.fail(
                path + (written,),
                f"the arguments of {cls.kind} must be a mapping; received {args!r}",
                layer=f"layers[{i}] ({cls.kind})",
                hint=f"e.g.  - {cls.kind}: {{name: x}}",
            )
            return None
        return str(written), cls, args

    def parse_layer(self, i: int, entry: Entry, auto_name: AutoNames) -> LayerSpec | None:
        found = self.entry_kind(i, entry)
        if found is None:
            return None
        written, cls, args = found
        kpath = entry.path + (written,)
        name = args.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            self.fail(
                kpath + ("name",),
                f"name must be a non-empty string; received {name!r}",
                layer=f"layers[{i}] ({cls.kind})",
            )
            name = None
        name = name or auto_name(cls)
        self.current_name = name
        desc = f"layers[{i}] '{name}' ({cls.kind})"
        loc = self.src.key_at(kpath)  # the line of the layer's kind
        inputs = self.layer_inputs(cls, args, kpath, desc)
        trainable = args.get("trainable", True)
        if not isinstance(trainable, bool):
            self.fail(
                kpath + ("trainable",),
                f"trainable must be true or false; received {trainable!r}",
                layer=desc,
            )
            trainable = True
        values, arg_locs, ok = self.parse_args(cls, args, kpath, desc)
        if not ok:
            return None
        layer = cls(
            values,
            name=name,
            channels_first=self.channels_first,
            loc=loc,
            arg_locs=arg_locs,
            index=i,
            spelling=written,
        )
        errors = layer.validate()
        for err in errors:
            at = arg_locs.get(err.arg or "", loc)
            self.problems.append(Problem(at, err.message, desc, err.hint))
        if errors:
            return None  # its shape would only repeat the problem; dependents are skipped
        return LayerSpec(i, cls.kind, name, layer, inputs, loc, trainable, written, entry.path)

    def layer_inputs(
        self, cls: type[Layer], args: dict[str, Any], kpath: tuple[Any, ...], desc: str
    ) -> list[str]:
        """The names in ``inputs:`` (none: the previous layer), checked against the number of
        inputs the kind takes."""
        inputs: list[str] = []
        if "inputs" in args:
            raw_inputs = args["inputs"]
            if isinstance(raw_inputs, str):
                raw_inputs = [raw_inputs]
            if (
                not isinstance(raw_inputs, list)
                or not raw_inputs
                or not all(isinstance(x, str) for x in raw_inputs)
            ):
                self.fail(
                    kpath + ("inputs",),
                    f"inputs must be a layer name or a list of layer "
                    f"names; received {args['inputs']!r}",
                    layer=desc,
                )
            else:
                inputs = raw_inputs
        n_in = len(inputs) if inputs else 1
        if not cls.is_input and (
            n_in < cls.min_inputs or (cls.max_inputs is not None and n_in > cls.max_inputs)
        ):
            want = (
                f"at least {cls.min_inputs}"
                if cls.max_inputs is None
                else f"exactly {cls.min_inputs}"
                if cls.min_inputs == cls.max_inputs
                else f"{cls.min_inputs} to {cls.max_inputs}"
            )
            self.fail(
                kpath + (("inputs",) if "inputs" in args else ()),
                f"takes {want} input{'s' if cls.max_inputs != 1 else ''}; received {n_in}",
                layer=desc,
                hint="name its inputs with  inputs: [a, b]"
                if cls.min_inputs > 1
                else "give one name in inputs",
            )
        return inputs

    def parse_args(
        self, cls: type[Layer], args: dict[str, Any], kpath: tuple[Any, ...], desc: str
    ) -> tuple[dict[str, Any], dict[str, Location], bool]:
        torch_names = {a.torch: k for k, a in cls.args.items() if a.torch}
        values: dict[str, Any] = {}
        arg_locs: dict[str, Location] = {}
        spelled: dict[str, str] = {}
        ok = True
        for key, value in args.items():
            if key in COMMON_KEYS:
                continue
            canonical = key if key in cls.args else torch_names.get(key)
            if canonical is None:
                main = [k for k, a in cls.args.items() if a.shape_relevant] + list(COMMON_KEYS)
                near = (
                    suggest(str(key), main)
                    or suggest(str(key), list(torch_names))
                    or suggest(str(key), list(cls.args))
                )
                self.fail(
                    kpath + (key,),
                    f"unknown argument '{key}' for {cls.kind}",
                    layer=desc,
                    key=True,
                    hint=(f"did you mean '{near}'? " if near else "")
                    + f"`convcalc layers {cls.kind}` lists its arguments",
                )
                ok = False
                continue
            if canonical in spelled:
                self.fail(
                    kpath + (key,),
                    f"'{key}' and '{spelled[canonical]}' are two spellings of the same argument",
                    layer=desc,
                    key=True,
                    hint=f"keep one of them ('{canonical}' is the Keras name)",
                )
                ok = False
                continue
            spelled[canonical] = key
            arg_locs[canonical] = self.src.at(kpath + (key,))
            try:
                values[canonical] = cls.args[canonical].parse(value)
            except ArgError as exc:
                self.fail(kpath + (key,), f"{key} {exc.message}", layer=desc, hint=exc.hint)
                ok = False
        for key, arg in cls.args.items():
            if arg.default is REQUIRED and key not in values and key not in spelled:
                alias = f" (PyTorch: {arg.torch})" if arg.torch else ""
                self.fail(
                    kpath,
                    f"missing required argument '{key}'{alias}",
                    layer=desc,
                    hint=f"{key}: {arg.doc}",
                    key=True,
                )
                ok = False
        return values, arg_locs, ok
