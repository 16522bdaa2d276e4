"""The shipped specs against published figures, written here (not read from the specs)."""

from __future__ import annotations

from convcalc.analysis import analyze, load_spec


def test_vgg16_published_counts():
    """Keras Applications / torchvision: 138,357,544 params; torchvision _ops: 15.47 GMAC."""
    r = analyze(load_spec("specs/vgg16.yaml"))
    assert r.totals.params == 138_357_544
    assert r.totals.macs == 15_470_264_320
    # seed 000's hand counts: block1_conv1 (3·3·3+1)·64 = 1,792; block2_conv1 (3·3·64+1)·128
    assert r.row("block1_conv1").params == 1792 and r.row("block2_conv1").params == 73856
    assert r.output_shape == (1000,)


def test_inception_bottleneck_correct_values_not_the_seed_typos():
    r = analyze(load_spec("specs/inception_bottleneck.yaml"))
    direct = r.row("direct_5x5")
    assert (direct.params, direct.macs) == ((5 * 5 * 192 + 1) * 32, 28 * 28 * 32 * 5 * 5 * 192)
    assert direct.params == 153_632 != 153_792  # noqa: PLR0133  # seed 000 prints 153,792
    reduce, conv = r.row("reduce_1x1"), r.row("bottleneck_5x5")
    assert reduce.params + conv.params == 15_920 != 16_080  # noqa: PLR0133  # seed 000 prints 16,080
    assert reduce.macs + conv.macs == 12_443_648  # "12.4 M" in the course
    assert direct.macs == 120_422_400  # "120 M"


def test_inception_3a_matches_googlenet_table_1():
    """Szegedy et al. 2014, Table 1, inception (3a): output 28x28x256, 159K params (without
    biases, in units of 1024), 128M ops."""
    r = analyze(load_spec("specs/inception_3a.yaml"))
    assert r.output_shape == (28, 28, 256)
    biases = 64 + 96 + 128 + 16 + 32 + 32
    assert (r.totals.params - biases) // 1024 == 159  # 163,328 / 1024 = 159.5
    assert round(r.totals.macs / 1e6) == 128
    assert r.totals.macs == 28 * 28 * (
        192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32
    )


def test_every_spec_meets_its_own_expectations():
    import glob

    for path in glob.glob("specs/*.yaml"):
        spec = load_spec(path)
        r = analyze(spec)
        for key in ("params", "trainable_params", "non_trainable_params", "macs"):
            if key in spec.expect:
                assert getattr(r.totals, key) == spec.expect[key], (path, key)
        if "output_shape" in spec.expect:
            assert list(r.output_shape) == spec.expect["output_shape"]
        for name, exp in spec.expect.get("layers", {}).items():
            row = r.row(name)
            for key, value in exp.items():
                if key == "receptive_field":
                    continue  # convcalc check computes it (tests/test_check_cli.py)
                got = list(row.output_shape) if key == "output_shape" else getattr(row, key)
                assert got == value, (path, name, key)
