"""Dense and glu act on the LAST axis of the tensor as the spec lays it out, whatever the
data_format (Keras's Dense and glu(axis=-1), PyTorch's Linear): the engine's shapes and the
runtime agree, in channels_first specs too."""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import run
from convcalc.analysis import parse_spec
from convcalc.errors import SpecError
from tests.conftest import analyze_text, load_golden_json

KERAS3 = load_golden_json("keras/keras3.json")

DENSE_CF = """
data_format: channels_first
input: [5, 16]
layers:
  - Dense: {name: proj, units: 8}
"""


def test_dense_on_a_channels_first_sequence_keeps_the_first_axis():
    # Keras 3: Dense(8) on (None, 5, 16) -> (None, 5, 8), 16·8 + 8 = 136 params
    keras = KERAS3["models"]["dense_on_sequence"]
    report = analyze_text(DENSE_CF)
    row = report.row("proj")
    assert [list(row.output_shape)] == keras["shapes"]["proj"]
    assert row.params == keras["params"] == 136
    assert row.macs == 5 * 16 * 8  # one MAC per weight per position
    assert row.shape == (8, 5)  # canonical: the channel axis (5) last


def test_dense_runs_on_the_last_displayed_axis():
    spec = parse_spec(DENSE_CF, "cf.yaml")
    result = run(spec, keep_activations=True)
    x, y = result.activations["input_1"], result.activations["proj"]
    assert x.shape == (1, 5, 16) and y.shape == (1, 5, 8)
    assert np.isfinite(y).all()


def test_dense_weights_in_both_layouts_give_x_times_kernel(tmp_path):
    """y[0, c, :] = x[0, c, :] @ kernel + bias, computed here by hand with NumPy."""
    rng = np.random.default_rng(3)
    kernel = rng.standard_normal((16, 8)).astype(np.float32)
    bias = rng.standard_normal(8).astype(np.float32)
    x = rng.standard_normal((1, 5, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "w.npz", **{"proj/kernel": kernel, "proj/bias": bias})
    spec = parse_spec(DENSE_CF, "cf.yaml")
    out = run(spec, input_path=tmp_path / "x.npy", weights_path=tmp_path / "w.npz")
    np.testing.assert_allclose(out.outputs["proj"], x @ kernel + bias, rtol=1e-5, atol=1e-5)


GLU_CF = """
data_format: channels_first
input: [5, 4, {w}]
layers:
  - Activation: {{name: g, activation: glu}}
"""


def test_glu_halves_w_in_a_channels_first_spec_and_runs():
    # Keras 3: glu on a (1, 5, 4, 6) tensor gives (1, 5, 4, 3): its last axis, not C
    assert KERAS3["glu_channels_first_shape"] == [1, 5, 4, 3]
    spec = parse_spec(GLU_CF.format(w=6), "glu.yaml")
    result = run(spec)  # the runtime checks its executed shape against the engine's
    assert result.outputs["g"].shape == (1, 5, 4, 3)


def test_glu_with_an_odd_w_is_a_located_error_in_a_channels_first_spec():
    # C = 5 is odd, which glu does not touch; W = 7 is odd, which glu must halve
    with pytest.raises(SpecError) as err:
        analyze_text(GLU_CF.format(w=7), "glu.yaml")
    text = err.value.render()
    assert text.startswith("glu.yaml:5:39: error: layers[0] 'g' (Activation): activation 'glu'")
    assert "halves the last axis of (5, 4, 7), which must be even; received 7" in text
    assert "channels_first: W, not C" in text
