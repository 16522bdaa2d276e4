"""--weights from the files frameworks write: safetensors (a PyTorch state_dict), Keras
.weights.h5 inside a .keras archive (Keras 3 and tf.keras 2.15), legacy Keras .h5, ONNX
initializers (tests/importers/test_onnx_import.py); outputs equal the frameworks' own
(goldens: scripts/golden/make_run_golden_torch.py, make_keras_weights.py)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from convcalc import run
from convcalc.analysis import load_spec, parse_spec
from convcalc.errors import SpecError
from tests.conftest import GOLDEN

RUN = GOLDEN / "run"
KERAS = GOLDEN / "keras"


def torch2d_safetensors(tmp_path, rename=lambda k: k):
    safetensors = pytest.importorskip("safetensors.numpy")
    weights = np.load(RUN / "torch2d_weights.npz")
    path = tmp_path / "w.safetensors"
    safetensors.save_file(
        {rename(k): np.ascontiguousarray(weights[k]) for k in weights.files}, str(path)
    )
    return path


def test_safetensors_state_dict_gives_pytorchs_output(tmp_path):
    path = torch2d_safetensors(tmp_path)
    spec = load_spec(RUN / "torch2d.yaml")
    out = run(spec, input_path=RUN / "torch2d_input.npy", weights_path=path, weights_layout="torch")
    expected = np.load(RUN / "torch2d_expected.npz")
    np.testing.assert_allclose(out.outputs["sm"], expected["sm"], rtol=1e-5, atol=1e-6)


def test_module_paths_map_onto_underscored_layer_names(tmp_path):
    """layer1.0.conv1.weight loads the layer named layer1_0_conv1 (the documented rule)."""
    path = torch2d_safetensors(tmp_path, lambda k: "net." + k)  # net.c1.weight, ...
    text = (RUN / "torch2d.yaml").read_text()
    for name in ("c1", "bn1", "c2", "c3", "c4", "t1", "t2", "fc"):
        text = text.replace(f"name: {name},", f"name: net_{name},")
        text = text.replace(f"name: {name}}}", f"name: net_{name}}}")
    spec = parse_spec(text, "renamed.yaml")
    out = run(spec, input_path=RUN / "torch2d_input.npy", weights_path=path, weights_layout="torch")
    expected = np.load(RUN / "torch2d_expected.npz")
    np.testing.assert_allclose(out.outputs["sm"], expected["sm"], rtol=1e-5, atol=1e-6)


def test_a_mismatch_lists_missing_and_unexpected_keys_with_the_closest(tmp_path):
    path = torch2d_safetensors(tmp_path, lambda k: k.replace("c1.", "conv1."))
    spec = load_spec(RUN / "torch2d.yaml")
    with pytest.raises(SpecError) as err:
        run(spec, weights_path=path, weights_layout="torch")
    text = err.value.render().replace(str(path), "W")
    assert (
        "W: error: layers[0] 'c1' (Conv2D): missing key 'c1.weight' (torch layout, shape "
        "(8, 3, 3, 3)); closest: 'conv1.weight'" in text
    )
    assert (
        "W: error: unexpected key 'conv1.bias': it names no layer of the spec; closest: 'c1.bias'"
        in text
    )


@pytest.mark.parametrize(
    ("weights", "golden"),
    [
        ("small.keras", "small.keras3_output.npy"),  # Keras 3: vars named after the layer
        ("small.keras-2.15.keras", "small.keras-2.15_output.npy"),  # 2.15: automatic paths
        ("small.keras-2.15.h5", "small.keras-2.15_output.npy"),  # legacy save_weights
    ],
)
def test_keras_weight_files_give_keras_output(weights, golden):
    pytest.importorskip("h5py")
    spec = load_spec(KERAS / "small.keras")
    out = run(spec, input_path=KERAS / "small_input.npy", weights_path=KERAS / weights)
    (y,) = out.outputs.values()
    np.testing.assert_allclose(y, np.load(KERAS / golden), rtol=1e-5, atol=1e-5)


def test_cli_weights_from_a_keras_archive(cli):
    pytest.importorskip("h5py")
    result = cli(
        "run",
        KERAS / "small.keras",
        "--input",
        KERAS / "small_input.npy",
        "--weights",
        KERAS / "small.keras",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output


def test_a_file_that_is_not_what_its_name_says(cli, tmp_path):
    fake = tmp_path / "w.safetensors"
    fake.write_bytes(b"nonsense")
    result = cli("run", RUN / "torch2d.yaml", "--weights", fake)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: --weights {fake}: not a safetensors file")
    fake_h5 = tmp_path / "w.h5"
    fake_h5.write_bytes(b"nonsense")
    result = cli("run", RUN / "torch2d.yaml", "--weights", fake_h5)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: --weights {fake_h5}: not a Keras weights file")


@pytest.mark.parametrize(
    ("module", "args", "extra"),
    [
        ("onnx", ["summary", GOLDEN / "onnx" / "unknown.onnx"], "onnx"),
        ("h5py", ["run", KERAS / "small.keras", "--weights", KERAS / "small.keras"], "h5"),
        (
            "safetensors",
            ["run", RUN / "torch2d.yaml", "--weights", RUN / "w.safetensors"],
            "safetensors",
        ),
    ],
)
def test_a_missing_extra_says_how_to_install_it(cli, monkeypatch, module, args, extra, tmp_path):
    """The base install has none of the extras: each file that needs one says which."""
    if module == "safetensors":
        args = [*args[:-1], tmp_path / "w.safetensors"]
        args[-1].write_bytes(b"x")
    for name in [m for m in list(sys.modules) if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # import fails
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert f"pip install 'convcalc[{extra}]'" in result.output
    assert "Traceback" not in result.output
