"""One ONNX node -> (spec kind, arguments, the weight that names it); see
:mod:`convcalc.importers.onnx_ops` for the list. Arguments use the spec's Keras names; the
weights each layer reads for ``--weights model.onnx`` are listed under ``_weights`` as
(PyTorch name, initializer, transpose)."""

from __future__ import annotations

from typing import Any

from convcalc.importers.onnx_ops import ACTIVATIONS, MERGES, Graph, attrs, spatial_pads

Made = tuple[str, dict[str, Any], str | None] | None


def f32(x: Any) -> float:
    """An ONNX float attribute (float32) as the short decimal it was written as (1e-05, not
    9.999999747378752e-06)."""
    return float(f"{float(x):.7g}")


def entry_for(graph: Graph, i: int, node: Any, data: list[str]) -> Made:
    op, a = node.op_type, attrs(node)
    if op == "Add" and _bias(graph, node, data):
        return None
    handler = HANDLERS.get(op)
    made = handler(graph, node, a, data) if handler is not None else None
    return opaque(graph, node) if made is None else made


def opaque(graph: Graph, node: Any) -> Made:
    shape = graph.shapes.get(node.output[0])
    args: dict[str, Any] = {"op": node.op_type}
    if shape is not None and len(shape) >= 2:
        args["shape"] = list(shape[1:])
    return "Opaque", args, None


def _bias(graph: Graph, node: Any, data: list[str]) -> bool:
    """Add(MatMul output, constant vector): the Dense's bias."""
    other = [t for t in node.input if t not in data]
    dense = graph.matmul.get(data[0]) if len(data) == 1 and other else None
    vector = graph.dims.get(other[0]) if other else None
    if dense is None or vector is None or len(vector) != 1 or dense.get("use_bias"):
        return False
    dense["use_bias"] = True
    graph.weight(dense["name"], "bias", other[0])
    return True


