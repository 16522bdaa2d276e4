"""ONNX goldens (run once, in a throwaway env; never install torch into convcalc's):

    python3 -m venv /tmp/i10env
    /tmp/i10env/bin/pip install torch==2.14.1 torchvision==0.29.1 onnx onnxscript
    /tmp/i10env/bin/python scripts/golden/make_onnx.py

Writes tests/golden/onnx/:

* ``resnet18.onnx``, ``mobilenet_v2.onnx``: torchvision models (weights=None) exported by the
  TorchScript exporter with BatchNormalization kept (``training=PRESERVE``, no constant
  folding), then stripped of their weights (each initializer keeps its name, type and dims, its
  data points at a file that is not shipped), so the files are small;
* ``tiny.onnx``: a small network with its real weights, covering the ops convcalc reads
  (ConvTranspose, ceil-mode AveragePool, dilated MaxPool, Pad, Resize, Concat, Mul, Gemm,
  MatMul, Flatten, Reshape, the activations, Dropout);
  ``tiny_input.npy`` and ``tiny_output.npy``: an input and PyTorch's output for it;
* ``autopad.onnx``: Conv / MaxPool / AveragePool with auto_pad SAME_UPPER, SAME_LOWER and VALID
  (built with onnx.helper; shapes from onnx's shape inference);
* ``ops.onnx``: Pad, Resize by sizes, Clip, Identity, Dropout, GlobalMaxPool, Reshape with a
  0, MatMul + Add (built with onnx.helper), ``ops_input.npy`` and ``ops_expected.npz``: an input
  and the reference evaluator's outputs;
* ``unknown.onnx``: Conv, Erf (not read by convcalc), GlobalAveragePool;
* ``facts.json``: per model, PyTorch's parameter and buffer counts, the output shape of every
  leaf module (forward hooks), MACs from torch.utils.flop_counter (FLOPs / 2), and the auto-pad
  graph's output shapes.
"""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, helper
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

warnings.filterwarnings("ignore")
OUT = Path(__file__).resolve().parents[2] / "tests" / "golden" / "onnx"


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.LeakyReLU(0.1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, dilation=2)
        self.avg = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.side = nn.Conv2d(8, 4, 1)
        self.resize = nn.Upsample(scale_factor=2, mode="nearest")
        self.head = nn.Linear(8 * 6 * 6, 16)
        self.proj = nn.Linear(16, 10, bias=False)
        self.drop = nn.Dropout(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.bn(self.stem(x)))  # 8 x 12 x 12
        a = self.pool(y)  # 8 x 5 x 5 (dilated window 5)
        b = self.avg(y)  # 8 x 7 x 7 (ceil mode)
        u = torch.sigmoid(self.up(a))  # 4 x 10 x 10
        s = self.side(nn.functional.pad(b, (1, 2, 1, 2)))  # 4 x 10 x 10 (a folded subgraph)
        m = self.resize(torch.cat([u, s], dim=1))  # 8 x 20 x 20
        m = m * torch.sigmoid(m)  # Mul of two tensors
        f = torch.flatten(nn.functional.max_pool2d(m, 3), 1)  # 8 x 6 x 6 -> 288
        h = self.drop(torch.relu(self.head(f)))
        return torch.softmax(self.proj(h).reshape(-1, 2, 5), dim=-1)


def export(model: nn.Module, x: torch.Tensor, path: Path) -> None:
    model.eval()
    with contextlib.redirect_stdout(io.StringIO()):
        torch.onnx.export(
            model,
            (x,),
            str(path),
            dynamo=False,
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
            opset_version=17,
            input_names=["input"],
            output_names=["output"],
        )


def strip(path: Path) -> None:
    """Keep every initializer's name, type and dims; drop its data (an external file that is
    deleted), so that the graph is small and says where its weights would be."""
    model = onnx.load(str(path))
    onnx.save_model(
        model,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=path.stem + ".weights",
        size_threshold=0,
    )
    (path.parent / (path.stem + ".weights")).unlink()


def facts_of(model: nn.Module, x: torch.Tensor) -> dict[str, object]:
    shapes: dict[str, list[int]] = {}
    hooks = []

    def hook(name: str):  # type: ignore[no-untyped-def]
        def record(module, inputs, output) -> None:  # type: ignore[no-untyped-def]
            shapes.setdefault(name, list(output.shape[1:]))

        return record

    for name, module in model.named_modules():
        if not list(module.children()):
            hooks.append(module.register_forward_hook(hook(name)))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model.eval()(x)
    for h in hooks:
        h.remove()
    running = sum(b.numel() for n, b in model.named_buffers() if "running" in n)
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "running_stats": running,
        "macs": counter.get_total_flops() // 2,
        "output_shape": list(out.shape[1:]),
        "shapes": shapes,
    }


