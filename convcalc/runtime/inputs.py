"""The inputs of a run: which array of an ``--input`` file feeds each input layer (from the
headers alone, before any data is read), and the arrays themselves, or seeded N(0, 1)."""

from __future__ import annotations

import numpy as np

from convcalc.errors import UsageError
from convcalc.ops.elementwise import to_canonical
from convcalc.report import Report
from convcalc.runtime.archives import Arrays, Member
from convcalc.runtime.options import RunOptions
from convcalc.spec.model import Spec

F32 = np.float32


def members(
    spec: Spec, report: Report, opts: RunOptions, arrays: Arrays
) -> tuple[dict[str, Member], int]:
    """Which array of the --input file feeds each input layer, and the batch, from the
    headers alone: shapes, dtypes and sizes are checked before any data is read."""
    rows = report.input_rows
    path = opts.input_path
    if not arrays.single:
        missing = [r.name for r in rows if r.name not in arrays.members]
        if missing:
            raise UsageError(
                f"--input {path} has no array for input "
                f"{', '.join(repr(m) for m in missing)} (keys: "
                f"{', '.join(sorted(arrays.members)[:20]) or 'none'})"
            )
        chosen = {r.name: arrays.members[r.name] for r in rows}
    elif len(rows) == 1:
        chosen = {rows[0].name: arrays.members[""]}
    else:
        raise UsageError(
            f"--input {path}: the spec has {len(rows)} inputs ("
            f"{', '.join(r.name for r in rows)}); pass an .npz keyed by their names"
        )
    batches = set()
    for r in rows:
        m = chosen[r.name]
        what = f"--input {path}: " + ("array" if len(rows) == 1 else f"array {r.name!r}")
        want = tuple(r.output_shape)
        shape = (1, *m.shape) if m.shape == want else m.shape
        if shape[1:] != want:
            raise UsageError(
                f"{what} has shape {m.shape}; the spec's input is "
                f"{(None,) + want} (one sample {want}, or a batch)"
            )
        if m.dtype.kind == "c":
            raise UsageError(
                f"{what} is complex ({m.dtype}); convcalc runs real float32 inputs",
                hint="pass the real part (numpy.real) if that is what you mean",
            )
        if shape[0] == 0:
            raise UsageError(f"{what} holds a batch of 0 samples", hint="give at least one")
        batches.add(shape[0])
    if len(batches) > 1:
        raise UsageError(f"--input {path}: the inputs hold batches of different sizes {batches}")
    batch = batches.pop()
    if opts.batch is not None and batch != opts.batch:
        raise UsageError(f"--batch {opts.batch} but --input {path} holds a batch of {batch}")
    return chosen, batch


def read(
    spec: Spec, report: Report, opts: RunOptions, arrays: Arrays | None, members: dict[str, Member]
) -> dict[str, np.ndarray]:
    """Input arrays (canonical, batch first) from --input or seeded N(0, 1)."""
    rows = report.input_rows
    cf = spec.channels_first
    if opts.input_arrays is not None:  # inline values, shaped by convcalc.runtime.inline
        return {
            r.name: np.ascontiguousarray(to_canonical(opts.input_arrays[r.name].astype(F32), cf))
            for r in rows
        }
    if arrays is None:
        batch = opts.batch or 1
        rng = np.random.default_rng([opts.seed, 0])
        return {r.name: rng.standard_normal((batch,) + r.shape, dtype=F32) for r in rows}
    out: dict[str, np.ndarray] = {}
    for r in rows:
        m = members[r.name]
        with np.errstate(over="ignore"):  # beyond float32's range: inf, refused just below
            a = arrays.read(m.name).astype(F32)
        if a.shape == tuple(r.output_shape):
            a = a[None]
        if a.size and not (np.isfinite(a.min()) and np.isfinite(a.max())):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
            raise UsageError(
                f"--input {opts.input_path}: "
                + ("array" if len(rows) == 1 else f"array {r.name!r}")
                + f" holds {a[bad]} at index {bad} (NaN and infinities, and values beyond "
                "float32's range, give no meaningful statistics)",
                hint="replace them (numpy.nan_to_num) or clip the values",
            )
        out[r.name] = np.ascontiguousarray(to_canonical(a, cf))
    return out
