"""What each ONNX op becomes in a spec (channels_first: ONNX's NCHW), and the folding of the
constant subgraphs exporters emit. Per op: Conv -> ConvND (pads as [before, after] pairs,
auto_pad SAME_UPPER = Keras's 'same', SAME_LOWER as explicit pads, VALID = 'valid'),
ConvTranspose -> ConvNDTranspose (PyTorch's rule), MaxPool / AveragePool -> poolings
(ceil_mode, count_include_pad, dilations), GlobalAveragePool / GlobalMaxPool and a spatial
ReduceMean -> global poolings keeping their axes, Gemm and MatMul by a constant -> Dense (an
Add of a constant vector right after a MatMul is its bias), Flatten (axis 1), Reshape (a
constant target), BatchNormalization, the activations (Clip(0, 6) is ReLU6), Add / Mul / Sub /
Max / Min / Mean of tensors, Concat, Pad (zeros on the spatial axes), Resize / Upsample by
integer factors, Dropout; Identity is skipped. Anything else: Opaque (not analysable).
"""

from __future__ import annotations

from typing import Any

from convcalc.errors import Location
from convcalc.importers.document import fail

ACTIVATIONS = {
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Softplus": "softplus",
    "Softsign": "softsign",
    "Selu": "selu",
    "HardSigmoid": "hard_sigmoid",
    "HardSwish": "hard_swish",
    "Gelu": "gelu",
    "Mish": "mish",
    "Exp": "exponential",
}
MERGES = {"Add": "Add", "Sum": "Add", "Mul": "Multiply", "Sub": "Subtract", "Max": "Maximum",
          "Min": "Minimum", "Mean": "Average"}  # fmt: skip
FOLDABLE = {
    "Constant", "Shape", "Gather", "Cast", "Concat", "Reshape", "Unsqueeze", "Squeeze",
    "Transpose", "Slice", "ConstantOfShape", "Add", "Sub", "Mul", "Div", "Identity",
}  # fmt: skip


class Graph:
    """What the translation knows of the graph: dims and values of constants, static shapes,
    and the spec name of every tensor a layer produces."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.dims: dict[str, tuple[int, ...]] = {}
        self.const: dict[str, Any] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.initializers: list[str] = []
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.nodes: list[tuple[int, Any]] = []
        self.names: dict[str, str] = {}
        self.taken: set[str] = set()
        self.weights: dict[str, Any] = {}
        self.matmul: dict[str, dict[str, Any]] = {}  # MatMul output -> its Dense's args

    def unique(self, base: str) -> str:
        name, k = base, 1
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name

    def weight(self, layer: str, torch_name: str, tensor: str, transpose: bool = False) -> None:
        value = self.const.get(tensor)
        self.weights[f"{layer}.{torch_name}"] = (
            None if value is None else (value.T if transpose else value)
        )


def attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def fold(graph: Graph, node: Any) -> None:
    """Evaluate ``node`` with NumPy when all its inputs are constants (Shape: when its input's
    shape is static)."""
    import numpy as np
    from onnx import numpy_helper

    op, a = node.op_type, attrs(node)
    if op == "Constant":
        if "value" in a:
            graph.const[node.output[0]] = np.asarray(numpy_helper.to_array(a["value"]))
        elif "value_ints" in a or "value_int" in a:
            graph.const[node.output[0]] = np.asarray(a.get("value_ints", a.get("value_int")))
        return
    if op == "Shape":
        shape = graph.shapes.get(node.input[0]) or graph.dims.get(node.input[0])
        if (shape is not None and node.input[0] not in graph.dims) or node.input[0] in graph.const:
            graph.const[node.output[0]] = np.asarray(shape, dtype=np.int64)
        return
    if op == "Identity" and node.input[0] in graph.dims:  # a (maybe stripped) initializer
        graph.dims[node.output[0]] = graph.dims[node.input[0]]
    xs = [graph.const.get(t) if t else None for t in node.input]
    if (
        not xs
        or any(x is None for x in xs[:1])
        or any(t and x is None for t, x in zip(node.input, xs))
    ):
        return
    try:
        y = _evaluate(op, a, xs)
    except (ValueError, IndexError, TypeError):
        return
    if y is not None:
        graph.const[node.output[0]] = np.asarray(y)


def _evaluate(op: str, a: dict[str, Any], xs: list[Any]) -> Any:
    import numpy as np

    x = xs[0]
    if op == "Identity":
        return x
    if op == "Gather":
        return np.take(x, xs[1], axis=a.get("axis", 0))
    if op == "Cast":
        return x.astype(np.int64) if a.get("to") in (6, 7) else x.astype(np.float32)
    if op == "Concat":
        return np.concatenate([np.atleast_1d(v) for v in xs], axis=a.get("axis", 0))
    if op == "Reshape":
        return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(xs[1].tolist())])
    if op in ("Unsqueeze", "Squeeze"):
        axes: tuple[int, ...] = tuple(a.get("axes", xs[1].tolist() if len(xs) > 1 else ()))
        return np.expand_dims(x, axes) if op == "Unsqueeze" else np.squeeze(x, axes or None)
    if op == "Transpose":
        return np.transpose(x, a.get("perm"))
    if op == "Slice":
        starts, ends = xs[1].tolist(), xs[2].tolist()
        dims = xs[3].tolist() if len(xs) > 3 else list(range(len(starts)))
        steps = xs[4].tolist() if len(xs) > 4 else [1] * len(starts)
        index = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, dims, steps):
            index[ax] = slice(s, e, st)
        return x[tuple(index)]
    if op == "ConstantOfShape":
        value = a.get("value")
        fill = (
            0
            if value is None
            else float(np.asarray(value.float_data or value.int64_data or [0])[0])
        )
        return np.full(x.astype(np.int64).tolist(), fill)
    ops = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}
    return ops[op](x, xs[1]) if op in ops else None


def layer_name(graph: Graph, node: Any, weight: str | None, i: int) -> str:
    """The PyTorch module of its weight (``layer1.0.conv1.weight`` -> ``layer1.0.conv1``), else
    the node's name without the op (``/layer1/layer1.0/relu/Relu`` -> ``layer1/layer1.0/relu``)."""
    if weight and "." in weight and not weight.startswith("onnx::"):
        base = weight.rsplit(".", 1)[0]
    elif node.name:
        # TorchScript scopes: /layer1/layer1.0/relu/Relu, the last module relative to the
        # qualified one before it -> layer1.0.relu
        parts = [p for p in node.name.strip("/").split("/") if p]
        path = parts[:-1] if len(parts) > 1 else parts
        last = path[-1]
        if len(path) > 1 and not last.startswith(path[-2] + "."):
            last = f"{path[-2]}.{last}"
        base = last
    else:
        base = f"{node.op_type.lower()}_{i}"
    return graph.unique(base)