def autopad() -> dict[str, object]:
    """Conv, MaxPool, AveragePool with each auto_pad mode on a 1x2x7x8 input."""
    from onnx.reference import ReferenceEvaluator

    nodes, outputs, inits = [], [], []
    w = np.ones((3, 2, 3, 2), dtype=np.float32)
    inits.append(helper.make_tensor("w", TensorProto.FLOAT, w.shape, w.ravel()))
    for mode in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        tag = mode.lower()
        nodes.append(
            helper.make_node("Conv", ["x", "w"], [f"conv_{tag}"], name=f"conv_{tag}",
                             auto_pad=mode, strides=[2, 3], kernel_shape=[3, 2])
        )
        nodes.append(
            helper.make_node("MaxPool", ["x"], [f"max_{tag}"], name=f"max_{tag}",
                             auto_pad=mode, kernel_shape=[2, 3], strides=[2, 2])
        )
        nodes.append(
            helper.make_node("AveragePool", ["x"], [f"avg_{tag}"], name=f"avg_{tag}",
                             auto_pad=mode, kernel_shape=[3, 3], strides=[2, 3])
        )
        outputs += [f"conv_{tag}", f"max_{tag}", f"avg_{tag}"]
    graph = helper.make_graph(
        nodes,
        "autopad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 7, 8])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, ["n", "c", "h", "w"]) for o in outputs],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save_model(model, str(OUT / "autopad.onnx"))
    # shapes from onnx's shape inference (the operator spec: SAME_* gives ceil(n / s)); the
    # reference evaluator agrees except for MaxPool SAME_LOWER (3 instead of 4 on axis H),
    # recorded as well
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim][1:]
        for v in inferred.graph.output
    }
    x = np.random.default_rng(0).standard_normal((1, 2, 7, 8)).astype(np.float32)
    results = ReferenceEvaluator(model).run(None, {"x": x})
    reference = {o: list(r.shape[1:]) for o, r in zip(outputs, results)}
    return {"shapes": shapes, "reference_evaluator": reference}


def ops_graph() -> dict[str, object]:
    """Ops PyTorch does not export as such: Pad (pads from an initializer), Resize by sizes,
    Upsample (opset 9 form: scales), GlobalMaxPool, Clip (ReLU6), MatMul + Add (a Linear),
    Reshape with a 0 (copy) entry, Identity, Dropout; shapes and values from onnx's reference
    evaluator."""
    from onnx.reference import ReferenceEvaluator

    rng = np.random.default_rng(1)

    def init(name: str, a: np.ndarray) -> onnx.TensorProto:
        return onnx.numpy_helper.from_array(a, name)

    inits = [
        init("pads", np.array([0, 0, 1, 2, 0, 0, 2, 1], dtype=np.int64)),
        init("sizes", np.array([1, 2, 16, 22], dtype=np.int64)),
        init("lo", np.array(0.0, dtype=np.float32)),
        init("hi", np.array(6.0, dtype=np.float32)),
        init("shape", np.array([0, -1], dtype=np.int64)),
        init("w", rng.standard_normal((2 * 16 * 22, 5)).astype(np.float32)),
        init("b", rng.standard_normal(5).astype(np.float32)),
    ]
    nodes = [
        helper.make_node("Pad", ["x", "pads"], ["padded"], name="pad", mode="constant"),
        helper.make_node("Resize", ["padded", "", "", "sizes"], ["resized"], name="resize",
                         mode="nearest"),
        helper.make_node("Clip", ["resized", "lo", "hi"], ["clipped"], name="relu6"),
        helper.make_node("Identity", ["clipped"], ["same"], name="identity"),
        helper.make_node("Dropout", ["same"], ["dropped"], name="dropout"),
        helper.make_node("GlobalMaxPool", ["dropped"], ["gmax"], name="gmax"),
        helper.make_node("Reshape", ["dropped", "shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "w"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "b"], ["fc_out"], name="fc_bias"),
    ]
    graph = helper.make_graph(
        nodes,
        "ops",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 8])],
        [
            helper.make_tensor_value_info("fc_out", TensorProto.FLOAT, [1, 5]),
            helper.make_tensor_value_info("gmax", TensorProto.FLOAT, [1, 2, 1, 1]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save_model(model, str(OUT / "ops.onnx"))
    x = rng.standard_normal((1, 2, 5, 8)).astype(np.float32)
    names = ["padded", "resized", "flat", "fc_out", "gmax"]
    probe = ReferenceEvaluator(model)
    results = probe.run(names, {"x": x})
    np.save(OUT / "ops_input.npy", x)
    np.savez(OUT / "ops_expected.npz", **dict(zip(names, results)))
    return {n: list(r.shape[1:]) for n, r in zip(names, results)}


def unknown_graph() -> dict[str, object]:
    """A Conv, an op convcalc does not read (Erf), then a GlobalAveragePool: the count goes on
    around it."""
    w = np.ones((4, 3, 3, 3), dtype=np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3]),
        helper.make_node("Erf", ["c"], ["e"], name="erf"),
        helper.make_node("GlobalAveragePool", ["e"], ["y"], name="gap"),
    ]
    graph = helper.make_graph(
        nodes,
        "unknown",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 1, 1])],
        [onnx.numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save_model(model, str(OUT / "unknown.onnx"))
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    return {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim][1:]
        for v in [*inferred.graph.value_info, *inferred.graph.output]
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    facts: dict[str, object] = {"torch": torch.__version__, "onnx": onnx.__version__}
    x224 = torch.zeros(1, 3, 224, 224)
    for name in ("resnet18", "mobilenet_v2"):
        model = getattr(torchvision.models, name)(weights=None).eval()
        facts[name] = facts_of(model, x224)
        export(model, x224, OUT / f"{name}.onnx")
        strip(OUT / f"{name}.onnx")
    tiny = Tiny().eval()
    with torch.no_grad():  # non-trivial BatchNorm statistics
        tiny.bn.running_mean.uniform_(-0.5, 0.5)
        tiny.bn.running_var.uniform_(0.5, 1.5)
    x = torch.randn(2, 3, 24, 24)
    facts["tiny"] = facts_of(tiny, x)
    export(tiny, x, OUT / "tiny.onnx")
    np.save(OUT / "tiny_input.npy", x.numpy())
    with torch.no_grad():
        np.save(OUT / "tiny_output.npy", tiny(x).numpy())
    facts["autopad"] = autopad()
    facts["ops"] = ops_graph()
    facts["unknown"] = unknown_graph()
    (OUT / "facts.json").write_text(json.dumps(facts, indent=1) + "\n")
    for p in sorted(OUT.iterdir()):
        print(p.name, p.stat().st_size)


if __name__ == "__main__":
    main()
