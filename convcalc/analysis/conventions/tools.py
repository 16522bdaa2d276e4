"""The counting tools' rules, each written from the tool's source at the version named (and
checked against what the tool really prints: tests/golden/conventions.json).

Every rule sees the network as the PyTorch model the spec mirrors: a layer's ``torch`` module
and function, its weighted :class:`~convcalc.layers.counts.Part` s and its shapes. The tools
key on PyTorch's names, so their tables are keyed the same way here: these are the tools'
facts, not the layers'.
"""

from __future__ import annotations

import math
from fractions import Fraction

from convcalc.analysis.conventions import (
    Convention,
    Term,
    affine,
    bias_size,
    in_elements,
    out_elements,
    positions,
)
from convcalc.report import LayerRow, Report


def _conv_like(cls: str) -> bool:
    return cls.startswith(("Conv", "ConvTranspose")) and cls[-2:] in ("1d", "2d", "3d")


def _modules(r: LayerRow) -> list[tuple[str, str, int]]:
    """The PyTorch modules of a row with the element count each sees: the layer's own
    (input), then a fused activation's (the layer's output)."""
    mods = [(r.torch.cls, r.torch.function, in_elements(r))]
    if r.fused is not None:
        mods.append((r.fused.cls, r.fused.function, out_elements(r)))
    return mods


STORAGE_OVERHEAD = 64  # sys.getsizeof of an UntypedStorage beyond its bytes (torch 2.14, CPython)


class TorchInfo(Convention):
    """torchinfo.summary: per leaf module with parameters, its parameter count times the output
    positions for a ConvNd (bias included, the output grid for a transposed one), times the
    batch otherwise (Linear: in·out + out, whatever the positions; BatchNorm: 2·C)."""

    name = "torchinfo"
    tool = "torchinfo"
    version = "1.8.0"
    header = "Mult-Adds"
    note = (
        "torchinfo 1.8.0: mult-adds = parameters x output positions for a ConvNd (bias "
        "included; output grid for ConvTranspose), parameters x batch for any other module with "
        "parameters (BatchNorm 2 per channel); PyTorch's parameters (no buffers)."
    )

    def terms(self, r: LayerRow, batch: int = 1) -> list[Term]:
        p = r.torch_params
        if not p or not r.torch.cls:
            return []
        if r.operator == "conv" and _conv_like(r.torch.cls):
            b = bias_size(r)
            where = positions(r) * batch
            grid = sum(part.output_grid_macs for part in r.parts) * batch
            out = [Term("weights x output positions (output grid)", grid)]
            return out + ([Term("bias x output positions", b * where)] if b else [])
        return [Term("parameters x batch", p * batch)]

    def sizes(self, report: Report, batch: int, itemsize: int) -> dict[str, int]:
        """The bytes behind its size lines: input, forward/backward pass (every output of a
        module with parameters, twice: for its gradient), parameters."""
        inputs = report.input_rows
        return {
            # sys.getsizeof(tensor.untyped_storage()): the bytes and the Python object's own
            "input": sum(out_elements(r) * batch * itemsize + STORAGE_OVERHEAD for r in inputs),
            "forward_backward": sum(
                2 * out_elements(r) * batch * itemsize for r in report.rows if r.torch_params
            ),
            "params": sum(r.torch_params for r in report.rows) * itemsize,
        }


class FvCore(Convention):
    """fvcore FlopCountAnalysis (its "flop" is one multiply-accumulate), on the model as
    torchvision builds it: in training mode, so BatchNorm counts 5 per element."""

    name = "fvcore"
    tool = "fvcore"
    version = "0.1.5.post20221221"
    header = "#flops"
    note = (
        "fvcore 0.1.5: one flop = one MAC of aten::_convolution (input grid for transposed) and "
        "linear/addmm, no bias; aten::batch_norm 5 per element in training mode (a model never "
        "put in eval(); 2 in eval), adaptive_avg_pool2d 1 per input element, upsample; "
        "activations, max pooling and adds unsupported (0)."
    )

    def terms(self, r: LayerRow, batch: int = 1) -> list[Term]:
        out = [Term("weight MACs", p.macs * batch) for p in r.parts if p.macs]
        fn = r.torch.function
        n = in_elements(r) * batch
        if fn == "batch_norm":
            out.append(Term("batch_norm (training mode): 5 per element", 5 * n))
        elif fn in ("layer_norm", "group_norm", "instance_norm"):
            k = 5 if affine(r) or fn == "instance_norm" else 4
            out.append(Term(f"{fn}: {k} per element", k * n))
        elif fn == "adaptive_avg_pool2d":
            out.append(Term("adaptive_avg_pool2d: 1 per input element", n))
        elif fn == "interpolate" and len(r.shape) == 3:
            k = 4 if r.kind == "UpSampling2D" and _bilinear(r) else 1
            out.append(Term(f"upsample2d: {k} per output element", k * out_elements(r) * batch))
        return out


