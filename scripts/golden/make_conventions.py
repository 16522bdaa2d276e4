#!/usr/bin/env python3
"""What the counting tools really print, measured once on torchvision's VGG16, ResNet-18,
ResNet-50 and MobileNetV2 and on three single layers (a strided ConvTranspose2d, a ceil-mode
MaxPool2d, a biased Conv2d), for ``summary --convention`` and ``explain-count``.

For every model and tool: the totals the tool returns (as numbers and as the strings it prints)
and its count per leaf module (the module's dotted name, as torchvision names it), plus for
torchinfo its memory lines, and for FlopCounterMode the FLOPs of the backward pass of
``out.sum()``. Tools, each with its default settings:

* torchinfo.summary(model, input_size=(1, C, H, W)): total_params, trainable_params,
  total_mult_adds, the size lines, and each leaf's macs / num_params / output_bytes;
* fvcore FlopCountAnalysis(model, x): total(), by_module(), by_operator(), unsupported ops,
  and fvcore.nn.parameter_count;
* thop.profile(model, inputs=(x,), ret_layer_info=True) and thop.clever_format(..., "%.3f");
* ptflops.get_model_complexity_info(model, (C, H, W)) with its default backend (the module
  hooks, "pytorch"), numbers and strings; per module the ``__flops__`` its hooks add, and the
  FLOPs of the patched functionals and tensor ops apart;
* calflops.calculate_flops(model, input_shape=(1, C, H, W)) (imported without the package's
  __init__, which needs transformers), numbers and strings, and each module's MACs / FLOPs;
* torch.utils.flop_counter.FlopCounterMode: total and per-module FLOPs of the forward, and of
  the backward of out.sum().

Run in a throwaway environment (never a plain `pip install torch`):

    python3 -m venv /tmp/issue13env
    /tmp/issue13env/bin/pip install torch==2.14.1 torchvision==0.29.1 numpy
    /tmp/issue13env/bin/pip install --no-deps torchinfo==1.8.0 fvcore==0.1.5.post20221221 \
        iopath==0.1.10 thop==0.1.1.post2209072238 ptflops==0.7.5 calflops==0.3.2
    /tmp/issue13env/bin/pip install portalocker yacs pyyaml tqdm termcolor tabulate
    /tmp/issue13env/bin/python scripts/golden/make_conventions.py

Writes tests/golden/conventions.json (the versions used are in its "versions" field).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import sys
import types
import warnings
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "golden" / "conventions.json"
warnings.filterwarnings("ignore")


def import_calflops() -> types.ModuleType:
    """calflops.flops_counter without calflops/__init__.py (which imports transformers)."""
    import importlib.util

    if "calflops.flops_counter" in sys.modules:
        return sys.modules["calflops.flops_counter"]
    spec = importlib.util.find_spec("calflops")
    assert spec is not None and spec.submodule_search_locations is not None
    package = types.ModuleType("calflops")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["calflops"] = package
    return importlib.import_module("calflops.flops_counter")


MODELS: dict[str, tuple[Any, tuple[int, ...]]] = {
    "vgg16": (lambda: torchvision.models.vgg16(weights=None), (3, 224, 224)),
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), (3, 224, 224)),
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), (3, 224, 224)),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), (3, 224, 224)),
    "conv_transpose": (
        lambda: nn.Sequential(nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)),
        (16, 14, 14),
    ),
    "ceil_pool": (lambda: nn.Sequential(nn.MaxPool2d(3, stride=2, ceil_mode=True)), (16, 14, 14)),
    "biased_conv": (lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1)), (3, 32, 32)),
}


def leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules() if n and not list(m.children())]


def run_torchinfo(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    import torchinfo

    stats = torchinfo.summary(model, input_size=(1, *shape), verbose=0)
    names = {id(m): n for n, m in model.named_modules()}
    layers = [
        {
            "name": names.get(id(info.module), info.var_name),
            "class": info.class_name,
            "macs": info.macs,
            "params": info.num_params,
            "output_bytes": info.output_bytes,
            "output_size": list(info.output_size),
            "recursive": info.is_recursive,
        }
        for info in stats.summary_list
        if info.is_leaf_layer
    ]
    text = str(stats).splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("Total params"))
    return {
        "total_params": stats.total_params,
        "trainable_params": stats.trainable_params,
        "total_mult_adds": stats.total_mult_adds,
        "total_input": stats.total_input,
        "total_output_bytes": stats.total_output_bytes,
        "total_param_bytes": stats.total_param_bytes,
        "printed": [line for line in text[start:] if not line.startswith("=")],
        "layers": layers,
    }


def run_fvcore(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    from fvcore.nn import FlopCountAnalysis, flop_count_table, parameter_count

    fca = FlopCountAnalysis(model, torch.randn(1, *shape))
    fca.unsupported_ops_warnings(False)
    fca.uncalled_modules_warnings(False)
    total = fca.total()
    by_module = fca.by_module()
    table = flop_count_table(fca, max_depth=1).splitlines()
    return {
        "total": total,
        "params": parameter_count(model)[""],
        "by_operator": dict(fca.by_operator()),
        "unsupported": dict(fca.unsupported_ops()),
        "by_module": {n: by_module[n] for n, _ in leaves(model)},
        "table_head": table[:4],
    }


def run_thop(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    import thop

    with contextlib.redirect_stdout(io.StringIO()):
        macs, params, info = thop.profile(
            model, inputs=(torch.randn(1, *shape),), verbose=False, ret_layer_info=True
        )
    flat: dict[str, float] = {}

    def walk(prefix: str, d: dict[str, Any]) -> None:
        for k, (ops, _params, sub) in d.items():
            name = f"{prefix}.{k}" if prefix else k
            if sub:
                walk(name, sub)
            else:
                flat[name] = int(ops)

    walk("", info)
    return {
        "macs": int(macs),
        "params": int(params),
        "printed": list(thop.clever_format([macs, params], "%.3f")),
        "by_module": flat,
    }


def run_ptflops(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    from ptflops import get_model_complexity_info
    from ptflops.pytorch_engine import (
        add_flops_counting_methods,
        patch_functional,
        patch_tensor_ops,
        unpatch_functional,
        unpatch_tensor_ops,
    )

    out = io.StringIO()
    macs, params = get_model_complexity_info(
        model, shape, as_strings=False, print_per_layer_stat=False, ost=out
    )
    strings = get_model_complexity_info(
        model, shape, as_strings=True, print_per_layer_stat=False, ost=out
    )
    # the same steps as get_flops_pytorch, keeping each module's own count
    counted = add_flops_counting_methods(model)
    counted.eval()
    counted.start_flops_count(ost=out, verbose=False, ignore_list=[])
    functional: list[int] = []
    tensor_ops: list[int] = []
    patch_functional(functional)
    patch_tensor_ops(tensor_ops)
    try:
        counted(torch.ones(1, *shape))
        per = {n: int(getattr(m, "__flops__", 0)) for n, m in leaves(model)}
    finally:
        counted.stop_flops_count()
        unpatch_functional()
        unpatch_tensor_ops()
    return {
        "macs": macs,
        "params": params,
        "printed": list(strings),
        "by_module": per,
        "functional": sum(functional),
        "tensor_ops": sum(tensor_ops),
    }


@contextlib.contextmanager
def restored() -> Any:
    """calflops leaves some torch functions patched: put every one back afterwards."""
    import torch.nn.functional as F  # noqa: N812

    saved = [(ns, dict(vars(ns))) for ns in (F, torch)]
    tensor = {k: v for k, v in vars(torch.Tensor).items()}
    try:
        yield
    finally:
        for ns, old in saved:
            for k, v in old.items():
                if getattr(ns, k, None) is not v:
                    setattr(ns, k, v)
        for k, v in tensor.items():
            if vars(torch.Tensor).get(k) is not v:
                setattr(torch.Tensor, k, v)


def run_calflops(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    with restored():
        return calflops_counts(model, shape)


def calflops_counts(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    fc = import_calflops()
    from calflops.utils import get_module_flops, get_module_macs

    try:
        flops, macs, params = fc.calculate_flops(
            model=model,
            input_shape=(1, *shape),
            output_as_string=False,
            print_results=False,
            print_detailed=False,
        )
        strings = fc.calculate_flops(
            model=model, input_shape=(1, *shape), print_results=False, print_detailed=False
        )
    except Exception as err:  # noqa: BLE001  (a tool's failure is a fact to record)
        return {"error": f"{type(err).__name__}: {err}"}
    # per module: run the pipeline again and read what each leaf accumulated
    from calflops.calculate_pipline import CalFlopsPipline

    pipe = CalFlopsPipline(model, include_backPropagation=False, compute_bp_factor=2.0)
    pipe.start_flops_calculate(ignore_list=None)
    model(torch.ones(1, *shape))
    per = {n: [get_module_macs(m), get_module_flops(m)] for n, m in leaves(model)}
    pipe.end_flops_calculate()
    return {
        "flops": flops,
        "macs": macs,
        "params": params,
        "printed": list(strings),
        "by_module": per,
    }


def run_flop_counter(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    x = torch.randn(1, *shape)
    with FlopCounterMode(display=False) as fwd:
        y = model(x)
    forward = {
        k.removeprefix("Global."): sum(v.values())
        for k, v in fwd.get_flop_counts().items()
        if k != "Global"
    }
    backward = 0  # nothing to differentiate without parameters
    if y.requires_grad:
        with FlopCounterMode(display=False) as bwd:
            y.sum().backward()
        backward = bwd.get_total_flops()
    return {
        "flops": fwd.get_total_flops(),
        "table": fwd.get_table(1).splitlines()[:3],
        "backward_flops": backward,
        "by_module": forward,
    }


TOOLS = {
    "torchinfo": run_torchinfo,
    "fvcore": run_fvcore,
    "thop": run_thop,
    "ptflops": run_ptflops,
    "calflops": run_calflops,
    "flopcounter": run_flop_counter,
}


def model_facts(model: nn.Module) -> dict[str, Any]:
    params = sum(p.numel() for p in model.parameters())
    buffers = {n: b.numel() for n, b in model.named_buffers()}
    return {
        "params": params,
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": sum(buffers.values()),
        "num_batches_tracked": sum(1 for n in buffers if n.endswith("num_batches_tracked")),
    }


class Block(nn.Module):
    """docs/examples/residual_block.yaml: a ResNet basic block written plainly (no in-place)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(64, 64, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu_1 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        out = out + identity
        return self.relu_1(out)


def measure_memory(model: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    """Bytes of the tensors PyTorch creates: the peak of those alive at once during an
    inference forward (eval, no_grad; every op's output tracked until its tensor dies), and the
    tensors autograd saves for backward in a training forward (each storage once; parameters,
    buffers and the input left out: they are there anyway)."""
    import weakref

    from torch.utils._python_dispatch import TorchDispatchMode

    live: dict[int, int] = {}
    refs: dict[int, int] = {}
    peak = [0]

    def release(ptr: int) -> None:
        refs[ptr] -= 1
        if not refs[ptr]:
            del refs[ptr]
            live.pop(ptr, None)

    class Track(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, (tuple, list)) else [out]:
                if isinstance(t, torch.Tensor):
                    ptr = t.untyped_storage().data_ptr()
                    live[ptr] = t.untyped_storage().nbytes()
                    refs[ptr] = refs.get(ptr, 0) + 1
                    weakref.finalize(t, release, ptr)
            peak[0] = max(peak[0], sum(live.values()))
            return out

    x = torch.randn(1, *shape)
    model.eval()
    with torch.no_grad(), Track():
        y = model(x)
    del y
    params = {p.untyped_storage().data_ptr() for p in [*model.parameters(), *model.buffers()]}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr = t.untyped_storage().data_ptr()
        if ptr not in params and ptr != x.untyped_storage().data_ptr():
            saved[ptr] = t.untyped_storage().nbytes()
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return {"inference_peak_activations": peak[0], "saved_for_backward": sum(saved.values())}


def main() -> None:
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    for dist in ("torchinfo", "fvcore", "thop", "ptflops", "calflops"):
        versions[dist] = importlib.metadata.version(dist)
    models: dict[str, Any] = {}
    for name, (build, shape) in MODELS.items():
        torch.manual_seed(0)
        entry: dict[str, Any] = {"input_shape": list(shape)}
        entry.update(model_facts(build()))
        for tool, fn in TOOLS.items():
            torch.manual_seed(0)
            entry[tool] = fn(build(), shape)
            print(name, tool, file=sys.stderr)
        models[name] = entry
    torch.manual_seed(0)
    models["residual_block"] = {"input_shape": [64, 56, 56], **measure_memory(Block(), (64, 56, 56))}
    doc = {"generator": "scripts/golden/make_conventions.py", "versions": versions, "models": models}
    OUT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
