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

from collections.abc import Collection, Iterable
from typing import Any, NamedTuple

from convcalc.layers.base import Layer, Merge, RFStep, Shift, Unchanged, Window
from convcalc.report import Report
from convcalc.spec.model import Spec

MAX_POSITIONS = 1 << 16  # per axis: a walk beyond this stops (no real field is this wide)
LISTED = 6  # dilation rates and layer names a warning lists before "and N more"


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


# The positions of one axis: a range when they are evenly spaced (a stack's positions nearly
# always are: every position, or every d-th), else the set of them.
Positions = range | frozenset[int]
# The dilation rates (or the names of the dilated layers) met on the way, without copying them
# at every layer: None (none), ("+", earlier, item) (one more) or ("|", (seq, seq, ...)) (the
# branches of a merge, in order); :func:`_items` spells them out.
Seq = tuple[Any, ...] | None


class _State(NamedTuple):
    sets: tuple[Positions, ...]
    jumps: tuple[int, ...]
    dilations: Seq
    layers: Seq


def _items(seq: Seq) -> tuple[Any, ...]:
    """The items of ``seq``, in order (iteratively: a chain of 100,000 layers is as deep)."""
    out: list[Any] = []
    stack: list[Any] = [seq]
    while stack:
        top = stack.pop()
        if top is None:
            continue
        if top[0] == "+":
            out.append(top[2])
            stack.append(top[1])
        else:
            stack.extend(top[1])  # the last branch is spelled out first (reversed below)
    out.reverse()
    return tuple(out)


def _merged(seqs: list[Seq]) -> Seq:
    kept = [q for q in seqs if q is not None]
    if len(kept) <= 1:
        return kept[0] if kept else None
    return ("|", tuple(kept))


def _tidy(s: frozenset[int]) -> Positions:
    """``s`` as a range when its positions are evenly spaced."""
    n, lo, hi = len(s), min(s), max(s)
    if n == 1:
        return range(lo, lo + 1)
    gap, rest = divmod(hi - lo, n - 1)
    if rest == 0 and all((x - lo) % gap == 0 for x in s):
        return range(lo, hi + 1, gap)
    return s


def _window(s: Positions, k: int, d: int, p: int, j: int) -> Positions:
    """``{x + (t·d - p)·j : x in s, t < k}``, as a range when it is one."""
    first, gap = -p * j, d * j  # the offsets: first + gap·t for t < k
    if isinstance(s, range):
        a, g, m = s[0], s.step, len(s)
        if k == 1:
            return range(a + first, s[-1] + first + 1, g)
        if m == 1:
            return range(a + first, a + first + gap * (k - 1) + 1, gap)
        if gap % g == 0 and gap // g <= m:  # the shifted copies overlap or touch
            return range(a + first, s[-1] + first + gap * (k - 1) + 1, g)
        if g % gap == 0 and g // gap <= k:  # the offsets fill the gaps
            return range(a + first, s[-1] + first + gap * (k - 1) + 1, gap)
    return _tidy(frozenset(x + first + gap * t for x in s for t in range(k)))


def _union(sets: list[Positions]) -> Positions:
    return _tidy(frozenset().union(*sets))


def coverages(
    spec: Spec, report: Report, names: Collection[str] | None = None
) -> dict[str, Coverage]:
    """The coverage of every layer's output unit (of the layers in ``names`` only, when
    given), for the layers where the walk is defined."""
    states: dict[str, _State] = {}  # the walked states still needed (absent: not walked)
    later: dict[str, int] = {}  # uses still to come of each layer's state
    inputs_left = 0
    for ls in spec.layers:
        inputs_left += ls.is_input
        for name in ls.inputs:
            later[name] = later.get(name, 0) + 1
    steps: dict[Any, Any] = {}  # layers alike in signature and inputs take the same step
    out: dict[str, Coverage] = {}
    for ls in spec.layers:
        try:
            row = report.row(ls.name)
        except KeyError:
            continue
        if ls.is_input:
            n = len(row.shape) - 1
            states[ls.name] = _State((range(1),) * n, (1,) * n, None, None)
            inputs_left -= 1
            continue
        if not states and not inputs_left:
            break  # nothing walked reaches further: no later layer's walk is defined
        ins = [states.get(name) for name in ls.inputs]
        for name in ls.inputs:  # forget a state once nothing needs it any more
            later[name] -= 1
            if not later[name]:
                states.pop(name, None)
        state = _step(ls.layer, ls.name, ins, list(row.in_shapes), steps)
        if state is None:
            continue
        states[ls.name] = state
        if state.sets and (names is None or ls.name in names):
            out[ls.name] = Coverage(
                tuple(tuple(s) if isinstance(s, range) else tuple(sorted(s)) for s in state.sets),
                _items(state.dilations),
                _items(state.layers),
            )
    return out


