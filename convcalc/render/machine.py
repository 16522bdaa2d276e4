"""Machine-readable renderings of a Report: JSON, Markdown (for PR comments) and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from convcalc.render.common import SCHEMA_VERSION
from convcalc.render.units import grouped, keras_shape, plain_shape
from convcalc.report import Report


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON document: shapes per sample, without the batch, in the spec's data_format."""
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
        "layers": [
            {
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
            for r in report.rows
        ],
        "totals": {
            **t.as_dict(),
            "flops": t.flops,
            "param_bytes_float32": t.param_bytes("float32"),
        },
    }


_FLAT_LIST = re.compile(r"\[\s+([-\d.,\s]*?)\s+\]")


def dumps(doc: Any) -> str:
    """Indented JSON with lists of numbers (shapes) kept on one line."""
    text = json.dumps(doc, indent=2)
    return (
        _FLAT_LIST.sub(
            lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text
        )
        + "\n"
    )


def render_json(report: Report) -> str:
    return dumps(report_dict(report))


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
        f"**{report.name}**: {grouped(t.params)} params "
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
            f"| {r.name} ({r.kind}) | `{keras_shape(r.output_shape)}` | "
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
    return buf.getvalue()


RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": render_json,
    "markdown": _markdown,
    "csv": _csv,
}