def conv(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    w = node.input[1]
    dims = graph.dims.get(w)
    if dims is None:
        return None
    k = list(a.get("kernel_shape", dims[2:]))
    r = len(k)
    group = a.get("group", 1)
    transposed = node.op_type == "ConvTranspose"
    if transposed and "output_shape" in a:
        return None
    args: dict[str, Any] = {
        "filters": dims[1] * group if transposed else dims[0],
        "kernel_size": k,
        "strides": a.get("strides", [1] * r),
        "padding": spatial_pads(graph, node, a, data[0], k),
        "dilation_rate": a.get("dilations", [1] * r),
        "groups": group,
        "use_bias": len(node.input) > 2 and bool(node.input[2]),
        "_weights": [("weight", w, False)]
        + ([("bias", node.input[2], False)] if len(node.input) > 2 and node.input[2] else []),
    }
    if transposed:
        args["output_padding"] = a.get("output_padding", [0] * r)
        return f"ConvTranspose{r}d", args, w  # PyTorch's output-size rule
    return f"Conv{r}D", args, w


def pool(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    k = list(a["kernel_shape"])
    r = len(k)
    kind = "MaxPooling" if node.op_type == "MaxPool" else "AveragePooling"
    args: dict[str, Any] = {
        "pool_size": k,
        "strides": a.get("strides", [1] * r),
        "padding": spatial_pads(graph, node, a, data[0], k),
        "ceil_mode": bool(a.get("ceil_mode", 0)),
    }
    if node.op_type == "MaxPool":
        args["dilation_rate"] = a.get("dilations", [1] * r)
    else:
        args["count_include_pad"] = bool(a.get("count_include_pad", 0))
    return f"{kind}{r}D", args, None


def global_pool(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    shape = graph.shapes.get(data[0])
    if shape is None:
        return None
    r = len(shape) - 2
    if node.op_type == "ReduceMean":
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            axes = graph.const.get(node.input[1])
            axes = None if axes is None else axes.tolist()
        if axes is None or sorted(x % len(shape) for x in axes) != list(range(2, len(shape))):
            return None
        keep = bool(a.get("keepdims", 1))
        kind = "Average"
    else:
        keep, kind = True, "Average" if node.op_type == "GlobalAveragePool" else "Max"
    return f"Global{kind}Pooling{r}D", {"keepdims": keep}, None


def gemm(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    w = node.input[1]
    dims = graph.dims.get(w) or (graph.const[w].shape if w in graph.const else None)
    if dims is None or len(dims) != 2 or a.get("transA", 0):
        return None
    trans = bool(a.get("transB", 0))
    units = dims[0] if trans else dims[1]
    bias = len(node.input) > 2 and bool(node.input[2])
    weights = [("weight", w, not trans)] + ([("bias", node.input[2], False)] if bias else [])
    return "Dense", {"units": int(units), "use_bias": bias, "_weights": weights}, w


def matmul(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    if len(data) != 1 or data[0] != node.input[0]:
        return None
    w = node.input[1]
    value = graph.const.get(w)
    dims = graph.dims.get(w) or (value.shape if value is not None else None)
    if dims is None or len(dims) != 2:
        return None
    weights = [("weight", w, True)]  # (K, F) -> PyTorch's Linear (F, K)
    return "Dense", {"units": int(dims[1]), "use_bias": False, "_weights": weights}, None


def reshape(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    target = graph.const.get(node.input[1])
    shape = graph.shapes.get(data[0])
    if target is None or (shape is None and 0 in target.tolist()):
        return None
    t = [
        shape[j] if v == 0 and shape and not a.get("allowzero") else int(v)
        for j, v in enumerate(target)
    ]
    return "Reshape", {"target_shape": t[1:] if len(t) > 1 else [-1]}, None


def flatten(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    return ("Flatten", {}, None) if a.get("axis", 1) == 1 else None


def batch_norm(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    names = ["weight", "bias", "running_mean", "running_var"]
    weights = [(n, t, False) for n, t in zip(names, node.input[1:5])]
    return (
        "BatchNormalization",
        {"epsilon": f32(a.get("epsilon", 1e-5)), "_weights": weights},
        node.input[1],
    )


def activation(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    op = node.op_type
    if op == "Relu":
        return "ReLU", {}, None
    if op == "LeakyRelu":
        return "LeakyReLU", {"negative_slope": f32(a.get("alpha", 0.01))}, None
    if op == "Elu":
        return "ELU", {"alpha": f32(a.get("alpha", 1.0))}, None
    if op in ("Softmax", "LogSoftmax"):
        if op == "LogSoftmax":
            return (
                ("Activation", {"activation": "log_softmax"}, None)
                if a.get("axis", -1) == -1
                else None
            )
        return "Softmax", {"axis": int(a.get("axis", -1))}, None
    if op == "Clip":
        lo = _scalar(graph, node, 1, a.get("min"))
        hi = _scalar(graph, node, 2, a.get("max"))
        if lo == 0 and hi == 6:
            return "ReLU6", {}, None
        if lo == 0 and hi is None:
            return "ReLU", {}, None
        return None
    return "Activation", {"activation": ACTIVATIONS[op]}, None


def _scalar(graph: Graph, node: Any, index: int, default: Any) -> float | None:
    if len(node.input) > index and node.input[index]:
        v = graph.const.get(node.input[index])
        return None if v is None else float(v)
    return None if default is None else float(default)


def merge(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    if len(data) != len([t for t in node.input if t]) or len(data) < 2:
        return None  # a constant operand broadcasts: not one of convcalc's merges
    return MERGES[node.op_type], {}, None


def concat(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    if len(data) != len(node.input):
        return None
    return "Concatenate", {"axis": int(a.get("axis", 1))}, None


def pad(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    pads = a.get("pads")
    if pads is None and len(node.input) > 1:
        v = graph.const.get(node.input[1])
        pads = None if v is None else [int(x) for x in v]
    value = graph.const.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if value is None and len(node.input) > 2 and node.input[2]:
        return None  # a padding value that is not a constant
    if pads is None or a.get("mode", "constant") != "constant" or float(value or 0) != 0:
        return None
    n = len(pads) // 2
    if n < 3 or any(pads[j] or pads[j + n] for j in (0, 1)):
        return None  # padding the batch or the channels
    r = n - 2
    return f"ZeroPadding{r}D", {"padding": [[pads[j], pads[j + n]] for j in range(2, n)]}, None


def _factors(graph: Graph, node: Any, data: list[str]) -> list[int] | None:
    """Integer up-sampling factors per axis (batch and channels included), from the scales or
    sizes input (Resize), the scales input or attribute (Upsample), else the inferred shapes."""
    inputs = list(node.input)
    scales_at = 1 if node.op_type == "Upsample" else 2
    scales = (
        graph.const.get(inputs[scales_at])
        if len(inputs) > scales_at and inputs[scales_at]
        else None
    )
    if scales is None and "scales" in attrs(node):
        scales = attrs(node)["scales"]
    shape = graph.shapes.get(data[0])
    if scales is not None and len(scales):
        out = [float(x) for x in scales]
        return [int(x) for x in out] if all(x == int(x) and x >= 1 for x in out) else None
    sizes = graph.const.get(inputs[3]) if len(inputs) > 3 and inputs[3] else None
    target = [int(x) for x in sizes] if sizes is not None else graph.shapes.get(node.output[0])
    if shape is None or target is None or any(m % n for n, m in zip(shape, target)):
        return None
    return [m // n for n, m in zip(shape, target)]


def resize(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    factors = _factors(graph, node, data)
    if factors is None or len(factors) < 3:
        return None
    if factors[:2] != [1, 1]:
        return None
    mode = a.get("mode", "nearest")
    interpolation = {"nearest": "nearest", "linear": "bilinear"}.get(mode)
    if interpolation is None:
        return None
    r = len(factors) - 2
    args: dict[str, Any] = {"size": factors[2:]}
    if r == 2:
        args["interpolation"] = interpolation
    elif interpolation != "nearest":
        return None
    return f"UpSampling{r}D", args, None


def dropout(graph: Graph, node: Any, a: dict[str, Any], data: list[str]) -> Made:
    ratio = _scalar(graph, node, 1, a.get("ratio", 0.5))
    return "Dropout", {"rate": 0.5 if ratio is None else f32(ratio)}, None


HANDLERS = {
    "Conv": conv,
    "ConvTranspose": conv,
    "MaxPool": pool,
    "AveragePool": pool,
    "GlobalAveragePool": global_pool,
    "GlobalMaxPool": global_pool,
    "ReduceMean": global_pool,
    "Gemm": gemm,
    "MatMul": matmul,
    "Reshape": reshape,
    "Flatten": flatten,
    "BatchNormalization": batch_norm,
    "Relu": activation,
    "LeakyRelu": activation,
    "Elu": activation,
    "Softmax": activation,
    "LogSoftmax": activation,
    "Clip": activation,
    **{op: activation for op in ACTIVATIONS},
    **{op: merge for op in MERGES},
    "Concat": concat,
    "Pad": pad,
    "Resize": resize,
    "Upsample": resize,
    "Dropout": dropout,
}
