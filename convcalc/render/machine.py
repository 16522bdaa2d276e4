"""Machine-readable renderings of a Report: JSON, Markdown (for PR comments) and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

from convcalc.render import escape, json_text
from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.escape import csv_row
from convcalc.render.units import grouped, keras_shape, plain_shape
from convcalc.report import LayerRow, Report


def layer_dict(r: LayerRow) -> dict[str, Any]:
    """One layer of the JSON document."""
    return {
        "name": r.name,
        "type": r.kind,
        "inputs": list(r.inputs),
        "output_shape": list(r.output_shape),
        "params": r.params,
        "trainable_params": r.trainable_params,
        "non_trainable_params": r.non_trainable_params,
        "macs": None if r.incomplete else r.macs,
        **({"shares": r.shares} if r.shares else {}),
        # in the spec's framework order: PyTorch's names and layouts for PyTorch
        # spellings and channels_first specs, Keras's otherwise
        "weights": [
            {"name": name, "shape": list(shape), "trainable": w.trainable}
            for (name, shape), w in zip(r.weight_shapes(), r.weights)
        ],
        "weights_layout": "torch" if r.torch_layout else "keras",
    }


def report_dict(report: Report, layers: Any = None) -> dict[str, Any]:
    """The JSON document: shapes per sample, without the batch, in the spec's data_format.
    ``layers``: what to put under "layers" instead of the list of every layer's dict."""
    inputs = report.input_rows
    t = report.totals
    return {
        "schema_version": SCHEMA_VERSION,
        "name": report.name,
        "file": report.file,
        "data_format": report.data_format,
        "model": report.model,
        "input_shape": list(inputs[0].output_shape)
        if len(inputs) == 1
        else [list(r.output_shape) for r in inputs],
        "output_shape": list(report.output_shape),
        "outputs": list(report.outputs),
        "status": "incomplete" if report.incomplete else "complete",
        "not_analysable": [
            {"name": r.name, "type": r.kind, "reason": r.incomplete} for r in report.incomplete
        ],
        "layers": [layer_dict(r) for r in report.rows] if layers is None else layers,
        "totals": {
            **t.as_dict(),
            "flops": t.flops,
            "param_bytes_float32": t.param_bytes("float32"),
        },
    }


def dumps(doc: Any) -> str:
    """Indented JSON with lists of numbers (shapes) kept on one line."""
    return json_text.dumps(doc)


def render_json(report: Report) -> str:
    """The JSON document (:func:`write_json`'s text)."""
    parts: list[str] = []
    write_json(report, parts.append)
    return "".join(parts)


def write_json(report: Report, add: Callable[[str], Any]) -> None:
    """The JSON document, given to ``add`` (a file's ``write``) piece by piece: each layer's
    text is made as it is written (a 100,000-layer report never holds every layer's dict, or
    the whole text, at once): :func:`layer_text`, the text of :func:`layer_dict`."""
    known: dict[tuple[Any, ...], str] = {}  # the rows' shared parts (rows alike share their tuples)
    doc = report_dict(report, json_text.EachText(report.rows, lambda r, n: layer_text(r, n, known)))
    json_text.write(doc, add)


def _strings(items: tuple[str, ...], newline: str) -> str:
    if not items:
        return "[]"
    inner = newline + "  "
    return "[" + inner + ("," + inner).join(map(json_text.string, items)) + newline + "]"


def _weights_text(r: LayerRow, i1: str) -> str:
    if not r.weights:
        return "[]"
    i2 = i1 + "  "
    i3 = i2 + "  "
    return (
        "["
        + ",".join(
            f'{i2}{{{i3}"name": {json_text.string(name)},{i3}"shape": '
            f'{json_text.numbers(shape)},{i3}"trainable": '
            f"{'true' if w.trainable else 'false'}{i2}}}"
            for (name, shape), w in zip(r.weight_shapes(), r.weights)
        )
        + i1
        + "]"
    )


