"""Which input positions inside a receptive field an output really reads: the gridding of
dilated stacks.

A receptive field's size says how far apart the first and last input positions an output
depends on are; it does not say that every position between them is read. Three 3x3 layers
of dilation 2 have a 13x13 field but read only every other row and column of it (49 of 169
positions): the "gridding" of Wang et al. 2018 ("Understanding Convolution for Semantic
Segmentation", hybrid dilated convolution), which happens whenever the dilation rates of a
stack share a factor > 1 (2, 4, 8) and is avoided by rates like 1, 2, 5.

Per spatial axis, the set S of input positions (relative to output unit 0, before clipping to
the input) is walked forward with each layer's receptive-field step: a window of kernel k,
dilation d and left padding p on an input whose positions are J apart maps S to
``{x + (t·d - p)·J : x in S, t < k}`` and J to ``J·s``; a shift moves S; a merge takes the
union of its branches (when their strides agree); global layers and unknown steps end the
walk. The coverage of an axis is ``|S| / (max S - min S + 1)``.
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.layers.base import Merge, Shift, Unchanged, Window
from convcalc.report import Report
from convcalc.spec.model import Spec

MAX_POSITIONS = 1 << 16  # per axis: a walk beyond this stops (no real field is this wide)


class Coverage(NamedTuple):
    """The positions one output unit reads, per spatial axis (relative to the first)."""

    positions: tuple[tuple[int, ...], ...]
    dilations: tuple[int, ...]  # the dilation rates (> 1) met on the way, per layer, in order
    layers: tuple[str, ...]  # the dilated layers

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(p[-1] - p[0] + 1 for p in self.positions)

    @property
    def seen(self) -> int:
        n = 1
        for p in self.positions:
            n *= len(p)
        return n

    @property
    def area(self) -> int:
        n = 1
        for s in self.sizes:
            n *= s
        return n

    @property
    def holes(self) -> bool:
        return self.seen < self.area


class _State(NamedTuple):
    sets: tuple[frozenset[int], ...]
    jumps: tuple[int, ...]
    dilations: tuple[int, ...]
    layers: tuple[str, ...]


def coverages(spec: Spec, report: Report) -> dict[str, Coverage]:
    """The coverage of every layer's output unit, for the layers where the walk is defined."""
    rows = {r.name: r for r in report.rows}
    states: dict[str, _State | None] = {}
    out: dict[str, Coverage] = {}
    for ls in spec.layers:
        row = rows.get(ls.name)
        if row is None:
            continue
        if ls.is_input:
            n = len(row.shape) - 1
            states[ls.name] = _State((frozenset({0}),) * n, (1,) * n, (), ())
            continue
        ins = [states.get(name) for name in ls.inputs]
        state = _step(ls.layer, ls.name, ins, list(row.in_shapes))
        states[ls.name] = state
        if state is not None and state.sets:
            out[ls.name] = Coverage(
                tuple(tuple(sorted(s)) for s in state.sets), state.dilations, state.layers
            )
    return out


def _step(
    layer: object, name: str, ins: list[_State | None], shapes: list[tuple[int, ...]]
) -> _State | None:
    if any(s is None for s in ins) or not ins:
        return None
    states = [s for s in ins if s is not None]
    try:
        rf = layer.rf_step(shapes)  # type: ignore[attr-defined]
    except Exception:  # a layer that cannot say (its own messages come from the engine)
        return None
    if len(states) > 1 or isinstance(rf, Merge):
        first = states[0]
        if any(s.jumps != first.jumps or len(s.sets) != len(first.sets) for s in states):
            return None
        sets = tuple(
            frozenset().union(*(s.sets[i] for s in states)) for i in range(len(first.sets))
        )
        dil = tuple(d for s in states for d in s.dilations)
        names = tuple(n for s in states for n in s.layers)
        return _State(sets, first.jumps, dil, names)
    st = states[0]
    if isinstance(rf, Unchanged):
        return st
    if isinstance(rf, Shift):
        if len(rf.before) != len(st.sets):
            return None
        return st._replace(
            sets=tuple(
                frozenset(x - b * j for x in s) for s, b, j in zip(st.sets, rf.before, st.jumps)
            )
        )
    if isinstance(rf, Window) and len(rf.kernel) == len(st.sets):
        new_sets: list[frozenset[int]] = []
        jumps: list[int] = []
        for s, j, k, stride, d, p in zip(
            st.sets, st.jumps, rf.kernel, rf.strides, rf.dilation, rf.left_pads
        ):
            new = frozenset(x + (t * d - p) * j for x in s for t in range(k))
            if len(new) > MAX_POSITIONS:
                return None
            new_sets.append(new)
            jumps.append(j * stride)
        dilated = [d for d in rf.dilation if d > 1]
        return _State(
            tuple(new_sets),
            tuple(jumps),
            st.dilations + ((max(dilated),) if dilated else ()),
            st.layers + ((name,) if dilated else ()),
        )
    return None  # Whole, Unknown, or a window over other axes


def gridding_warnings(spec: Spec, report: Report) -> list[str]:
    """One warning per model output whose field has holes caused by dilated layers (nothing,
    and no work, for a spec without dilation)."""
    if not any(max(getattr(ls.layer, "dilation_rate", None) or (1,)) > 1 for ls in spec.layers):
        return []
    found = coverages(spec, report)
    warnings = []
    for name in report.outputs:
        c = found.get(name)
        if c is None or not c.holes or not c.dilations:
            continue
        size = "x".join(map(str, c.sizes))
        warnings.append(
            f"gridding: an output of '{name}' has a {size} receptive field but reads only "
            f"{c.seen} of its {c.area} positions (dilation rates "
            f"{', '.join(map(str, c.dilations))} in {', '.join(c.layers)}); rates without a "
            f"common factor, such as 1, 2, 5, read every position (hybrid dilated convolution, "
            f"Wang et al. 2018); `convcalc explain SPEC` draws the coverage"
        )
    return warnings


__all__ = ["Coverage", "coverages", "gridding_warnings"]