def _bilinear(r: LayerRow) -> bool:
    return "bilinear" in r.torch.cls.lower()


class Thop(Convention):
    """thop.profile: module hooks; a ConvNd counts output elements x (C_in/groups) x prod(k),
    the output grid also for a transposed one (about stride² too many), no bias."""

    name = "thop"
    tool = "thop"
    version = "0.1.1.post2209072238"
    note = (
        "thop 0.1.1: per module, ConvNd = output elements x C_in/groups x kernel (output grid "
        "also for ConvTranspose, no bias), Linear = in_features x output elements, BatchNorm "
        "4 per element, AdaptiveAvgPool (in/out + 1) per output; ReLU, max pooling, functions "
        "and adds 0; PyTorch's parameters."
    )

    def terms(self, r: LayerRow, batch: int = 1) -> list[Term]:
        out: list[Term] = []
        for cls, _fn, n in _modules(r):
            n *= batch
            if _conv_like(cls):
                grid = sum(p.output_grid_macs for p in r.parts) * batch
                out.append(Term("weight MACs on the output grid", grid))
            elif cls == "Linear":
                out.append(Term("weight MACs", sum(p.macs for p in r.parts) * batch))
            elif cls.startswith(("BatchNorm", "InstanceNorm")) or cls == "LayerNorm":
                k = 4 if affine(r) else 2
                out.append(Term(f"{cls}: {k} per element", k * n))
            elif cls.startswith("AvgPool"):
                out.append(Term("AvgPool: 1 per output element", out_elements(r) * batch))
            elif cls.startswith("AdaptiveAvgPool"):
                window = math.prod(Fraction(i, o) for i, o in zip(r.in_shapes[0], r.shape))
                value = int((window + 1) * out_elements(r) * batch)
                out.append(Term("AdaptiveAvgPool: in/out + 1 per output element", value))
            elif cls == "Softmax":
                f = r.shape[-1]
                value = out_elements(r) // f * (3 * f - 1) * batch
                out.append(Term("Softmax: 3 x features - 1 per row", value))
            elif cls == "Upsample":
                out.append(Term("Upsample: 1 per output element", out_elements(r) * batch))
        return out


# What ptflops 0.7.5's pytorch backend hooks (module class -> what it counts) and which
# torch.nn.functional calls it patches on top (counted again inside a hooked module).
_PTFLOPS_ACTIVATIONS = ("ReLU", "PReLU", "ELU", "LeakyReLU", "ReLU6", "GELU")
_PTFLOPS_FUNCTIONS = ("relu", "prelu", "elu", "relu6", "gelu", "softmax", "interpolate")


def _ptflops_patched(fn: str) -> bool:
    pools = ("avg_pool", "max_pool", "adaptive_avg_pool", "adaptive_max_pool")
    return fn in _PTFLOPS_FUNCTIONS or any(fn.startswith(p) and fn[-2:-1].isdigit() for p in pools)


class PtFlops(Convention):
    """ptflops.get_model_complexity_info, default backend (pytorch: module hooks plus patched
    functionals, so ReLU and pooling modules are counted twice)."""

    name = "ptflops"
    tool = "ptflops"
    version = "0.7.5"
    note = (
        "ptflops 0.7.5 (default pytorch backend): conv and Linear with bias adds, BatchNorm "
        "2 per element, ReLU and pooling 1 per element from the module hook and again from the "
        "patched functional F.relu / F.max_pool2d (nn.ReLU6 calls hardtanh: once); "
        "transposed conv on the input grid; adds 0."
    )

    def terms(self, r: LayerRow, batch: int = 1) -> list[Term]:
        out: list[Term] = []
        for cls, fn, n in _modules(r):
            n *= batch
            if _conv_like(cls) or cls == "Linear":
                out += [Term("weight MACs", p.macs * batch) for p in r.parts if p.macs]
                bias = sum(p.bias_adds for p in r.parts) * batch
                if bias:
                    out.append(Term("bias adds", bias))
            elif cls in _PTFLOPS_ACTIVATIONS:
                out.append(Term(f"{cls} hook: 1 per element", n))
            elif cls.startswith(("MaxPool", "AvgPool", "AdaptiveMaxPool", "AdaptiveAvgPool")):
                out.append(Term(f"{cls} hook: 1 per input element", n))
            elif cls.startswith(("BatchNorm", "InstanceNorm")) or cls in ("GroupNorm", "LayerNorm"):
                k = 2 if affine(r) else 1
                out.append(Term(f"{cls} hook: {k} per element", k * n))
            elif cls == "Upsample":
                out.append(Term("Upsample hook: 1 per output element", out_elements(r) * batch))
            if _ptflops_patched(fn):
                m = out_elements(r) * batch if fn == "interpolate" else n
                again = " again" if cls else ""
                out.append(Term(f"patched F.{fn}: 1 per element{again}", m))
        return out


