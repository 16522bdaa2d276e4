"""The expansion step between the YAML document and the layer list: blocks and ``repeat:``.

Every later stage works on :class:`Entry` objects: one layer entry each, its arguments
substituted, with the path of the YAML node it was written at (inside ``blocks:`` for a
block's layer, so that messages point at the definition), the top-level ``layers:`` entry it
came from (``use``: what ``compare --write`` edits) and the block uses around it (``blocks``:
what ``summary --depth`` groups by). Nothing downstream assumes that entry *i* is ``layers[i]``.

A block is a named list of layers with declared arguments (``args: {filters: ~, strides: 1}``,
``~`` for a required one), used anywhere a layer is (``- bottleneck: {filters: 64}``); its
layers see the arguments as ``$filters`` / ``${4 * filters}`` (:mod:`convcalc.spec.template`),
its use's ``name`` as ``$name`` and the layer feeding it as ``$input``. Its first layer takes
the block's input unless it says otherwise; its output is its last layer, or the layer named
by ``output:``. ``repeat: N`` on a layer or a block use writes it N times, ``$repeat`` being
0, 1, ... N-1; each repetition takes the previous one's output.
"""

from __future__ import annotations

import re
from typing import Any

from convcalc.errors import Location
from convcalc.layers import lookup
from convcalc.spec.expanded import (
    REQUIRED_ARG,
    Block,
    Entry,
    Group,
    Ref,
    Scope,
    resolve_inputs,
    split,
)
from convcalc.spec.limits import MAX_LAYERS, current
from convcalc.spec.template import TemplateError, has_template, substitute
from convcalc.spec.yaml_source import Path, Reporter

MAX_DEPTH = 16  # blocks inside blocks
# MAX_LAYERS: layers after expansion, the default of the limit in force (--max-layers)
MAX_REPEAT = 10_000
__all__ = [
    "MAX_DEPTH",
    "MAX_LAYERS",
    "MAX_REPEAT",
    "REQUIRED_ARG",
    "Block",
    "Entry",
    "Expander",
    "Group",
    "Ref",
    "resolve_inputs",
    "split",
]
RESERVED = ("input", "repeat", "inputs", "trainable")  # names a block argument cannot take
USE_KEYS = ("name", "inputs", "repeat", "trainable")  # what every block use takes
BLOCK_KEYS = ("args", "layers", "output", "description")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _plain_entry(item: Any, defs: dict[str, Block]) -> bool:
    """Whether ``item`` is a ``{Kind: {args}}`` layer entry with nothing to expand: no block,
    no ``repeat:``, no ``$`` (most entries of a long spec)."""
    if type(item) is not dict or len(item) != 1:
        return False
    ((kind, args),) = item.items()
    return (
        type(kind) is str
        and type(args) is dict
        and kind not in defs
        and "repeat" not in args
        and not any(map(has_template, args.values()))
    )