def layer_text(r: LayerRow, newline: str, known: dict[tuple[Any, ...], str] | None = None) -> str:
    """``layer_dict(r)`` as :func:`dumps` writes it, at the indentation ``newline`` gives (the
    hot path of a large summary; ``tests/security/test_cli.py`` checks it is the same text).
    ``known``: the texts of shapes and weights already written, by the identity of the row's
    tuple (for the rows of one report, which keeps them alive)."""
    i1 = newline + "  "
    if known is None:
        shape, weights = json_text.numbers(r.output_shape), _weights_text(r, i1)
    else:
        at: tuple[Any, ...] = ("s", id(r.shape), r.channels_first)
        found = known.get(at)
        if found is None:
            found = known[at] = json_text.numbers(r.output_shape)
        shape = found
        at = ("w", id(r.weights), r.torch_layout, newline)
        found = known.get(at)
        if found is None:
            found = known[at] = _weights_text(r, i1)
        weights = found
    return (
        f'{{{i1}"name": {json_text.string(r.name)},{i1}"type": {json_text.string(r.kind)},'
        f'{i1}"inputs": {_strings(r.inputs, i1)},'
        f'{i1}"output_shape": {shape},'
        f'{i1}"params": {r.params},{i1}"trainable_params": {r.trainable_params},'
        f'{i1}"non_trainable_params": {r.non_trainable_params},'
        f'{i1}"macs": {"null" if r.incomplete else r.macs},'
        + (f'{i1}"shares": {json_text.string(r.shares)},' if r.shares else "")
        + f'{i1}"weights": {weights},'
        f'{i1}"weights_layout": "{"torch" if r.torch_layout else "keras"}"{newline}}}'
    )


def batch_json(report: Report, batch: int) -> str:
    """The JSON document (shapes per sample) plus ``batch``, every layer's ``batch_shape``
    (as PyTorch prints it) and ``macs_batch``, and ``batch_totals``."""
    doc = report_dict(report)
    doc["batch"] = batch
    for layer, row in zip(doc["layers"], report.rows):
        layer["batch_shape"] = [batch, *row.output_shape]
        layer["macs_batch"] = row.macs * batch
    t = report.totals
    doc["batch_totals"] = {"macs": t.macs * batch, "flops": t.flops * batch}
    return dumps(doc)


def render_markdown(report: Report, extra: Sequence[tuple[str, dict[str, str]]] = ()) -> str:
    """``extra``: more columns, (header, cell text by layer name), e.g. the --run columns."""
    t = report.totals
    lines = [
        f"**{escape.markdown(report.name)}**: {grouped(t.params)} params "
        f"({grouped(t.trainable_params)} trainable, {grouped(t.non_trainable_params)} "
        f"non-trainable), {grouped(t.macs)} MACs"
        + (
            f" (at least: {len(report.incomplete)} layers not analysable)"
            if report.incomplete
            else ""
        ),
        "",
        "| Layer (type) | Output Shape | Param # | MACs |" + "".join(f" {h} |" for h, _ in extra),
        "|:--|:--|--:|--:|" + "--:|" * len(extra),
    ]
    for r in report.rows:
        lines.append(
            f"| {escape.markdown(r.name)} ({r.kind}) | `{keras_shape(r.output_shape)}` | "
            f"{grouped(r.params)} | {'?' if r.incomplete else grouped(r.macs)} |"
            + "".join(f" {cells.get(r.name, '')} |" for _, cells in extra)
        )
    lines.append(
        f"| **Total** | | **{grouped(t.params)}** | **{grouped(t.macs)}** |" + " |" * len(extra)
    )
    return "\n".join(lines) + "\n"


def _csv(report: Report) -> str:
    return render_csv(report)


def _markdown(report: Report) -> str:
    return render_markdown(report)


def render_csv(report: Report, extra: Sequence[tuple[str, dict[str, Any]]] = ()) -> str:
    """``extra``: more columns, (header, value by layer name), e.g. the --run columns."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "name",
            "type",
            "inputs",
            "output_shape",
            "params",
            "trainable_params",
            "non_trainable_params",
            "macs",
        ]
        + [h for h, _ in extra]
    )
    for r in report.rows:
        writer.writerow(
            csv_row(
                [
                    r.name,
                    r.kind,
                    ";".join(r.inputs),
                    plain_shape(r.output_shape),
                    r.params,
                    r.trainable_params,
                    r.non_trainable_params,
                    "" if r.incomplete else r.macs,
                ]
                + [values.get(r.name, "") for _, values in extra]
            )
        )
    return buf.getvalue()


RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": render_json,
    "markdown": _markdown,
    "csv": _csv,
}
