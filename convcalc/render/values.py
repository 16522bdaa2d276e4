"""Tensor values as matrices, for small tensors: the input, each layer's weights and output.

Activations are shown in the spec's data_format, one matrix per channel of the first sample
(channels_last ``a[0, :, :, c]``, channels_first ``a[0, c]``); weights in the spec's framework
order (:meth:`~convcalc.report.LayerRow.weight_shapes`): one ``kh x kw`` matrix per
(input, output) channel pair, ``kernel[:, :, i, o]`` in Keras's layout, ``weight[o, i]`` in
PyTorch's. Numbers are printed as integers when they all are, else with 4 significant digits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from convcalc.report import Report

if TYPE_CHECKING:
    from convcalc.runtime.executor import RunResult

SMALL = 256  # elements: a tensor this small is shown by default
AUTO_MAX_TENSORS = 24  # and only when there are few of them


def number(v: float, integral: bool) -> str:
    if integral:
        return str(round(v))
    return f"{v:.4g}"


def matrix_lines(a: Any, align: bool = True) -> list[str]:
    """A 1-D or 2-D array as NumPy prints it (``[[19, 25],`` / `` [37, 43]]``), columns
    aligned; integers without a decimal point."""
    import numpy as np

    m = np.asarray(a, dtype=np.float64)
    if m.ndim == 0:
        m = m.reshape(1)
    integral = bool(np.all(np.isfinite(m)) and np.all(m == np.round(m)) and np.all(abs(m) < 1e9))
    rows = m.reshape(1, -1) if m.ndim == 1 else m.reshape(-1, m.shape[-1])
    cells = [[number(float(v), integral) for v in row] for row in rows]
    width = max(len(c) for row in cells for c in row) if align else 0
    body = [", ".join(c.rjust(width) for c in row) for row in cells]
    if m.ndim == 1:
        return ["[" + body[0] + "]"]
    lines = []
    for i, text in enumerate(body):
        first, last = i == 0, i == len(body) - 1
        lines.append(("[[" if first else " [") + text + ("]]" if last else "],"))
    return lines


def inline(a: Any) -> str:
    """A small matrix on one line: ``[[19, 25], [37, 43]]``."""
    return " ".join(line.strip() for line in matrix_lines(a, align=False))


def _activation_blocks(a: Any, channels_first: bool) -> Iterator[tuple[str, Any]]:
    """(label, 1-D or 2-D array) per channel of sample 0 of a batch-first activation."""
    x = a[0]
    if x.ndim <= 1:
        yield "", x
        return
    c_axis = 0 if channels_first else x.ndim - 1
    n = x.shape[c_axis]
    for c in range(n):
        m = x[c] if channels_first else x[..., c]
        while m.ndim > 2:  # a volume: its first slices along the leading axes
            m = m[0]
        yield (f"channel {c}" if n > 1 else ""), m


def _weight_blocks(w: Any, torch: bool, rank: int, name: str) -> Iterator[tuple[str, Any]]:
    """(label, matrix) per (input, output) channel pair of a kernel of ``rank`` spatial axes
    (in the layout it is shown in); vectors and Dense kernels as they are."""
    if w.ndim <= 2 or rank == 0:
        yield "", w
        return
    if torch:  # (out, in, k...)
        for o in range(w.shape[0]):
            for i in range(w.shape[1]):
                m = w[o, i]
                while m.ndim > 2:
                    m = m[0]
                yield f"{name}[{o}, {i}] (in {i} -> out {o})", m
        return
    for i in range(w.shape[-2]):  # (k..., in, out)
        for o in range(w.shape[-1]):
            m = w[..., i, o]
            while m.ndim > 2:
                m = m[0]
            axes = ", ".join([":"] * min(rank, 2))
            yield f"{name}[{axes}, {i}, {o}] (in {i} -> out {o})", m


def tensors(report: Report, result: RunResult) -> Iterator[tuple[str, str, Any]]:
    """(title, kind, array) of every tensor shown: per layer its weights (shown layout) then
    its output; inputs first. ``kind`` is 'activation' or 'weight:<rank>:<torch>'."""
    for r in report.rows:
        params = result.params.get(r.name, {})
        for w, (name, shape) in zip(r.weights, r.weight_shapes()):
            a = params.get(w.name)
            if a is None:
                continue
            shown = w.to_torch(a) if r.torch_layout else a
            rank = w.flip
            yield (
                f"{r.name} ({r.kind}) {name} {tuple(shape)}",
                f"weight:{rank}:{r.torch_layout}:{name}",
                shown,
            )
        act = result.activations.get(r.name)
        if act is not None:
            what = "input" if r.is_input else "output"
            yield (
                f"{r.name} ({r.kind}) {what} {tuple(act.shape[1:])}",
                "activation",
                act,
            )


def small_enough(report: Report, batch: int = 1) -> bool:
    """Whether every tensor of a run (each output, for the whole batch, and each weight) is
    small enough, and there are few enough, to show them by default."""
    sizes = [r.output_elements * batch for r in report.rows]
    sizes += [w.size for r in report.rows for w in r.weights]
    return len(sizes) <= AUTO_MAX_TENSORS and max(sizes) <= SMALL


def render_values(report: Report, result: RunResult) -> str:
    layout = "channels_first: a[0, c]" if report.channels_first else "channels_last: a[0, ..., c]"
    lines = [f"Values (sample 0 of the batch; activations per channel, {layout}):"]
    for title, kind, a in tensors(report, result):
        lines.append("")
        lines.append(title + ":")
        if kind == "activation":
            blocks = list(_activation_blocks(a, report.channels_first))
        else:
            _, rank, torch, name = kind.split(":", 3)
            blocks = list(_weight_blocks(a, torch == "True", int(rank), name))
        if len(blocks) == 1:
            blocks = [("", blocks[0][1])]
        for label, m in blocks:
            pad = "  "
            if label:
                lines.append(f"  {label}:")
                pad = "    "
            lines.extend(pad + line for line in matrix_lines(m))
    return "\n".join(lines) + "\n"


def values_dict(report: Report, result: RunResult) -> dict[str, Any]:
    """For JSON: layer name -> {"output": nested lists (sample 0, spec layout), weight name
    (shown layout) -> nested lists}."""
    out: dict[str, Any] = {}
    for r in report.rows:
        entry: dict[str, Any] = {}
        params = result.params.get(r.name, {})
        for w, (name, _) in zip(r.weights, r.weight_shapes()):
            if w.name in params:
                a = params[w.name]
                entry[name] = (w.to_torch(a) if r.torch_layout else a).tolist()
        act = result.activations.get(r.name)
        if act is not None:
            entry["output"] = act[0].tolist()
        out[r.name] = entry
    return out