def spatial_pads(graph: Graph, node: Any, a: dict[str, Any], x: str, k: list[int]) -> Any:
    """ONNX pads / auto_pad -> a spec padding ('same', 'valid' or [before, after] pairs)."""
    mode = a.get("auto_pad", "NOTSET")
    rank = len(k)
    if mode == "SAME_UPPER":
        return "same"
    if mode == "VALID":
        return "valid"
    if mode == "SAME_LOWER":  # the odd pixel at the start: explicit pads from the input size
        shape = graph.shapes.get(x)
        if shape is None:
            raise fail(Location(graph.file), f"node '{node.name}': SAME_LOWER needs a static shape")
        s = a.get("strides", [1] * rank)
        d = a.get("dilations", [1] * rank)
        out = []
        for n, ki, si, di in zip(shape[2:], k, s, d):
            total = max((-(-n // si) - 1) * si + di * (ki - 1) + 1 - n, 0)
            out.append([total - total // 2, total // 2])
        return out
    pads = a.get("pads", [0] * 2 * rank)
    return [[pads[j], pads[j + rank]] for j in range(rank)]


def translate_node(graph: Graph, i: int, node: Any) -> tuple[str, dict[str, Any]] | None:
    """The spec entry of ``node`` (None: folded, skipped or merged into another layer)."""
    from convcalc.importers.onnx_layers import entry_for

    out = node.output[0]
    if out in graph.const:
        return None
    data = [t for t in node.input if t and t not in graph.const and t not in graph.dims]
    if not data:  # a computation on constants the folder does not evaluate
        return None
    if node.op_type == "Identity":
        graph.names[out] = graph.names.get(data[0], data[0])
        return None
    made = entry_for(graph, i, node, data)
    if made is None:  # merged into its producer (a MatMul's bias)
        graph.names[out] = graph.names[data[0]]
        return None
    kind, args, weight = made
    name = layer_name(graph, node, weight, i)
    for torch_name, tensor, transpose in args.pop("_weights", []):
        graph.weight(name, torch_name, tensor, transpose)
    missing = [t for t in data if t not in graph.names]
    if missing:
        raise fail(
            Location(f"{graph.file}[node {i}]"),
            f"input '{missing[0]}' is not produced by an earlier node",
        )
    entry = {"name": name, **args, "inputs": [graph.names[t] for t in data]}
    if node.op_type == "MatMul":
        graph.matmul[out] = entry
    graph.names[out] = name
    return kind, entry
