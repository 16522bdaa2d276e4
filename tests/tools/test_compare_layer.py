"""`convcalc compare` for one layer: every count checked against a hand derivation written here.

Notation: M input channels, N filters, K kernel, P = output positions (H'·W').
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.tools.compare import compare_layer, layer_request


def variants(cmp):
    return {(v.key, v.setting): v for v in cmp.variants}


# --- seed 004: 12x12x3 -> (5x5, 256, valid) -> 8x8x256 ----------------------------------------
def test_seed_004_separable_12x12x3_to_8x8x256() -> None:
    cmp = compare_layer(layer_request("12x12x3", "5", 256, padding="valid", separable=True))
    std, sep = cmp.variants
    # output: 12 - 5 + 1 = 8 per axis
    assert std.output_shape == sep.output_shape == (8, 8, 256)
    # standard: 256 kernels of 5x5x3 moved 8x8 times: 256*3*5*5*8*8 = 1,228,800
    assert std.macs == 256 * 3 * 5 * 5 * 8 * 8 == 1_228_800
    # params: 5*5*3*256 weights + 256 biases = 19,200 + 256
    assert (std.params, std.params_without_bias) == (19_456, 19_200)
    # depthwise: 3 kernels 5x5x1 moved 8x8 times: 3*5*5*8*8 = 4,800
    # pointwise: 256 kernels 1x1x3 moved 8x8 times: 256*1*1*3*8*8 = 49,152
    assert [p.kind for p in sep.parts] == ["DepthwiseConv2D", "Conv2D"]
    assert [p.macs for p in sep.parts] == [3 * 5 * 5 * 8 * 8, 256 * 3 * 8 * 8] == [4_800, 49_152]
    # 4,800 + 49,152 = 53,952 (the seed text also says 52,952 once: a typo)
    assert sep.macs == 53_952
    # params as Keras's SeparableConv2D: 5*5*3 depthwise (no bias) + 3*256 pointwise + 256 bias
    assert (sep.params, sep.params_without_bias) == (75 + 768 + 256, 75 + 768) == (1_099, 843)
    # MobileNet: ratio 1/N + 1/K^2 = 1/256 + 1/25 = (25 + 256)/6400 = 281/6400,
    # and 53,952 / 1,228,800 = (281*192) / (6400*192)
    assert cmp.macs_ratio(sep) == Fraction(281, 6400)
    assert sep.closed_form.value == Fraction(1, 256) + Fraction(1, 25) == Fraction(281, 6400)
    assert sep.closed_form.formula == "1/N + 1/K²"
    assert dict(sep.closed_form.symbols) == {"N": 256, "K": 5}
    assert sep.closed_form.exact
    assert std.closed_form.value == 1 and std.closed_form.exact


def test_depth_multiplier_2() -> None:
    cmp = compare_layer(layer_request("12x12x3", "5", 256, separable=True, depth_multiplier=2))
    sep = cmp.variants[1]
    # depthwise gives 3*2 = 6 channels: 6*5*5*8*8 = 9,600; pointwise 256*6*8*8 = 98,304
    assert [p.macs for p in sep.parts] == [9_600, 98_304]
    # ratio dm/N + dm/K^2 = 2/256 + 2/25 = 562/6400 = 107,904 / 1,228,800
    assert sep.closed_form.value == Fraction(562, 6400) == cmp.macs_ratio(sep)
    assert sep.closed_form.formula == "dm/N + dm/K²"
    assert sep.setting == 2


# --- seed 000: 28x28x192 -> 28x28x32, 5x5 'same', through a 16-channel bottleneck ------------
def test_seed_000_bottleneck_28x28x192() -> None:
    cmp = compare_layer(layer_request("28x28x192", "5", 32, padding="same", bottleneck="16"))
    std, neck = cmp.variants
    assert std.output_shape == neck.output_shape == (28, 28, 32)
    # direct: 28*28*32 outputs, each 5*5*192 multiplies = 120,422,400 ("120 M")
    assert std.macs == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400
    # params (5*5*192 + 1)*32 = 153,632 (the seed text says 153,792: wrong)
    assert std.params == (5 * 5 * 192 + 1) * 32 == 153_632
    # 1x1 to 16: 28*28*16*192 = 2,408,448; then 5x5 16 -> 32: 28*28*32*5*5*16 = 10,035,200
    assert [p.macs for p in neck.parts] == [2_408_448, 10_035_200]
    assert neck.macs == 12_443_648
    # params (1*1*192 + 1)*16 + (5*5*16 + 1)*32 = 3,088 + 12,832 = 15,920 (seed: 16,080, wrong)
    assert neck.params == (192 + 1) * 16 + (5 * 5 * 16 + 1) * 32 == 15_920
    assert neck.params_without_bias == 192 * 16 + 5 * 5 * 16 * 32 == 15_872
    # (M*B + K^2*B*N)/(K^2*M*N) = (192*16 + 25*16*32)/(25*192*32) = 15,872/153,600 = 31/300;
    # both convolutions run on the same 28x28 positions, so it is exact
    assert neck.closed_form.value == Fraction(192 * 16 + 25 * 16 * 32, 25 * 192 * 32)
    assert neck.closed_form.value == cmp.macs_ratio(neck) == Fraction(31, 300)
    assert neck.closed_form.exact


def test_bottleneck_closed_form_not_exact_with_valid_padding() -> None:
    cmp = compare_layer(layer_request("12x12x3", "5", 256, bottleneck="2"))
    neck = cmp.variants[1]
    # 1x1 on all 12x12 input positions: 12*12*2*3 = 864; 5x5 on 8x8: 8*8*256*5*5*2 = 819,200
    assert [p.macs for p in neck.parts] == [864, 819_200]
    # textbook (3*2 + 25*2*256)/(25*3*256) = 12,806/19,200 uses 8x8 positions for the 1x1 too
    assert neck.closed_form.value == Fraction(3 * 2 + 25 * 2 * 256, 25 * 3 * 256)
    assert cmp.macs_ratio(neck) == Fraction(864 + 819_200, 1_228_800)
    assert not neck.closed_form.exact


def test_grouped_seed_000_layer() -> None:
    cmp = compare_layer(layer_request("28x28x192", "5", 32, padding="same", groups="2,4,8"))
    got = variants(cmp)
    for g in (2, 4, 8):
        v = got[("grouped", g)]
        # each group: 192/G inputs to 32/G outputs: 28*28*32*5*5*(192/G) MACs
        assert v.macs == 28 * 28 * 32 * 5 * 5 * (192 // g)
        assert v.params == 5 * 5 * (192 // g) * 32 + 32
        assert v.closed_form.value == Fraction(1, g) == cmp.macs_ratio(v)
        assert v.closed_form.exact
        assert v.parts[0].groups == g


def test_spatial_same_is_exact_and_valid_is_not() -> None:
    cmp = compare_layer(layer_request("28x28x192", "5", 32, padding="same", spatial=True))
    sp = cmp.variants[1]
    # C = min(192, 32) = 32. 5x1: 192 -> 32 on 28x28: 28*28*32*192*5 = 24,084,480
    # 1x5: 32 -> 32 on 28x28: 28*28*32*32*5 = 4,014,080
    assert [p.macs for p in sp.parts] == [24_084_480, 4_014_080]
    assert [p.kernel for p in sp.parts] == [(5, 1), (1, 5)]
    # params (5*192 + 1)*32 + (5*32 + 1)*32 = 30,752 + 5,152
    assert sp.params == 35_904
    # C*(M + N)/(K*M*N) = 32*224/(5*192*32) = 7/30 = 28,098,560 / 120,422,400
    assert sp.closed_form.value == Fraction(7, 30) == cmp.macs_ratio(sp)
    assert sp.closed_form.exact

    cmp = compare_layer(layer_request("12x12x3", "5", 256, spatial=True))
    sp = cmp.variants[1]
    # C = 3. 5x1 on 12x12 valid -> 8x12: 8*12*3*3*5 = 4,320; 1x5 -> 8x8: 8*8*256*3*5 = 245,760
    assert [p.macs for p in sp.parts] == [4_320, 245_760]
    assert sp.output_shape == (8, 8, 256)
    assert sp.closed_form.value == Fraction(3 * (3 + 256), 5 * 3 * 256)
    assert cmp.macs_ratio(sp) == Fraction(4_320 + 245_760, 1_228_800)
    assert not sp.closed_form.exact


def test_spatial_3x3_equal_channels_is_a_third_cheaper() -> None:
    # Szegedy et al. 2015 (arXiv 1512.00567, sec. 3.2): 3x1 then 1x3 is "33% cheaper" for M = N
    cmp = compare_layer(layer_request("17x17x64", "3", 64, padding="same", spatial=True))
    assert cmp.macs_ratio(cmp.variants[1]) == Fraction(2, 3)


def test_pytorch_batch_input_nchw() -> None:
    # seed 001: nn.Conv2d(16, 33, 3, stride=2) on (20, 16, 50, 100) -> (20, 33, 24, 49)
    cmp = compare_layer(layer_request("20x16x50x100", "3", 33, strides="2", separable=True))
    std, sep = cmp.variants
    assert cmp.request.channels_first and cmp.request.batch == 20
    # H: (50 - 3)//2 + 1 = 24; W: (100 - 3)//2 + 1 = 49
    assert std.output_shape == (20, 33, 24, 49)
    # 20 samples * 24*49 positions * 33 * 16 * 3*3
    assert std.macs == 20 * 24 * 49 * 33 * 16 * 9 == 111_767_040
    assert std.params == (9 * 16 + 1) * 33 == 4_785  # does not depend on the batch
    # depthwise 20*24*49*16*9, pointwise 20*24*49*16*33
    assert [p.macs for p in sep.parts] == [20 * 1176 * 16 * 9, 20 * 1176 * 16 * 33]


def test_channels_first_without_batch() -> None:
    cmp = compare_layer(layer_request("3x12x12", "5", 256, channels_first=True, separable=True))
    assert cmp.request.in_channels == 3
    assert cmp.standard.output_shape == (256, 8, 8)
    assert cmp.standard.macs == 1_228_800


def test_dilation_strides_no_bias_and_rectangular_kernel() -> None:
    # dilation 2: effective kernel 2*(3-1)+1 = 5, so 12 -> 8; stride 2: (12-5)//2 + 1 = 4
    cmp = compare_layer(
        layer_request("12x12x3", "3", 16, dilation="2", strides="2", use_bias=False, separable=True)
    )
    std, sep = cmp.variants
    assert std.output_shape == (4, 4, 16)
    assert std.macs == 4 * 4 * 16 * 3 * 9
    assert std.params == std.params_without_bias == 9 * 3 * 16
    assert sep.params == sep.params_without_bias == 9 * 3 + 3 * 16
    # 3x5 kernel, 'same': Kh*Kw = 15
    cmp = compare_layer(layer_request("10x10x8", "3x5", 8, padding="same", separable=True))
    sep = cmp.variants[1]
    assert cmp.standard.macs == 10 * 10 * 8 * 8 * 15
    assert sep.closed_form.formula == "1/N + 1/(Kh·Kw)"
    assert sep.closed_form.value == Fraction(1, 8) + Fraction(1, 15) == cmp.macs_ratio(sep)


def test_explicit_padding_integer() -> None:
    # PyTorch padding=1 on 12x12, k=3: 12 + 2 - 3 + 1 = 12
    cmp = compare_layer(layer_request("12x12x4", "3", 4, padding="1", spatial=True))
    sp = cmp.variants[1]
    assert cmp.standard.output_shape == sp.output_shape == (12, 12, 4)
    # padding 1 on H only for 3x1, on W only for 1x3: same positions, so exact (M = N = 4: 2/3)
    assert sp.closed_form.exact and sp.closed_form.value == Fraction(2, 3)


# --- the closed forms against the engine, on random geometry ----------------------------------
@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(5, 20),
    w=st.integers(5, 20),
    m_pow=st.integers(0, 4),
    n_pow=st.integers(0, 5),
    k=st.integers(1, 5),
    s=st.integers(1, 3),
    same=st.booleans(),
    dm=st.integers(1, 3),
    g_pow=st.integers(0, 4),
)
def test_closed_forms_match_the_engine(
    h: int, w: int, m_pow: int, n_pow: int, k: int, s: int, same: bool, dm: int, g_pow: int
) -> None:
    m, n, g = 3 * 2**m_pow, 2**n_pow, 2 ** min(g_pow, n_pow, m_pow)
    if not same and k > min(h, w):
        return
    req = layer_request(
        f"{h}x{w}x{m}",
        str(k),
        n,
        padding="same" if same else "valid",
        strides=str(s),
        separable=True,
        depth_multiplier=dm,
        groups=str(g),
        bottleneck=str(max(1, m // 2)) if m > 1 else None,
    )
    cmp = compare_layer(req)
    got = variants(cmp)
    sep, grp = got[("separable", dm)], got[("grouped", g)]
    # separable and grouped closed forms are exact for every geometry, MACs and params alike
    for v in (sep, grp):
        assert v.closed_form.exact
        assert v.closed_form.value == cmp.macs_ratio(v)
        assert v.closed_form.value == Fraction(
            v.params_without_bias, cmp.standard.params_without_bias
        )
    # the bottleneck's textbook form is exact iff the 1x1 sees as many positions as the KxK
    for (key, _), v in got.items():
        if key == "bottleneck":
            same_positions = h * w == v.parts[1].output_shape[0] * v.parts[1].output_shape[1]
            assert v.closed_form.exact == same_positions


@pytest.mark.parametrize(
    "text,expected",
    [("12x12x3", (12, 12, 3)), ("12 x 12 x 3", (12, 12, 3)), ("12X12X3", (12, 12, 3))],
)
def test_input_spellings(text: str, expected: tuple[int, ...]) -> None:
    assert layer_request(text, "3", 8, separable=True).input_shape == expected