class Expander(Reporter):
    """Expands ``layers:`` with the spec's ``blocks:``; problems go to ``problems``."""

    def __init__(self, src: Any, problems: list[Any]) -> None:
        super().__init__(src, problems)
        self.defs: dict[str, Block] = {}
        self.out: list[Entry] = []
        self.counters: dict[str, int] = {}
        self.full = False

    def where(self, path: Path) -> Location:
        return self.src.key_at(path)

    # --- definitions ---------------------------------------------------------------------------
    def definitions(self, raw: Any) -> dict[str, Block]:
        if not isinstance(raw, dict):
            return self.defs
        for name, body in raw.items():
            path = ("blocks", name)
            if not isinstance(name, str) or not _NAME.match(name):
                self.fail(path, f"block name {name!r} is not a plain name", key=True)
                continue
            if lookup(name) is not None:
                self.fail(
                    path,
                    f"block '{name}' has the name of the layer kind {lookup(name).kind}",  # type: ignore[union-attr]
                    key=True,
                    hint="give the block another name",
                )
                continue
            block = self.definition(name, body, path)
            if block is not None:
                self.defs[name] = block
        return self.defs

    def definition(self, name: str, body: Any, path: Path) -> Block | None:
        if not isinstance(body, dict) or not isinstance(body.get("layers"), list):
            self.fail(
                path,
                f"block '{name}' must be a mapping with a 'layers' list",
                hint="e.g.  conv_bn: {args: {filters: ~}, layers: [Conv2D: {filters: $filters,"
                " kernel_size: 3}, BatchNormalization]}",
            )
            return None
        ok = True
        for key in body:
            if key not in BLOCK_KEYS:
                self.fail(
                    path + (key,),
                    f"unknown key '{key}' in block '{name}'",
                    key=True,
                    hint="a block takes " + ", ".join(BLOCK_KEYS),
                )
                ok = False
        if not body["layers"]:
            self.fail(path + ("layers",), f"block '{name}' has no layers")
            ok = False
        args = body.get("args") or {}
        if not isinstance(args, dict):
            self.fail(
                path + ("args",),
                "args must map argument names to defaults (~ for a required argument)",
                hint="e.g.  args: {filters: ~, strides: 1}",
            )
            return None
        for arg in args:
            if not isinstance(arg, str) or not _NAME.match(arg) or arg in RESERVED:
                self.fail(
                    path + ("args", arg),
                    f"'{arg}' cannot be a block argument"
                    + (" (every block has it)" if arg in RESERVED else ""),
                    key=True,
                    hint="argument names are plain names other than " + ", ".join(RESERVED),
                )
                ok = False
        output = body.get("output")
        if output is not None and not isinstance(output, str):
            self.fail(path + ("output",), "output must be a layer name such as ${name}_out")
            ok = False
        if not ok:
            return None
        defaults = {a: REQUIRED_ARG if d is None else d for a, d in args.items()}
        return Block(name, defaults, body["layers"], output, path)

    # --- expansion -----------------------------------------------------------------------------
    def expand(self, layers: list[Any]) -> list[Entry]:
        """The entries of ``layers:``, every block use and repetition written out, in order."""
        self.items(layers, ("layers",), Scope({}, None, (), "", (), None), None)
        return self.out

    def items(self, raw: list[Any], base: Path, scope: Scope, prev: Any) -> Any:
        """Expand ``raw`` after ``prev`` (the input of its first entry; None: the previous
        entry); return the output of its last entry in the same terms."""
        limit = current().max_layers
        top = scope.use is None and not scope.env and scope.trainable is None
        for i, item in enumerate(raw):
            if self.full:
                return None
            path = base + (i,)
            if top and prev is None and _plain_entry(item, self.defs):
                self.out.append(Entry(item, path, path))  # what layer() would make of it
                if len(self.out) > limit:
                    return self.overflow(path, limit)
                continue
            use = scope.use or path
            found = split(item)
            if found is None:  # the entry parser reports its form
                self.out.append(Entry(item, path, use, scope.blocks, scope.via))
                prev = None
                continue
            kind, args = found
            args = args or {}
            times = self.repeat(args, path + (kind, "repeat"), scope) if "repeat" in args else 0
            for r in range(max(times, 1)):
                env = {**scope.env, "repeat": r} if times else scope.env
                if kind in self.defs:
                    prev = self.use(self.defs[kind], args, path, use, scope, env, prev)
                else:
                    prev = self.layer(item, kind, args, path, use, scope, env, prev)
                if len(self.out) > limit:
                    return self.overflow(path, limit)
        return prev

    def overflow(self, path: Path, limit: int) -> None:
        """Report that the entries went past ``limit`` at ``path``, and stop expanding."""
        self.fail(
            path,
            f"the spec expands to more than {limit:,} layers",
            hint="check the repeat: counts, or pass --max-layers N to allow more",
        )
        self.full = True

    def repeat(self, args: dict[str, Any], path: Path, scope: Scope) -> int:
        try:
            n = substitute(args["repeat"], scope.env)
        except TemplateError as exc:
            self.fail(path, exc.message, hint=exc.hint)
            return 1
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_REPEAT:
            self.fail(
                path,
                f"repeat must be an integer from 1 to {MAX_REPEAT:,}; received {n!r}",
                hint="repeat: 3 writes the layer (or block) three times in a row",
            )
            return 1
        return n

    def substituted(
        self, args: dict[str, Any], kpath: Path, env: dict[str, Any], where: str
    ) -> tuple[dict[str, Any], bool]:
        """``args`` without ``repeat``, each value substituted; whether all of them were."""
        if "repeat" not in args and not any(map(has_template, args.values())):
            return dict(args), True
        values: dict[str, Any] = {}
        ok = True
        for key, value in args.items():
            if key == "repeat":
                continue
            if not has_template(value):
                values[key] = value
                continue
            try:
                values[key] = substitute(value, env)
            except TemplateError as exc:
                self.fail(kpath + (key,), f"{key}: {exc.message}", layer=where, hint=exc.hint)
                ok = False
        return values, ok

    def layer(
        self,
        item: Any,
        kind: str,
        args: dict[str, Any],
        path: Path,
        use: Path,
        scope: Scope,
        env: dict[str, Any],
        prev: Any,
    ) -> Any:
        values, ok = self.substituted(args, path + (kind,), env, scope.via.lstrip(", "))
        if scope.trainable is not None and "trainable" not in values:
            values["trainable"] = scope.trainable
        if prev is not None and "inputs" not in values:
            values["inputs"] = prev
        value = item if values == args and "repeat" not in args else {kind: values}
        self.out.append(Entry(value, path, use, scope.blocks, scope.via, not ok))
        return None

    def use(
        self,
        block: Block,
        args: dict[str, Any],
        path: Path,
        use: Path,
        scope: Scope,
        env: dict[str, Any],
        prev: Any,
    ) -> Any:
        upath = path + (block.name,)
        defined = self.where(block.path)
        if block.name in scope.stack:
            chain = " -> ".join((*scope.stack[scope.stack.index(block.name) :], block.name))
            self.fail(
                upath,
                f"block '{block.name}' uses itself ({chain}); defined at {defined}",
                key=True,
                layer=scope.via.lstrip(", "),
                hint="a block cannot contain itself, directly or through another block",
            )
            return prev
        if len(scope.stack) >= MAX_DEPTH:
            self.fail(
                upath,
                f"blocks are nested more than {MAX_DEPTH} deep here "
                f"({' -> '.join(scope.stack)} -> {block.name}); '{block.name}' is defined at "
                f"{defined}",
                key=True,
                layer=scope.via.lstrip(", "),
            )
            return prev
        given = self.use_args(block, args, upath, scope, env)
        if given is None:
            return prev
        name = given.get("name")
        if not isinstance(name, str) or not name:
            n = self.counters.get(block.name, 0)
            self.counters[block.name] = n + 1
            name = f"{block.name}_{n}" if n else block.name
        if "inputs" in given:
            inputs = given["inputs"]
            prev = inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs
        inner_env: dict[str, Any] = {
            "name": name,
            "input": prev if prev is not None else Ref(len(self.out) - 1),
        }
        for a, default in block.args.items():
            if a in given:
                inner_env[a] = given[a]
                continue
            try:
                inner_env[a] = substitute(default, inner_env)
            except TemplateError as exc:
                self.fail(block.path + ("args", a), f"{a}: {exc.message}", hint=exc.hint)
                return prev
        here = f", in block '{block.name}' used at {self.where(upath)}"
        inner = Scope(
            inner_env,
            use,
            (*scope.blocks, (name, block.name)),
            here + scope.via,
            (*scope.stack, block.name),
            given.get("trainable", scope.trainable),
        )
        last = self.items(block.layers, block.path + ("layers",), inner, prev)
        if block.output is None:
            return last
        try:
            return substitute(block.output, inner_env)
        except TemplateError as exc:
            self.fail(block.path + ("output",), f"output: {exc.message}", hint=exc.hint)
            return last

    def use_args(
        self, block: Block, args: dict[str, Any], upath: Path, scope: Scope, env: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The use's arguments, substituted; None (reported) if one is unknown or missing."""
        defined = self.where(block.path)
        given, ok = self.substituted(args, upath, env, scope.via.lstrip(", "))
        for key in given:
            if key not in block.args and key not in USE_KEYS:
                declared = ", ".join(block.args) or "none"
                self.fail(
                    upath + (key,),
                    f"block '{block.name}' has no argument '{key}' (defined at {defined})",
                    key=True,
                    layer=scope.via.lstrip(", "),
                    hint=f"its arguments: {declared}; every block also takes "
                    + ", ".join(USE_KEYS),
                )
                ok = False
        missing = [a for a, d in block.args.items() if d is REQUIRED_ARG and a not in given]
        for a in missing:
            self.fail(
                upath,
                f"block '{block.name}' needs the argument '{a}' (defined at {defined})",
                key=True,
                layer=scope.via.lstrip(", "),
                hint=f"add  {a}: ...  to this use of {block.name}",
            )
        return given if ok and not missing else None
