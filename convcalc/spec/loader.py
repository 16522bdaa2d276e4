"""YAML file -> :class:`Spec`, reporting every independent problem at once.

Validation runs in two phases per layer (as mkdocs does for options): each argument on its
own (type, range, unknown names, both spellings of an alias), then the cross-argument rules of
the layer kind, only if the first phase passed. Shape rules need the input shapes and are
checked by the engine.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from convcalc.errors import Location, Problem, SpecError
from convcalc.layers import REGISTRY, lookup, suggest
from convcalc.layers.base import REQUIRED, ArgError, Layer, is_int
from convcalc.spec.model import LayerSpec, Spec
from convcalc.spec.yaml_source import Source, load_yaml

TOP_KEYS = ("name", "description", "input", "data_format", "model", "layers", "expect", "budget")
COMMON_KEYS = ("name", "inputs", "trainable")
EXPECT_KEYS = ("params", "trainable_params", "non_trainable_params", "macs", "output_shape",
               "layers")
EXPECT_LAYER_KEYS = ("output_shape", "params", "macs", "receptive_field")
BUDGET_KEYS = ("max_params", "max_macs", "max_param_bytes", "max_activation_bytes", "dtype",
               "max_receptive_field", "min_receptive_field")
# decimal (SI) and binary multipliers accepted in budget strings such as "16G" or "512MiB"
QUANTITY_SUFFIXES = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                     "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
# a budget string: number, suffix, then "B" for byte budgets (the JSON schema uses it too)
QUANTITY_PATTERN = r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([KMGT]i|[kKMGT])?"


def snake_case(name: str) -> str:
    """Keras's automatic layer name stem: ``Conv2D`` -> ``conv2d``, ``ReLU`` -> ``re_lu``."""
    s = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def read_spec_text(path: str | Path) -> str:
    p = Path(path)
    loc = Location(str(path))
    if not p.exists():
        raise SpecError([Problem(loc, "no such file", hint="check the path; specs are YAML files "
                                 "such as specs/vgg16.yaml")])
    if p.is_dir():
        raise SpecError([Problem(loc, "is a directory, not a spec file",
                                 hint=f"to use every spec in it, pass {path}/*.yaml")])
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([Problem(loc, f"is not UTF-8 text ({exc.reason} at byte {exc.start})")]) \
            from None
    except OSError as exc:
        raise SpecError([Problem(loc, f"cannot be read: {exc.strerror}")]) from None


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; raise :class:`SpecError` listing every problem."""
    return parse_spec(read_spec_text(path), str(path))


def parse_spec(text: str, file: str = "<spec>") -> Spec:
    src = load_yaml(text, file)
    return _Parser(src).parse()


class _Parser:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.problems: list[Problem] = []

    def fail(self, path: tuple[Any, ...], message: str, hint: str = "", layer: str = "",
             key: bool = False) -> None:
        loc = self.src.key_at(path) if key else self.src.at(path)
        self.problems.append(Problem(loc, message, layer, hint))

    # --- top level -----------------------------------------------------------------------------
    def parse(self) -> Spec:
        data = self.src.data
        if not isinstance(data, dict):
            self.fail((), "a spec must be a mapping with at least 'input' and 'layers'",
                      hint="start from specs/vgg16.yaml")
            raise SpecError(self.problems)
        for key in data:
            if key not in TOP_KEYS:
                near = suggest(str(key), list(TOP_KEYS))
                self.fail((key,), f"unknown top-level key '{key}'", key=True,
                          hint=(f"did you mean '{near}'? " if near else "")
                          + "allowed: " + ", ".join(TOP_KEYS))
        name = data.get("name", Path(self.src.file).stem)
        if not isinstance(name, str):
            self.fail(("name",), f"name must be a string; received {name!r}")
            name = str(name)
        data_format = data.get("data_format", "channels_last")
        if data_format not in ("channels_last", "channels_first"):
            self.fail(("data_format",), f"data_format must be 'channels_last' or 'channels_first';"
                      f" received {data_format!r}")
            data_format = "channels_last"
        model = data.get("model", "functional")
        if model not in ("functional", "sequential"):
            self.fail(("model",), f"model must be 'functional' (Keras Model: InputLayer row shown)"
                      f" or 'sequential' (keras.Sequential: no InputLayer row); received {model!r}")
            model = "functional"
        self.channels_first = data_format == "channels_first"
        layers = self.parse_layers(data)
        if model == "sequential":
            for ls in layers:
                if ls.kind != "InputLayer" and len(ls.inputs) > 1:
                    self.fail(("layers", ls.index), "a sequential model cannot merge branches",
                              layer=ls.describe(), hint="use model: functional")
                    break
        expect = self.parse_expect(data.get("expect", {}),
                                   None if self.problems else {ls.name for ls in layers})
        budget = self.parse_budget(data.get("budget", {}))
        description = data.get("description", "")
        spec = Spec(self.src.file, name, data_format, model, layers, self.src, expect, budget,
                    str(description or ""))
        if self.problems:
            # Shape problems of the layers that parsed are independent of the ones above:
            # report them in the same run (layers downstream of a broken one are skipped).
            from convcalc.engine import analyze
            try:
                analyze(spec)
            except SpecError as more:
                self.problems.extend(more.problems)
            raise SpecError(self.problems)
        return spec

    # --- layers ----------------------------------------------------------------------------------
    def parse_layers(self, data: dict[str, Any]) -> list[LayerSpec]:
        result: list[LayerSpec] = []
        counters: dict[str, int] = {}
        taken: set[str] = set()
        raw = data.get("layers")
        if raw is None:
            self.fail((), "the spec has no 'layers' list",
                      hint="add  layers:\n    - Conv2D: {filters: 8, kernel_size: 3}")
            return result
        if not isinstance(raw, list) or not raw:
            self.fail(("layers",), "layers must be a non-empty list of '- Kind: {args}' entries")
            return result
        # explicit names first, so automatic names never collide with them
        for i, entry in enumerate(raw):
            if isinstance(entry, dict) and len(entry) == 1:
                args = next(iter(entry.values()))
                if isinstance(args, dict) and isinstance(args.get("name"), str):
                    taken.add(args["name"])

        def auto_name(kind: str) -> str:
            stem = "input" if kind == "InputLayer" else snake_case(kind)
            while True:
                n = counters.get(stem, 1 if kind == "InputLayer" else 0)
                counters[stem] = n + 1
                candidate = f"{stem}_{n}" if n else stem
                if candidate not in taken:
                    taken.add(candidate)
                    return candidate

        no_input_reported = False
        if "input" in data:
            shape = data["input"]
            if (not isinstance(shape, list) or not shape
                    or not all(is_int(x) and x >= 1 for x in shape)):
                self.fail(("input",), f"input must be one sample's shape, a list of positive "
                          f"integers (no batch); received {shape!r}",
                          hint="e.g. input: [224, 224, 3] (channels_last) or [3, 224, 224] "
                               "(channels_first)")
            else:
                cls = REGISTRY["InputLayer"]
                name = auto_name("InputLayer")
                layer = cls({"shape": tuple(shape)}, name=name, channels_first=self.channels_first,
                            loc=self.src.at(("input",)), index=-1)
                result.append(LayerSpec(-1, "InputLayer", name, layer, [], layer.loc,
                                        written_kind="input"))
        elif not any(isinstance(e, dict) and next(iter(e), None) in ("InputLayer", "Input")
                     for e in raw):
            self.fail((), "the spec has no input shape",
                      hint="add  input: [224, 224, 3]  (one sample, without the batch)")
            no_input_reported = True

        names: dict[str, int] = {}
        previous = result[-1].name if result else ""
        self.broken: set[str] = set()
        for i, entry in enumerate(raw):
            self.current_name = f"<layers[{i}]>"
            ls = self.parse_layer(i, entry, auto_name)
            if ls is None:  # reported; layers that depend on it are skipped, not misreported
                self.broken.add(self.current_name)
                previous = self.current_name
                continue
            if ls.name in names:
                self.fail(("layers", i, ls.kind, "name"), f"duplicate layer name '{ls.name}' "
                          f"(also layers[{names[ls.name]}])", layer=ls.describe(),
                          hint="every layer needs a unique name")
            names[ls.name] = i
            if ls.kind != "InputLayer" and not ls.inputs:
                if previous:
                    ls.inputs = [previous]
                elif not no_input_reported:
                    self.fail(("layers", i), "the first layer has nothing to take as input",
                              layer=ls.describe(), hint="add input: [H, W, C] at the top")
            previous = ls.name
            result.append(ls)
        # every named input must be a layer defined earlier
        seen: set[str] = set()
        for ls in result:
            for j, src_name in enumerate(ls.inputs):
                if src_name not in seen and src_name not in self.broken:
                    later = src_name in {x.name for x in result}
                    near = suggest(src_name, sorted(seen))
                    self.fail(("layers", ls.index, ls.written_kind, "inputs", j),
                              f"input '{src_name}' is "
                              + ("defined later in the list" if later else "not a layer name"),
                              layer=ls.describe(),
                              hint=("list layers before the layers that use them" if later else
                                    (f"did you mean '{near}'?" if near else
                                     "inputs names earlier layers, e.g. "
                                     + ", ".join(sorted(seen)[:6]))))
            seen.add(ls.name)
        return result

    def parse_layer(self, i: int, entry: Any, auto_name: Any) -> LayerSpec | None:
        path: tuple[Any, ...] = ("layers", i)
        if isinstance(entry, str):
            entry = {entry: None}
        if not isinstance(entry, dict) or len(entry) != 1:
            shown = list(entry) if isinstance(entry, dict) else entry
            self.fail(path, f"a layer entry is '- Kind: {{arguments}}' with one kind; received "
                      f"{shown!r}", layer=f"layers[{i}]",
                      hint="e.g.  - Conv2D: {filters: 64, kernel_size: 3}  (check the indentation"
                           " of the arguments)")
            return None
        written, args = next(iter(entry.items()))
        cls = lookup(str(written))
        if cls is None:
            near = suggest(str(written))
            self.fail(path, f"unknown layer type '{written}'", layer=f"layers[{i}]",
                      hint=(f"did you mean '{near}'? " if near else "")
                      + "`convcalc layers` lists every supported kind")
            return None
        kpath = path + (written,)
        if args is None:
            args = {}
        if not isinstance(args, dict):
            self.fail(kpath, f"the arguments of {cls.kind} must be a mapping; received {args!r}",
                      layer=f"layers[{i}] ({cls.kind})", hint=f"e.g.  - {cls.kind}: {{name: x}}")
            return None
        name = args.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            self.fail(kpath + ("name",), f"name must be a non-empty string; received {name!r}",
                      layer=f"layers[{i}] ({cls.kind})")
            name = None
        name = name or auto_name(cls.kind)
        self.current_name = name
        desc = f"layers[{i}] '{name}' ({cls.kind})"
        loc = self.src.key_at(kpath)  # the line of the layer's kind

        inputs: list[str] = []
        if "inputs" in args:
            raw_inputs = args["inputs"]
            if isinstance(raw_inputs, str):
                raw_inputs = [raw_inputs]
            if (not isinstance(raw_inputs, list) or not raw_inputs
                    or not all(isinstance(x, str) for x in raw_inputs)):
                self.fail(kpath + ("inputs",), f"inputs must be a layer name or a list of layer "
                          f"names; received {args['inputs']!r}", layer=desc)
            else:
                inputs = raw_inputs
        n_in = len(inputs) if inputs else 1
        if cls.kind != "InputLayer" and (n_in < cls.min_inputs
                                         or (cls.max_inputs is not None and n_in > cls.max_inputs)):
            want = (f"at least {cls.min_inputs}" if cls.max_inputs is None else
                    f"exactly {cls.min_inputs}" if cls.min_inputs == cls.max_inputs else
                    f"{cls.min_inputs} to {cls.max_inputs}")
            self.fail(kpath + (("inputs",) if "inputs" in args else ()),
                      f"takes {want} input{'s' if cls.max_inputs != 1 else ''}; received {n_in}",
                      layer=desc, hint="name its inputs with  inputs: [a, b]"
                      if cls.min_inputs > 1 else "give one name in inputs")
        trainable = args.get("trainable", True)
        if not isinstance(trainable, bool):
            self.fail(kpath + ("trainable",), f"trainable must be true or false; received "
                      f"{trainable!r}", layer=desc)
            trainable = True

        values, arg_locs, ok = self.parse_args(cls, args, kpath, desc)
        if not ok:
            return None
        if written in cls.aliases and "padding" in cls.args and "padding" not in values:
            # A PyTorch spelling means PyTorch's default padding=0, which differs from Keras's
            # 'valid' for transposed convolutions with stride > effective kernel.
            values["padding"] = cls.args["padding"].parse(0)
        layer = cls(values, name=name, channels_first=self.channels_first, loc=loc,
                    arg_locs=arg_locs, index=i)
        errors = layer.validate()
        for err in errors:
            at = arg_locs.get(err.arg or "", loc)
            self.problems.append(Problem(at, err.message, desc, err.hint))
        if errors:
            return None  # its shape would only repeat the problem; dependents are skipped
        return LayerSpec(i, cls.kind, name, layer, inputs, loc, trainable, str(written))

    def parse_args(self, cls: type[Layer], args: dict[str, Any], kpath: tuple[Any, ...],
                   desc: str) -> tuple[dict[str, Any], dict[str, Location], bool]:
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
                near = (suggest(str(key), main) or suggest(str(key), list(torch_names))
                        or suggest(str(key), list(cls.args)))
                self.fail(kpath + (key,), f"unknown argument '{key}' for {cls.kind}", layer=desc,
                          key=True, hint=(f"did you mean '{near}'? " if near else "")
                          + f"`convcalc layers {cls.kind}` lists its arguments")
                ok = False
                continue
            if canonical in spelled:
                self.fail(kpath + (key,), f"'{key}' and '{spelled[canonical]}' are two spellings "
                          f"of the same argument", layer=desc, key=True,
                          hint=f"keep one of them ('{canonical}' is the Keras name)")
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
                self.fail(kpath, f"missing required argument '{key}'{alias}", layer=desc,
                          hint=f"{key}: {arg.doc}", key=True)
                ok = False
        return values, arg_locs, ok

    # --- expectations ----------------------------------------------------------------------------
    def parse_expect(self, expect: Any, layer_names: set[str] | None = None) -> dict[str, Any]:
        """Validate ``expect:``; ``layer_names`` (when every layer parsed) checks the names in
        ``expect.layers``."""
        if expect is None:  # `expect:` with only comments under it
            return {}
        if not isinstance(expect, dict):
            self.fail(("expect",), "expect must be a mapping such as {params: 138357544}")
            return {}
        for key, value in expect.items():
            path = ("expect", key)
            if key not in EXPECT_KEYS:
                self.unknown_key(path, "expectation", EXPECT_KEYS)
            elif key == "layers":
                if not isinstance(value, dict):
                    self.fail(path, "expect.layers must map layer names to expectations")
                    continue
                for lname, lexp in value.items():
                    if layer_names is not None and lname not in layer_names:
                        near = suggest(str(lname), sorted(layer_names))
                        self.fail(path + (lname,), f"expect.layers names '{lname}', which is not "
                                  f"a layer of this spec", key=True,
                                  hint=f"did you mean '{near}'?" if near else
                                  "expectations are keyed by layer name")
                    if not isinstance(lexp, dict):
                        self.fail(path + (lname,), f"expect.layers.{lname} must be a mapping "
                                  f"such as {{params: 1792}}")
                        continue
                    for k, v in lexp.items():
                        if k not in EXPECT_LAYER_KEYS:
                            self.unknown_key(path + (lname, k), "layer expectation",
                                             EXPECT_LAYER_KEYS)
                        else:
                            self.expect_value(path + (lname, k), f"expect.layers.{lname}.{k}", v)
            else:
                self.expect_value(path, f"expect.{key}", value)
        return expect

    def unknown_key(self, path: tuple[Any, ...], what: str, allowed: tuple[str, ...]) -> None:
        """``unknown <what> 'key'`` at the key, with a did-you-mean and the allowed keys."""
        near = suggest(str(path[-1]), list(allowed))
        self.fail(path, f"unknown {what} '{path[-1]}'", key=True,
                  hint=(f"did you mean '{near}'? " if near else "") + "allowed: "
                  + ", ".join(allowed))

    def expect_value(self, path: tuple[Any, ...], what: str, value: Any) -> None:
        key = path[-1]
        if key == "output_shape":
            if (not isinstance(value, list) or not value
                    or not all(is_int(x) and x >= 1 for x in value)):
                self.fail(path, f"{what} must be a list of positive integers; received {value!r}")
        elif key == "receptive_field":
            if not (is_int(value) and value >= 1 or isinstance(value, list) and value
                    and all(is_int(x) and x >= 1 for x in value)):
                self.fail(path, f"{what} must be a positive integer or a list of them (one per "
                          f"spatial axis); received {value!r}")
        elif not is_int(value) or value < 0:
            self.fail(path, f"{what} must be an integer >= 0; received {value!r}")

    # --- budgets ---------------------------------------------------------------------------------
    def parse_budget(self, budget: Any) -> dict[str, Any]:
        """Validate ``budget:`` -> upper (and lower) bounds as ints; counts and byte sizes may be
        written with a suffix: ``16G`` (10^9), ``512Mi`` / ``512MiB`` (2^20)."""
        if budget is None:
            return {}
        if not isinstance(budget, dict):
            self.fail(("budget",), "budget must be a mapping such as {max_params: 140M}")
            return {}
        result: dict[str, Any] = {}
        for key, value in budget.items():
            path = ("budget", key)
            if key not in BUDGET_KEYS:
                self.unknown_key(path, "budget", BUDGET_KEYS)
            elif key == "dtype":
                from convcalc.report import DTYPE_BYTES
                if value not in DTYPE_BYTES:
                    near = suggest(str(value), list(DTYPE_BYTES))
                    self.fail(path, f"budget.dtype must be one of {', '.join(DTYPE_BYTES)}; "
                              f"received {value!r}", hint=f"did you mean '{near}'?" if near else "")
                else:
                    result[key] = value
            elif key.endswith("receptive_field"):
                if is_int(value) and value >= 1:
                    result[key] = value
                elif (isinstance(value, list) and value
                      and all(is_int(x) and x >= 1 for x in value)):
                    result[key] = tuple(value)
                else:
                    self.fail(path, f"budget.{key} must be a positive integer or a list of them "
                              f"(one per spatial axis); received {value!r}")
            else:
                unit = "B" if key.endswith("_bytes") else ""
                n = parse_quantity(value, unit)
                if n is None:
                    example = "528MiB, 500MB or 553430176" if unit else "140M, 15.5G or 138357544"
                    self.fail(path, f"budget.{key} must be an integer >= 0 or a number with a "
                              f"suffix k, M, G, T (10^3 steps) or Ki, Mi, Gi, Ti (2^10 steps)"
                              f"{' and an optional B' if unit else ''}; received {value!r}",
                              hint=f"e.g. {example}")
                else:
                    result[key] = n
        return result


def parse_quantity(value: Any, unit: str = "") -> int | None:
    """``138357544``, ``"140M"``, ``"15.47G"``, ``"512MiB"`` (``unit`` "B") -> an int, or None.

    Exact decimal arithmetic: the number times its multiplier must be a whole number.
    """
    from decimal import Decimal, InvalidOperation

    if is_int(value):
        return value if value >= 0 else None
    if not isinstance(value, str):
        return None
    m = re.fullmatch(QUANTITY_PATTERN + (r"B?" if unit else "") + r"\s*", value)
    if not m or (m.group(2) or "") not in QUANTITY_SUFFIXES:
        return None
    try:
        n = Decimal(m.group(1).replace("_", "")) * QUANTITY_SUFFIXES[m.group(2) or ""]
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None
    return int(n) if n == n.to_integral_value() else None