# what calflops 0.3.2 patches: FLOPs per element of the input (MACs 0)
_CALFLOPS_ELEMENTWISE = (
    "relu",
    "prelu",
    "elu",
    "leaky_relu",
    "relu6",
    "silu",
    "gelu",
    "softmax",
)


class CalFlops(Convention):
    """calflops.calculate_flops (model.eval()): patched torch.nn.functional calls; prints
    FLOPs (2 per MAC, conv bias adds and element-wise work included) and MACs."""

    name = "calflops"
    tool = "calflops"
    version = "0.3.2"
    unit = "FLOP"
    header = "FLOPs"
    note = (
        "calflops 0.3.2: FLOPs = 2 x MACs of F.conv*/F.linear + conv bias adds (Linear's bias "
        "not counted; a ConvTranspose's on the grid a forward conv would give) + 1 per element "
        "of F.relu, pooling, softmax, 2 of batch_norm (eval); nn.ReLU6 (hardtanh) and adds 0; "
        "MACs: conv and linear weight MACs (input grid for transposed)."
    )

    def terms(self, r: LayerRow, batch: int = 1) -> list[Term]:
        out: list[Term] = []
        for p in r.parts:
            out.append(Term("2 x weight MACs", 2 * p.macs * batch))
            if p.bias_adds and p.function.startswith("conv_transpose"):
                grid = math.prod(
                    (n + 2 * pad - d * (k - 1) - 1) // s + 1
                    for n, (k, s, d, pad) in zip(r.in_shapes[0][:-1], p.window)
                )
                value = grid * r.shape[-1] * batch
                out.append(Term("bias adds on a forward convolution's grid", value))
            elif p.bias_adds and p.function.startswith("conv"):
                out.append(Term("bias adds", p.bias_adds * batch))
        for _cls, fn, n in _modules(r):
            n *= batch
            if fn in _CALFLOPS_ELEMENTWISE:
                out.append(Term(f"F.{fn}: 1 per element", n))
            elif fn == "batch_norm":
                k = 2 if affine(r) else 1
                out.append(Term(f"F.batch_norm (eval): {k} per element", k * n))
            elif fn in ("layer_norm", "group_norm", "instance_norm"):
                k = 5 if affine(r) else 4
                out.append(Term(f"F.{fn}: {k} per element", k * n))
            elif any(fn.startswith(x) for x in ("avg_pool", "max_pool", "adaptive_")):
                out.append(Term(f"F.{fn}: 1 per input element", n))
            elif fn == "interpolate":
                out.append(Term("F.interpolate: 1 per input element", n))
        return out

    def macs(self, r: LayerRow, batch: int = 1) -> int:
        """What it prints as MACs: the weight MACs of F.conv* and F.linear."""
        return sum(p.macs for p in r.parts) * batch

    def refuses(self, report: Report) -> str:
        if not any(r.weights for r in report.rows):
            return (
                "calflops 0.3.2 stops with StopIteration on a model without parameters "
                "(calculate_flops reads next(model.parameters()).device)"
            )
        return ""


class FlopCounter(Convention):
    """torch.utils.flop_counter.FlopCounterMode: 2 FLOPs per MAC of the convolutions (input
    grid for transposed) and matrix products, nothing else."""

    name = "flopcounter"
    tool = "FlopCounterMode"
    version = "torch 2.14.1"
    unit = "FLOP"
    header = "FLOP"
    note = (
        "FlopCounterMode (torch 2.14.1): FLOP = 2 x MACs of aten.convolution (input grid for "
        "transposed) and mm/addmm/bmm; bias adds, normalisation, activations, pooling and adds "
        "0. Backward: 2 x MACs for the input gradient (not for the first layer) and 2 x MACs x "
        "groups for the weight gradient (groups not divided out)."
    )

    def terms(self, r: LayerRow, batch: int = 1) -> list[Term]:
        return [Term("2 x weight MACs", 2 * p.macs * batch) for p in r.parts if p.macs]

    def backward(self, r: LayerRow, batch: int = 1) -> list[Term]:
        out: list[Term] = []
        for p in r.parts:
            if r.backward[0]:
                out.append(Term("input gradient: 2 x MACs", 2 * p.macs * batch))
            if r.backward[1]:
                what = "weight gradient: 2 x MACs" + (
                    f" x groups ({p.groups})" if p.groups > 1 else ""
                )
                out.append(Term(what, 2 * p.macs * p.groups * batch))
        return out


TOOLS: tuple[type[Convention], ...] = (TorchInfo, FvCore, Thop, PtFlops, CalFlops, FlopCounter)
