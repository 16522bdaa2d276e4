"""ONNX graphs -> spec documents (``pip install 'convcalc[onnx]'``: the ``onnx`` package only,
no runtime).

The graph is read with its initializers' dims (their data is not needed: a graph stripped of
its weights reads the same), ONNX's shape inference gives the static shape of every tensor,
and constant subgraphs (the shape arithmetic exporters emit for ``Pad``, ``Reshape``, a
transposed weight) are folded with NumPy. Each node becomes one layer of a channels_first spec
(ONNX is NCHW) named after its weights (``layer1.0.conv1``, as the PyTorch module that exported
it), else after the node; :mod:`convcalc.importers.onnx_ops` says what each op becomes. An op
convcalc does not read becomes an ``Opaque`` layer with the shape ONNX infers for it, listed as
not analysable. Problems are located at ``FILE[node N]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from convcalc.errors import Location, UsageError
from convcalc.importers.document import Built, fail, read_bytes
from convcalc.importers.onnx_ops import FOLDABLE, Graph, fold, translate_node
from convcalc.spec.yaml_source import Source


def import_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise UsageError(
            "reading an ONNX graph needs the onnx package",
            hint="pip install 'convcalc[onnx]'",
        ) from None
    return onnx


def read_model(path: str | Path, raw: bytes | None = None) -> Any:
    onnx = import_onnx()
    if raw is None:
        raw = read_bytes(path, "ONNX graph")
    try:
        model = onnx.load_model_from_string(raw)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise fail(
            Location(str(path)),
            f"is not an ONNX model ({type(exc).__name__})",
            hint="export one with torch.onnx.export(model, x, 'model.onnx')",
        ) from None
    try:
        return onnx.shape_inference.infer_shapes(model)
    except Exception:  # an op shape inference does not know: keep the shapes it has
        return model


def graph_of(path: str | Path, raw: bytes | None = None) -> Graph:
    """The model's graph with every constant and static shape known (see the docstring)."""
    model = read_model(path, raw)  # first: it says how to install onnx when it is missing
    import numpy as np
    from onnx import numpy_helper

    g = model.graph
    graph = Graph(str(path))
    for t in g.initializer:
        graph.dims[t.name] = tuple(int(d) for d in t.dims)
        stripped = t.data_location == 1 or (  # external data, not shipped
            not t.raw_data and not any(len(getattr(t, f)) for f in FIELDS)
        )
        if not stripped:
            graph.const[t.name] = np.asarray(numpy_helper.to_array(t))
        graph.initializers.append(t.name)
    for v in [*g.input, *g.value_info, *g.output]:
        dims = v.type.tensor_type.shape.dim
        if dims and all(d.HasField("dim_value") for d in dims):
            graph.shapes[v.name] = tuple(int(d.dim_value) for d in dims)
    graph.inputs = [v.name for v in g.input if v.name not in graph.dims]
    graph.outputs = [v.name for v in g.output]
    for i, node in enumerate(g.node):
        graph.nodes.append((i, node))
        if node.op_type in FOLDABLE:
            fold(graph, node)
    return graph


FIELDS = ("float_data", "int32_data", "int64_data", "double_data", "uint64_data")


def translate(path: str | Path, raw: bytes | None = None) -> Source:
    graph = graph_of(path, raw)
    file = str(path)
    origin = Source(file, None)
    layers: list[dict[str, Any]] = []
    built = Built(origin)
    for name in graph.inputs:
        shape = graph.shapes.get(name)
        if shape is None or len(shape) < 2:
            raise fail(
                Location(file),
                f"graph input '{name}' has no static shape (received {shape})",
                hint="export with a fixed input size, e.g. torch.zeros(1, 3, 224, 224)",
            )
        graph.names[name] = graph.unique(name)
        layers.append({"InputLayer": {"name": graph.names[name], "shape": list(shape[1:])}})
    for i, node in graph.nodes:
        origin.values[("nodes", i)] = Location(f"{file}[node {i}]")
        try:
            entry = translate_node(graph, i, node)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise fail(  # a node unlike any exporter writes: say which, never a traceback
                Location(f"{file}[node {i}]"),
                f"cannot read {node.op_type} node '{node.name}' ({type(exc).__name__}: {exc})",
                hint="check the graph with onnx.checker.check_model",
            ) from None
        if entry is None:
            continue
        kind, args = entry
        j = len(layers)
        built.at(("layers", j), ("nodes", i))
        built.at(("layers", j, kind), ("nodes", i))
        layers.append({kind: args})
    doc = {"name": Path(file).stem, "data_format": "channels_first", "layers": layers}
    return built.source(doc)


def load_document(path: str | Path, raw: bytes | None = None) -> Source:
    return translate(path, raw)


def initializers(path: str | Path) -> dict[str, Any]:
    """Every layer's weights from the graph's initializers, keyed ``<layer>.<PyTorch name>`` in
    PyTorch's layout (for ``--weights model.onnx``)."""
    graph = graph_of(path)
    for name in graph.inputs:
        graph.names[name] = graph.unique(name)
    for i, node in graph.nodes:
        translate_node(graph, i, node)
    missing = [key for key, src in graph.weights.items() if src is None]
    if missing:
        raise fail(
            Location(str(path)),
            f"this graph holds no weight data (e.g. {missing[0]}): its initializers were stripped",
            hint="export it again with its weights, or pass --weights WEIGHTS.npz",
        )
    return {key: value for key, value in graph.weights.items() if value is not None}
