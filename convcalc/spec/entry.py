"""One entry of the layer list: its kind, name, inputs and arguments, validated in two phases
(each argument on its own, then the kind's cross-argument rules)."""

from __future__ import annotations

from typing import Any

from convcalc.errors import ArgError, Location, Problem
from convcalc.fields import Arg
from convcalc.layers import Layer, lookup, suggest
from convcalc.spec.document import COMMON_KEYS
from convcalc.spec.entry_parts import _Made, _made_key, _spec, _takes_previous
from convcalc.spec.expand import Entry
from convcalc.spec.model import LayerSpec
from convcalc.spec.yaml_source import ArgLocations, Reporter, Source

_MISSING = object()
MEMO_SIZE = (
    4096  # distinct configurations remembered (a spec of all-different layers gains nothing)
)
SUGGESTIONS = 200  # "did you mean" hints for the first problems only (the report is capped)


class EntryParser(Reporter):
    """Validates layer entries; problems go to ``problems``. ``current_name`` is the name of the
    entry being parsed, so that the list can skip the layers that depend on a broken one."""

    def __init__(self, src: Source, problems: list[Problem], channels_first: bool) -> None:
        super().__init__(src, problems)
        self.channels_first = channels_first
        self.current_name = ""
        self.blocks: list[str] = []  # the spec's block names, for "did you mean" hints
        self.parsed: dict[str, tuple[type[Layer], dict[str, Any]]] = {}  # for shares:
        self.parse_cache: dict[tuple[Any, ...], Any] = {}  # see parse_value
        self.made: dict[tuple[Any, ...], _Made] = {}  # see layer

    def kind(self, i: int, entry: Entry) -> tuple[str, type[Layer], dict[str, Any]] | None:
        """The written kind, its class and its argument mapping; None (reported) if unusable."""
        value, path = entry.value, entry.path
        if isinstance(value, str):
            value = {value: None}
        if not isinstance(value, dict) or len(value) != 1:
            shown = list(value) if isinstance(value, dict) else value
            self.fail(
                path,
                f"a layer entry is '- Kind: {{arguments}}' with one kind; received {shown!r}",
                layer=f"layers[{i}]{entry.via}",
                hint="e.g.  - Conv2D: {filters: 64, kernel_size: 3}  (check the indentation"
                " of the arguments)",
            )
            return None
        written, args = next(iter(value.items()))
        cls = lookup(str(written))
        if cls is None:
            near = suggest(str(written), self.blocks) or suggest(str(written))
            self.fail(
                path,
                f"unknown layer type{' or block' if self.blocks else ''} '{written}'",
                layer=f"layers[{i}]{entry.via}",
                hint=(f"did you mean '{near}'? " if near else "")
                + "`convcalc layers` lists every supported kind"
                + (f"; the spec's blocks: {', '.join(self.blocks)}" if self.blocks else ""),
            )
            return None
        if args is None:
            args = {}
        if not isinstance(args, dict):
            self.fail(
                path + (written,),
                f"the arguments of {cls.kind} must be a mapping; received {args!r}",
                layer=f"layers[{i}] ({cls.kind}){entry.via}",
                hint=f"e.g.  - {cls.kind}: {{name: x}}",
            )
            return None
        return str(written), cls, args

    def layer(self, i: int, entry: Entry, final_name: str) -> LayerSpec | None:
        """The entry as a layer named ``final_name`` (its own name, or the automatic one that
        :func:`final_names` gave it); None (reported) if it does not parse."""
        key, written_args = self.memo_key(entry)
        try:
            made = self.made.get(key) if key is not None else None
        except TypeError:  # a value that cannot be a key (a list: ``strides: [2, 2]``)
            key = made = None
        if made is not None:
            return self.again(i, entry, final_name, made, written_args)
        found = self.kind(i, entry)
        if found is None:
            return None
        written, cls, args = found
        kpath = entry.path + (written,)
        owner = self.shared_owner(i, cls, args, kpath)
        if owner is None:
            return None
        if owner:  # a later call: the first call's arguments, its own name and inputs
            own = {k: v for k, v in self.parsed[owner][1].items() if k not in COMMON_KEYS}
            args = {**own, **args}
        name = args.get("name")
        if name is not None and (not isinstance(name, str) or not name):
            self.fail(
                kpath + ("name",),
                f"name must be a non-empty string; received {name!r}",
                layer=f"layers[{i}] ({cls.kind})",
            )
        name = final_name
        self.current_name = name
        desc = f"layers[{i}] '{name}' ({cls.kind}){entry.via}"
        loc = self.place(entry, kpath)  # the line of the layer's kind
        inputs = self.inputs(cls, args, kpath, desc)
        trainable, functional, group = self.common(args, kpath, desc)
        reported = len(self.problems)
        values, arg_locs, ok = self.args(cls, args, kpath, desc)
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
        if not owner:
            self.parsed[name] = (cls, args)
            if (
                key is not None
                and len(self.made) < MEMO_SIZE
                and layer.signature is not None
                and len(self.problems) == reported
            ):
                self.made[key] = _Made(layer, arg_locs.spelled, trainable, functional, tuple(group))
        return _spec(entry, layer, inputs, trainable, args, owner, tuple(group), functional)

    def place(self, entry: Entry, kpath: tuple[Any, ...]) -> Location:
        """Where the entry's kind is written: its key, or the item itself for a bare ``- Kind``
        (which has no key: asking for one would make the fast reader's map complete itself)."""
        return self.src.at(entry.path) if type(entry.value) is str else self.src.key_at(kpath)

    def memo_key(self, entry: Entry) -> tuple[tuple[Any, ...] | None, dict[str, Any]]:
        """The key of :attr:`made` for ``entry`` and its arguments: None when it cannot be
        reused (not a ``{Kind: {args}}`` or ``Kind`` entry, ``shares:``, a name to report, an
        unhashable value)."""
        value = entry.value
        if type(value) is str:
            return (value,), {}
        if type(value) is not dict or len(value) != 1:
            return None, {}
        ((written, args),) = value.items()
        if args is None:
            args = {}
        if type(written) is not str or type(args) is not dict or "shares" in args:
            return None, {}
        given = args.get("name")
        if given is not None and (type(given) is not str or not given):
            return None, {}
        return _made_key(written, args), args

    def common(
        self, args: dict[str, Any], kpath: tuple[Any, ...], desc: str
    ) -> tuple[bool, bool, list[str]]:
        """The entry's ``trainable``, ``functional`` and ``group`` (each reported if invalid)."""
        if "trainable" not in args and "functional" not in args and "group" not in args:
            return True, False, []
        trainable = args.get("trainable", True)
        if not isinstance(trainable, bool):
            self.fail(
                kpath + ("trainable",),
                f"trainable must be true or false; received {trainable!r}",
                layer=desc,
            )
            trainable = True
        functional = args.get("functional", False)
        if not isinstance(functional, bool):
            self.fail(
                kpath + ("functional",),
                f"functional must be true or false; received {functional!r}",
                layer=desc,
            )
            functional = False
        group = args.get("group", [])
        if not (
            isinstance(group, list)
            and len(group) in (0, 2)
            and all(isinstance(g, str) and g for g in group)
        ):
            self.fail(
                kpath + ("group",),
                f"group must be [model name, class], e.g. [block, Functional]; received {group!r}",
                layer=desc,
            )
            group = []
        return trainable, functional, group

    def again(
        self,
        i: int,
        entry: Entry,
        name: str,
        made: _Made,
        args: dict[str, Any],
    ) -> LayerSpec | None:
        """An entry written with the arguments of an earlier one (``made``): the same layer,
        with its own name, place and inputs, and nothing validated twice."""
        template = made.layer
        cls = type(template)
        self.current_name = name
        kpath = entry.path + (template.spelling,)
        loc = self.place(entry, kpath)
        if _takes_previous(cls, args):
            inputs = []
        else:
            inputs = self.inputs(cls, args, kpath, f"layers[{i}] '{name}' ({cls.kind}){entry.via}")
        layer = cls.__new__(cls)
        layer.__dict__.update(template.__dict__)  # every value hashable (its signature exists)
        layer.name, layer.loc, layer.index = name, loc, i
        layer.arg_locs = ArgLocations(self.src, kpath, made.spelled)
        self.parsed[name] = (cls, args)
        return _spec(entry, layer, inputs, made.trainable, args, "", made.group, made.functional)

    def shared_owner(
        self, i: int, cls: type[Layer], args: dict[str, Any], kpath: tuple[Any, ...]
    ) -> str | None:
        """``shares: NAME``: the earlier layer this entry calls again ("" when none; None when
        reported)."""
        owner = args.get("shares")
        if owner is None:
            return ""
        if not isinstance(owner, str) or owner not in self.parsed:
            self.fail(
                kpath + ("shares",),
                f"shares names no earlier layer: {owner!r}",
                layer=f"layers[{i}] ({cls.kind})",
                hint="shares: NAME calls the layer NAME again (listed before this entry)",
            )
            return None
        if self.parsed[owner][0] is not cls:
            self.fail(
                kpath + ("shares",),
                f"'{owner}' is a {self.parsed[owner][0].kind}; a call of it is one too",
                layer=f"layers[{i}] ({cls.kind})",
                hint=f"write  - {self.parsed[owner][0].kind}: {{shares: {owner}, ...}}",
            )
            return None
        return owner

    def inputs(
        self, cls: type[Layer], args: dict[str, Any], kpath: tuple[Any, ...], desc: str
    ) -> list[str]:
        """The names in ``inputs:`` (none: the previous layer), checked against the number of
        inputs the kind takes."""
        inputs: list[str] = []
        if _takes_previous(cls, args):
            return inputs
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

    def parse_value(self, arg: Arg, value: Any) -> Any:
        """``arg``'s validator on ``value``, once per distinct (argument, value): a spec repeats
        the same few arguments on many layers. Only hashable values and results are kept (a
        validator that returns the value itself must not share a mutable one)."""
        try:
            key = (id(arg), value.__class__, value)
            hit = self.parse_cache.get(key, _MISSING)
        except TypeError:  # a list or a mapping: parse it every time
            return arg.parse(value)
        if hit is not _MISSING:
            return hit
        result = arg.parse(value)  # raises ArgError: nothing kept
        try:
            hash(result)
        except TypeError:
            return result
        self.parse_cache[key] = result
        return result

    def args(
        self, cls: type[Layer], args: dict[str, Any], kpath: tuple[Any, ...], desc: str
    ) -> tuple[dict[str, Any], ArgLocations, bool]:
        torch_names = cls.torch_names()
        values: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        ok = True
        for key, value in args.items():
            if key in COMMON_KEYS:
                continue
            canonical = key if key in cls.args else torch_names.get(key)
            if canonical is None:
                near = self.closest_argument(cls, str(key))
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
            try:
                values[canonical] = self.parse_value(cls.args[canonical], value)
            except ArgError as exc:
                self.fail(kpath + (key,), f"{key} {exc.message}", layer=desc, hint=exc.hint)
                ok = False
        for key in cls.required_args():
            if key not in values and key not in spelled:
                arg = cls.args[key]
                alias = f" (PyTorch: {arg.torch})" if arg.torch else ""
                self.fail(
                    kpath,
                    f"missing required argument '{key}'{alias}",
                    layer=desc,
                    hint=f"{key}: {arg.doc}",
                    key=True,
                )
                ok = False
        return values, ArgLocations(self.src, kpath, spelled), ok

    def closest_argument(self, cls: type[Layer], key: str) -> str | None:
        """The argument ``key`` was probably meant to be ("did you mean"); not looked for once
        the report is long, since only its first problems are shown."""
        if len(self.problems) > SUGGESTIONS:
            return None
        main = [k for k, a in cls.args.items() if a.shape_relevant] + [
            k for k in COMMON_KEYS if k not in ("dtype", "shares", "group")
        ]
        torch_names = cls.torch_names()
        return suggest(key, main) or suggest(key, list(torch_names)) or suggest(key, list(cls.args))
