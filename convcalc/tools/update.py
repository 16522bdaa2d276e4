"""``convcalc check --update``: write the computed values into a spec's ``expect:`` block.

The YAML is edited as TEXT, so that comments, blank lines, key order and quoting elsewhere stay
exactly as they were (PyYAML would drop comments on a round trip). The positions come from
PyYAML's node marks:

* a value that differs is replaced in place (a scalar, or a ``[...]`` list; a block-style list
  is rewritten as a flow list after its key);
* missing totals (params, trainable_params, non_trainable_params, macs, output_shape) are
  inserted after the last key of ``expect:``, at its indentation (or inside ``{...}`` for a
  flow-style mapping);
* a spec without ``expect:`` gets one appended at the end.

Per-layer expectations are updated where they exist and never added; budgets are never touched.
The edited text is parsed and checked again before it is written: if that does not give back
the computed values, nothing is written (:class:`UpdateRefused`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from convcalc import atomic, zoo
from convcalc.analysis import parse_spec
from convcalc.counting import TOTAL_FIELDS
from convcalc.errors import Location, Problem, SpecError
from convcalc.report import Field, Report
from convcalc.spec.model import Spec
from convcalc.tools.check import SpecCheck, check_path

TOTAL_KEYS = (*TOTAL_FIELDS, "output_shape")


class UpdateRefused(SpecError):
    """The file's layout is one --update does not edit (the message says which and where)."""


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def current_values(spec: Spec, report: Report, fields: dict[str, Field]) -> dict[str, Any]:
    """What the expect block should say: the totals, plus the per-layer keys it already has."""
    values: dict[str, Any] = {**report.totals.as_dict(), "output_shape": list(report.output_shape)}
    layers: dict[str, dict[str, Any]] = {}
    for lname, lexp in (spec.expect.get("layers") or {}).items():
        row = report.row(lname)
        entry: dict[str, Any] = {}
        for key, old in lexp.items():
            if key == "receptive_field":
                f = fields[lname]
                if not f.known:
                    continue  # cannot be computed: leave what the spec says
                same = len(set(f.size)) == 1
                entry[key] = f.size[0] if same and isinstance(old, int) else list(f.size)
            elif key == "output_shape":
                entry[key] = list(row.output_shape)
            else:
                entry[key] = getattr(row, key)
        layers[lname] = entry
    values["layers"] = layers
    return values


def updated_text(text: str, spec: Spec, report: Report) -> str:
    """``text`` (the spec's file) with its expect block set to the computed values."""
    values = current_values(spec, report, report.fields)
    new = _Editor(text, spec.file).edit(spec.expect, values)
    _verify(new, spec, values)
    return new


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff as git prints it (including its "No newline at end of file" marker)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=_diff_name("a", path),
        tofile=_diff_name("b", path),
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _diff_name(side: str, path: str) -> str:
    return path if Path(path).is_absolute() else f"{side}/{path}"


def update_file(spec: Spec, report: Report) -> str:
    """Rewrite ``spec.file`` if its expect block differs; return the diff ("" if unchanged)."""
    path = Path(spec.file)
    old = path.read_bytes().decode("utf-8")  # as it is: keep \r\n line ends (the loader read it)
    new = updated_text(old, spec, report)
    if new == old:
        return ""
    if zoo.is_zoo_file(path):
        raise UpdateRefused(
            [
                Problem(
                    Location(spec.file),
                    "--update does not edit the specs that ship with convcalc",
                    hint=f"copy it first: convcalc zoo show {path.stem} > {path.stem}.yaml",
                )
            ]
        )
    try:
        atomic.write_text(path, new)
    except OSError as exc:
        raise UpdateRefused(
            [Problem(Location(spec.file), f"--update cannot write this file: {exc.strerror}")]
        ) from None
    return unified_diff(old, new, spec.file)


def update_and_recheck(results: list[SpecCheck]) -> tuple[list[SpecCheck], list[str]]:
    """``check --update``: write the computed values into every valid spec, then check the
    updated ones again. Returns the new results and the diffs (a spec that does not parse is
    never touched; one --update cannot edit becomes invalid with the reason)."""
    diffs: list[str] = []
    out = list(results)
    for i, r in enumerate(results):
        if r.spec is None or r.report is None:
            continue
        try:
            diff = update_file(r.spec, r.report)
        except SpecError as err:
            out[i] = SpecCheck(r.file, r.name, error=err)
            continue
        if diff:
            diffs.append(diff)
            out[i] = check_path(r.file)
    return out, diffs


