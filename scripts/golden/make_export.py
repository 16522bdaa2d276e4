"""Goldens for `convcalc export`: build every exported model in a framework and count it (run
once per framework, in throwaway environments that have convcalc's own dependencies too):

    /tmp/i10env/bin/python scripts/golden/make_export.py pytorch
    KERAS_BACKEND=torch /tmp/goldenv/bin/python scripts/golden/make_export.py keras

For every shipped spec (specs/*.yaml) and the Keras applications ResNet50 and MobileNetV2 (their
to_json(), tests/golden/keras/), it exports the module with this checkout's convcalc, builds
the model, runs a zero input of one sample and records, in tests/golden/export/FRAMEWORK.json,
the framework's parameter count (PyTorch: parameters and the BatchNorm running statistics,
its buffers, apart), the output shape (PyTorch: NCHW) and the SHA-256 of the exported code (so
a test sees when the exporter changed after the goldens were made).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "torch")

from convcalc.analysis import analyze, load_spec  # noqa: E402
from convcalc.tools.export import export_code  # noqa: E402

OUT = ROOT / "tests" / "golden" / "export"


def sources(tmp: Path) -> dict[str, Path]:
    found = {p.stem: p for p in sorted((ROOT / "specs").glob("*.yaml"))}
    for app in ("resnet50", "mobilenet_v2"):
        path = tmp / f"{app}.json"
        path.write_text(gzip.open(ROOT / "tests/golden/keras" / f"{app}.keras3.json.gz", "rt").read())
        found[f"keras_{app}"] = path
    return found


def measure(framework: str, code: str, ns: dict) -> dict:
    exec(compile(code, "<export>", "exec"), ns)
    model = ns["build"]()
    if framework == "pytorch":
        import torch

        model.eval()
        xs = [torch.zeros((1,) + tuple(s)) for s in ns["INPUT_SHAPES"].values()]
        with torch.no_grad():
            out = model(*xs)
        outs = out if isinstance(out, tuple) else (out,)
        return {
            "params": sum(p.numel() for p in model.parameters()),
            "running_stats": sum(b.numel() for n, b in model.named_buffers() if "running" in n),
            "output_shapes": [list(o.shape[1:]) for o in outs],
        }
    import numpy as np

    xs = [np.zeros((1,) + tuple(t.shape[1:]), dtype="float32") for t in model.inputs]
    outs = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    outs = outs if isinstance(outs, list) else [outs]
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return {
        "params": model.count_params(),
        "trainable_params": trainable,
        "output_shapes": [list(o.shape[1:]) for o in outs],
    }


def main() -> None:
    framework = sys.argv[1]
    OUT.mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in sources(Path(tmp)).items():
            spec = load_spec(path)
            code = export_code(spec, analyze(spec), framework)
            facts = measure(framework, code, {})
            facts["code_sha256"] = hashlib.sha256(code.encode()).hexdigest()
            results[name] = facts
            print(name, facts["params"], facts["output_shapes"])
    (OUT / f"{framework}.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