def _rf(layer: Layer, shapes: list[tuple[int, ...]], steps: dict[Any, Any]) -> RFStep | None:
    """``layer.rf_step(shapes)``, or None if it cannot say (its own messages come from the
    engine), once per signature and inputs."""
    key = None if layer.signature is None else (layer.signature, tuple(shapes))
    if key is not None and key in steps:
        found: RFStep | None = steps[key]
        return found
    try:
        found = layer.rf_step(shapes)
    except Exception:
        found = None
    if key is not None:
        steps[key] = found
    return found


def _step(
    layer: Layer,
    name: str,
    ins: list[_State | None],
    shapes: list[tuple[int, ...]],
    steps: dict[Any, Any],
) -> _State | None:
    if any(s is None for s in ins) or not ins:
        return None
    states = [s for s in ins if s is not None]
    rf = _rf(layer, shapes, steps)
    if rf is None:
        return None
    if len(states) > 1 or isinstance(rf, Merge):
        first = states[0]
        if any(s.jumps != first.jumps or len(s.sets) != len(first.sets) for s in states):
            return None
        sets = tuple(_union([s.sets[i] for s in states]) for i in range(len(first.sets)))
        dil = _merged([s.dilations for s in states])
        names = _merged([s.layers for s in states])
        return _State(sets, first.jumps, dil, names)
    st = states[0]
    if isinstance(rf, Unchanged):
        return st
    if isinstance(rf, Shift):
        if len(rf.before) != len(st.sets):
            return None
        return st._replace(
            sets=tuple(_window(s, 1, 1, b, j) for s, b, j in zip(st.sets, rf.before, st.jumps))
        )
    if isinstance(rf, Window) and len(rf.kernel) == len(st.sets):
        new_sets: list[Positions] = []
        jumps: list[int] = []
        for s, j, k, stride, d, p in zip(
            st.sets, st.jumps, rf.kernel, rf.strides, rf.dilation, rf.left_pads
        ):
            new = _window(s, k, d, p, j)
            if len(new) > MAX_POSITIONS:
                return None
            new_sets.append(new)
            jumps.append(j * stride)
        dilated = [d for d in rf.dilation if d > 1]
        return _State(
            tuple(new_sets),
            tuple(jumps),
            ("+", st.dilations, max(dilated)) if dilated else st.dilations,
            ("+", st.layers, name) if dilated else st.layers,
        )
    return None  # Whole, Unknown, or a window over other axes


def _dilated(layer: Layer, defaults: dict[tuple[type, bool], bool]) -> bool:
    """Whether a dilation rate of ``layer`` is > 1 (a kind's default once per kind)."""
    rate = layer.__dict__.get("dilation_rate")
    if rate is not None:
        return bool(max(rate or (1,)) > 1)
    key = (type(layer), layer.torch_spelling)
    found = defaults.get(key)
    if found is None:
        found = defaults[key] = bool(max(getattr(layer, "dilation_rate", None) or (1,)) > 1)
    return found


def gridding_warnings(spec: Spec, report: Report) -> list[str]:
    """One warning per model output whose field has holes caused by dilated layers (nothing,
    and no work, for a spec without dilation)."""
    defaults: dict[tuple[type, bool], bool] = {}
    if not any(_dilated(ls.layer, defaults) for ls in spec.layers):
        return []
    found = coverages(spec, report, set(report.outputs))
    warnings = []
    for name in report.outputs:
        c = found.get(name)
        if c is None or not c.holes or not c.dilations:
            continue
        size = "x".join(map(str, c.sizes))
        warnings.append(
            f"gridding: an output of '{name}' has a {size} receptive field but reads only "
            f"{c.seen} of its {c.area} positions (dilation rates "
            f"{_listed(map(str, c.dilations))} in {_listed(c.layers)}); rates without a "
            f"common factor, such as 1, 2, 5, read every position (hybrid dilated convolution, "
            f"Wang et al. 2018); `convcalc explain SPEC` draws the coverage"
        )
    return warnings


def _listed(items: Iterable[str], most: int = LISTED) -> str:
    """``a, b, c``; past ``most`` items the first ones and how many more (a deep dilated net
    has dozens of dilated layers, and the warning goes to CI logs)."""
    seq = list(items)
    if len(seq) <= most:
        return ", ".join(seq)
    return f"{', '.join(seq[:most])} and {len(seq) - most} more"


__all__ = ["Coverage", "coverages", "gridding_warnings"]