# --- the text editor -----------------------------------------------------------------------------
def _scalar(value: Any, old_text: str = "") -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(x) for x in value) + "]"
    if isinstance(value, int) and "_" in old_text:
        return f"{value:_}"
    return str(value)


class _Editor:
    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.edits: list[Edit] = []
        self.nl = "\r\n" if "\r\n" in text else "\n"

    def refuse(self, node: Any, why: str, hint: str = "") -> UpdateRefused:
        mark = node.start_mark if node is not None else None
        loc = Location(self.file, mark.line + 1, mark.column + 1) if mark else Location(self.file)
        return UpdateRefused([Problem(loc, f"--update cannot edit this file: {why}", hint=hint)])

    def edit(self, old: dict[str, Any], values: dict[str, Any]) -> str:
        loader = yaml.SafeLoader(self.text)  # the pure-Python loader: marks count characters
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
        if not isinstance(root, yaml.MappingNode):
            raise self.refuse(root, "the document is not a mapping")
        expect = self.pair(root, "expect")
        if expect is None:
            self.append_block(root, values)
        else:
            key_node, node = expect
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
                self.fill_empty(key_node, node, values)
            elif isinstance(node, yaml.MappingNode):
                self.within = (node.start_mark.index, self.content_end(node))
                self.update_mapping(node, old, values)
            else:
                raise self.refuse(node, "expect is not a mapping")
        text = self.text
        for e in sorted(self.edits, key=lambda e: e.start, reverse=True):
            text = text[: e.start] + e.text + text[e.end :]
        return text

    # --- finding things ----------------------------------------------------------------------
    @staticmethod
    def pair(mapping: Any, key: str) -> tuple[Any, Any] | None:
        for k, v in mapping.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
        return None

    def content_end(self, node: Any) -> int:
        """End of the last character that belongs to ``node`` (block collections end at the
        next token, which may be lines further down: use their last child instead)."""
        if getattr(node, "flow_style", False) or isinstance(node, yaml.ScalarNode):
            return int(node.end_mark.index)
        if isinstance(node, yaml.MappingNode) and node.value:
            k, v = node.value[-1]
            if isinstance(v, yaml.ScalarNode) and v.value == "" and v.tag.endswith(":null"):
                return int(k.end_mark.index)
            return self.content_end(v)
        if isinstance(node, yaml.SequenceNode) and node.value:
            return self.content_end(node.value[-1])
        return int(node.end_mark.index)

    def line_after(self, index: int) -> int:
        """Index of the start of the line after the one holding ``index``."""
        nl = self.text.find("\n", index)
        return len(self.text) if nl < 0 else nl + 1

    def check_inside(self, node: Any) -> None:
        lo, hi = self.within
        if not lo <= node.start_mark.index <= hi:
            raise self.refuse(
                node,
                "a value of expect: is a YAML alias (*name)",
                hint="write the value itself, or update it by hand",
            )

    # --- edits -------------------------------------------------------------------------------
    def replace_value(self, key_node: Any, node: Any, value: Any) -> None:
        self.check_inside(node)
        if isinstance(node, yaml.SequenceNode) and not node.flow_style:
            # a block list: rewrite everything after the key's colon as a flow list
            colon = self.text.index(":", key_node.end_mark.index)
            end = self.content_end(node)
            if "#" in self.text[colon + 1 : end]:
                raise self.refuse(
                    node,
                    "a block-style list with comments inside",
                    hint="write it as [a, b, c] or update it by hand",
                )
            self.edits.append(Edit(colon + 1, end, " " + _scalar(value)))
            return
        if isinstance(node, yaml.MappingNode):
            raise self.refuse(node, f"'{key_node.value}' holds a mapping, not a value")
        old_text = self.text[node.start_mark.index : node.end_mark.index]
        self.edits.append(
            Edit(node.start_mark.index, node.end_mark.index, _scalar(value, old_text))
        )

    def update_mapping(self, node: Any, old: dict[str, Any], values: dict[str, Any]) -> None:
        for k, v in node.value:
            key = k.value
            if key == "layers":
                if isinstance(v, yaml.MappingNode):
                    for lk, lv in v.value:
                        if isinstance(lv, yaml.MappingNode):
                            self.update_leaves(
                                lv, old["layers"][lk.value], values["layers"].get(lk.value, {})
                            )
            elif key in values and old.get(key) != values[key]:
                self.replace_value(k, v, values[key])
        missing = [k for k in TOTAL_KEYS if k not in old]
        if missing:
            self.insert_keys(node, [(k, values[k]) for k in missing])

    def update_leaves(self, node: Any, old: dict[str, Any], values: dict[str, Any]) -> None:
        for k, v in node.value:
            if k.value in values and old.get(k.value) != values[k.value]:
                self.replace_value(k, v, values[k.value])

    def insert_keys(self, node: Any, items: list[tuple[str, Any]]) -> None:
        if node.flow_style:
            body = ", ".join(f"{k}: {_scalar(v)}" for k, v in items)
            if node.value:
                self.edits.append(
                    Edit(
                        self.content_end(node.value[-1][1]),
                        self.content_end(node.value[-1][1]),
                        ", " + body,
                    )
                )
            else:
                at = self.text.index("{", node.start_mark.index) + 1
                self.edits.append(Edit(at, at, body))
            return
        indent = " " * node.value[0][0].start_mark.column
        at = self.line_after(self.content_end(node))
        lead = "" if at == 0 or self.text[at - 1] == "\n" else self.nl
        body = "".join(f"{indent}{k}: {_scalar(v)}{self.nl}" for k, v in items)
        self.edits.append(Edit(at, at, lead + body))

    def fill_empty(self, key_node: Any, node: Any, values: dict[str, Any]) -> None:
        """``expect:`` with nothing (or ``~``) after it: write the totals under it."""
        if node.end_mark.index > node.start_mark.index:  # an explicit ~ or null
            self.edits.append(Edit(node.start_mark.index, node.end_mark.index, ""))
        indent = " " * (key_node.start_mark.column + 2)
        at = self.line_after(key_node.end_mark.index)
        lead = "" if self.text[at - 1 : at] == "\n" else self.nl
        body = "".join(f"{indent}{k}: {_scalar(values[k])}{self.nl}" for k in TOTAL_KEYS)
        self.edits.append(Edit(at, at, lead + body))

    def append_block(self, root: Any, values: dict[str, Any]) -> None:
        if root.flow_style:
            raise self.refuse(
                root,
                "the spec is one flow-style mapping ({...})",
                hint="write expect: by hand, or use block style",
            )
        tail = self.text[self.content_end(root) :]
        if any(line.strip() and not line.strip().startswith("#") for line in tail.splitlines()[1:]):
            raise self.refuse(root, "there is YAML after the spec's mapping (a '...' marker?)")
        base = " " * root.value[0][0].start_mark.column
        lead = "" if not self.text or self.text.endswith("\n") else self.nl
        body = f"{base}expect:{self.nl}" + "".join(
            f"{base}  {k}: {_scalar(values[k])}{self.nl}" for k in TOTAL_KEYS
        )
        self.edits.append(Edit(len(self.text), len(self.text), lead + body))


def _verify(new: str, spec: Spec, values: dict[str, Any]) -> None:
    """Parse the edited text and make sure it now expects exactly ``values``."""

    def refuse(why: str) -> UpdateRefused:
        return UpdateRefused(
            [
                Problem(
                    Location(spec.file),
                    f"--update cannot edit this file: {why}",
                    hint="update the expect: block by hand",
                )
            ]
        )

    try:
        expect = parse_spec(new, spec.file).expect
    except SpecError as err:
        raise refuse("the edited text would not parse: " + err.problems[0].message) from None
    for key in TOTAL_KEYS:
        if expect.get(key) != values[key]:
            raise refuse(f"after the edit expect.{key} reads {expect.get(key)!r}")
    for lname, entry in values["layers"].items():
        for key, value in entry.items():
            if expect["layers"][lname].get(key) != value:
                raise refuse(
                    f"after the edit expect.layers.{lname}.{key} reads "
                    f"{expect['layers'][lname].get(key)!r}"
                )
