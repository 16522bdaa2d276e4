"""Per-axis shape formulas against published examples and brute-force definitions.

Expected values come from PyTorch's docs and issue tracker, TensorFlow's SAME rule, Keras's
transposed rules and conv_arithmetic (FIELD-NOTES §5 and §12.4), or from enumerating the
window positions by hand in the test (an independent definition of the same rule).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc import shapes

# (id, n, k, s, d, pads, expected) for convolution
CONV_CASES = [
    ("torch-doc-h", 50, 3, 2, 1, (0, 0), 24),  # Conv2d(16,33,3,stride=2): 50 -> 24
    ("torch-doc-w", 100, 3, 2, 1, (0, 0), 49),
    ("torch-doc-pad-h", 50, 3, 2, 1, (4, 4), 28),  # (3,5), stride (2,1), padding (4,2)
    ("torch-doc-pad-w", 100, 5, 1, 1, (2, 2), 100),
    ("torch-doc-dil-h", 50, 3, 2, 3, (4, 4), 26),  # dilation (3,1)
    ("conv-arith-r2", 5, 4, 1, 1, (2, 2), 6),  # i=5,k=4,p=2 -> 6
    ("conv-arith-r6a", 5, 3, 2, 1, (1, 1), 3),
    ("conv-arith-r6b", 6, 3, 2, 1, (1, 1), 3),
    ("conv-arith-dil", 7, 3, 1, 2, (0, 0), 3),
    ("seed004", 12, 5, 1, 1, (0, 0), 8),  # 12 - 5 + 1
    ("seed001-conv1d", 15, 3, 1, 1, (0, 0), 13),
    ("kernel-equals-input", 4, 4, 1, 1, (0, 0), 1),
    ("too-small", 4, 5, 1, 1, (0, 0), 0),
]


@pytest.mark.parametrize(
    "n,k,s,d,pads,expected", [c[1:] for c in CONV_CASES], ids=[c[0] for c in CONV_CASES]
)
def test_conv_out(n, k, s, d, pads, expected):
    assert shapes.conv_out(n, k, s, d, pads) == expected


# (id, n, k, s, pads, ceil_mode, expected) for PyTorch pooling
POOL_CASES = [
    ("avg-4-4-p2-ceil-on-9", 9, 4, 4, (2, 2), True, 3),  # pytorch#116420 (docs formula: 4)
    ("max-k1-s2-ceil-on-32", 32, 1, 2, (0, 0), True, 16),  # pytorch#57178 (Caffe: 17)
    ("max-k1-s2-ceil-on-12", 12, 1, 2, (0, 0), True, 6),  # onnx#5711 (pre-fix ONNX: 7)
    ("k2-s2-p1-ceil-on-5", 5, 2, 2, (1, 1), True, 3),  # burn#5791 (plain ceiling: 4)
    ("avg-3-3-p1-ceil-on-2", 2, 3, 3, (1, 1), True, 1),  # pytorch#71549
    ("k3-s2-floor-112", 112, 3, 2, (0, 0), False, 55),  # GoogLeNet-style
    ("k3-s2-ceil-112", 112, 3, 2, (0, 0), True, 56),
    ("seed001-maxpool-h", 50, 3, 2, (1, 1), False, 25),  # MaxPool2d(3,2,1) on 50x32
    ("seed001-maxpool-w", 32, 3, 2, (1, 1), False, 16),
    ("max3d-3-3-p1-ceil-d", 3, 3, 3, (1, 1), True, 2),  # onnxruntime#15446: 3x6x5 -> 2x3x2
    ("max3d-3-3-p1-ceil-h", 6, 3, 3, (1, 1), True, 3),
    ("max3d-3-3-p1-ceil-w", 5, 3, 3, (1, 1), True, 2),
]


@pytest.mark.parametrize(
    "n,k,s,pads,ceil,expected", [c[1:] for c in POOL_CASES], ids=[c[0] for c in POOL_CASES]
)
def test_pool_out(n, k, s, pads, ceil, expected):
    assert shapes.pool_out(n, k, s, 1, pads, ceil) == expected


# TF/Keras SAME: (n, k, s) -> (out, pads)   (FIELD-NOTES §5.4, §12.4)
SAME_CASES = [
    (13, 6, 5, 3, (1, 2)),
    (224, 3, 2, 112, (0, 1)),
    (224, 7, 2, 112, (2, 3)),
    (32, 4, 1, 32, (1, 2)),  # PyTorch 'same' with k=4 pads 1 left, 2 right
    (28, 5, 1, 28, (2, 2)),
    (7, 1, 3, 3, (0, 0)),
]


@pytest.mark.parametrize("n,k,s,out,pads", SAME_CASES)
def test_same_padding(n, k, s, out, pads):
    assert shapes.same_pads(n, k, s) == pads
    assert shapes.conv_out(n, k, s, 1, pads) == out


TRANSPOSED_CASES = [
    # (id, n, k, s, d, pads, op, expected): PyTorch rule
    ("seed002-k2-s1", 3, 2, 1, 1, (0, 0), 0, 4),
    ("seed002-k2-s2", 3, 2, 2, 1, (0, 0), 0, 6),
    ("conv-arith-r14", 3, 3, 2, 1, (1, 1), 1, 6),
    ("cpp-test-even", 5, 3, 1, 1, (0, 0), 0, 7),
    ("deepspeed-1", 8, 4, 2, 1, (1, 1), 0, 16),
    ("deepspeed-2", 8, 3, 2, 1, (1, 1), 1, 16),
    ("dilated", 4, 3, 2, 2, (0, 0), 1, 12),  # 3·2 + 2·2 + 1 + 1
]


@pytest.mark.parametrize(
    "n,k,s,d,pads,op,expected",
    [c[1:] for c in TRANSPOSED_CASES],
    ids=[c[0] for c in TRANSPOSED_CASES],
)
def test_transposed_out(n, k, s, d, pads, op, expected):
    assert shapes.transposed_out(n, k, s, d, pads, op) == expected


@pytest.mark.parametrize(
    "n,k,s,padding,op,expected",
    [
        (5, 3, 2, "same", None, 10),  # same, op None -> n·s
        (5, 3, 2, "valid", None, 11),  # (5-1)·2 + 3
        (5, 2, 3, "valid", None, 15),  # (5-1)·3 + max(2, 3)
        (5, 3, 2, "same", 1, 10),  # (5-1)·2 + 3 - 2·1 + 1
        (5, 4, 2, "same", 0, 8),  # (5-1)·2 + 4 - 2·2 + 0
        (5, 3, 2, "valid", 1, 12),
    ],
)
def test_keras_transposed_out(n, k, s, padding, op, expected):
    assert shapes.keras_transposed_out(n, k, s, 1, padding, op) == expected


def _walk_windows(n: int, k: int, s: int, d: int, pads: tuple[int, int], ceil: bool) -> int:
    """Count window positions by walking them: the definition, not the formula.

    Windows start at 0, s, 2s, ... in padded coordinates and span d·(k-1)+1 positions.
    Floor mode keeps the windows that fit in the padded input. Ceil mode adds one partial window
    when the remainder of the padded input is not covered (it overhangs by less than a stride),
    unless it would start in the right padding (PyTorch: it must start inside the input or the
    left padding).
    """
    ke, total = d * (k - 1) + 1, n + pads[0] + pads[1]
    starts = []
    t = 0
    while t + ke <= total:
        starts.append(t)
        t += s
    if ceil and (not starts or starts[-1] + ke < total):  # not yet covered: a partial window
        nxt = starts[-1] + s if starts else 0
        # ceil rounds up a FRACTION of a stride: the overhang is at most s-1 positions
        if nxt < n + pads[0] and nxt + ke - total <= s - 1:
            starts.append(nxt)
    return len(starts)


@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(1, 40),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    pl=st.integers(0, 3),
    pr=st.integers(0, 3),
    ceil=st.booleans(),
)
def test_pool_out_matches_walking_the_windows(n, k, s, d, pl, pr, ceil):
    pl, pr = min(pl, k // 2), min(pr, k // 2)  # PyTorch requires pad <= k // 2
    expected = _walk_windows(n, k, s, d, (pl, pr), ceil)
    got = shapes.pool_out(n, k, s, d, (pl, pr), ceil)
    if expected == 0:
        assert got <= 0
    else:
        assert got == expected


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 60), k=st.integers(1, 9), s=st.integers(1, 5), d=st.integers(1, 3))
def test_same_output_is_ceil_n_over_s(n, k, s, d):
    pads = shapes.same_pads(n, k, s, d)
    assert shapes.conv_out(n, k, s, d, pads) == -(-n // s)
    assert pads[1] - pads[0] in (0, 1)  # the odd pixel goes at the end


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 30),
    k=st.integers(1, 6),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    p=st.integers(0, 3),
)
def test_transposed_inverts_conv(n, k, s, d, p):
    """A transposed conv maps the conv's output length back to a length that the conv maps
    to the same output: o = conv(i)  =>  conv(transposed(o, op=a)) == o for a = (i+2p-ke) mod s
    (conv_arithmetic R14)."""
    i = n + shapes.effective_kernel(k, d) - 1 + s * 2  # big enough for any padding
    o = shapes.conv_out(i, k, s, d, (p, p))
    a = (i + 2 * p - shapes.effective_kernel(k, d)) % s
    if a >= s and a >= d:
        return
    assert shapes.transposed_out(o, k, s, d, (p, p), a) == i
