"""Keras model configs -> spec documents: ``model.to_json()`` text and ``.keras`` archives.

Keras's vocabulary is the spec's (layer class names, argument names), so a layer's ``config``
becomes its arguments as written; the layer classes accept Keras's config forms (``axis: [3]``,
``groups: 1``, per-layer ``data_format``, initialisers, regularisers, constraints, ``dtype``).
For a readable spec, values that change nothing are left out: nulls, ``trainable: true``, the
float32 ``dtype`` and the Glorot-uniform / zeros / ones initialisers; everything else is kept.

The graph: both config forms of Keras's inbound nodes are read (Keras 2's
``[[["conv1", 0, 0, {}]]]`` and Keras 3's ``{"args": [{"class_name": "__keras_tensor__", ...}]}``).
A layer called more than once (a shared layer) gives one entry per call; the later calls name
the first with ``shares:`` and add no weights. A nested model's layers join the outer graph
(its inputs bound to the tensors it is called on). ``Lambda`` and ``TFOpLambda`` layers keep
their place and their output shape where the config records it (Keras 3 does), and are
reported as not analysable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from convcalc.errors import Location
from convcalc.importers.document import Built, fail
from convcalc.importers.keras_values import MODELS, SPATIAL_FORMAT_FREE, kept, read, topological
from convcalc.spec.yaml_source import Path as DocPath
from convcalc.spec.yaml_source import Source


class Ref(NamedTuple):
    """A tensor of the config: (scope, layer, node index, tensor index), and where it is."""

    scope: int
    layer: str
    node: int
    tensor: int
    path: DocPath


class Item(NamedTuple):
    kind: str
    name: str
    args: dict[str, Any]
    arg_paths: dict[str, DocPath]
    inputs: list[Ref]
    path: DocPath  # the layer's entry in the config


class KerasConfig:
    """Translates one Keras model config (see the module's docstring)."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.items: list[Item] = []
        self.alias: dict[tuple[int, str, int, int], Ref | str] = {}
        self.shapes: dict[tuple[int, str, int, int], list[int]] = {}
        self.scopes = 0
        self.group: list[str] = []  # the outermost nested model being read: [name, class]
        self.formats: list[str] = []  # the layers' data_format, in order

    def loc(self, path: DocPath) -> Location:
        return self.src.at(path)

    def need(self, value: Any, kind: type, path: DocPath, what: str) -> Any:
        if not isinstance(value, kind):
            raise fail(
                self.loc(path),
                f"{what} must be a {'mapping' if kind is dict else 'list'}; "
                f"received {type(value).__name__}",
                hint="the file should be the text of model.to_json() (or a .keras archive)",
            )
        return value

    # --- the model -----------------------------------------------------------------------------
    def translate(self) -> tuple[dict[str, Any], Built]:
        data = self.need(self.src.data, dict, (), "a Keras model")
        cls = data.get("class_name")
        cfg = self.need(data.get("config"), dict, ("config",), "the model's config")
        if cls not in MODELS:
            raise fail(
                self.loc(("class_name",) if "class_name" in data else ()),
                f"not a Keras model: class_name is {cls!r}",
                hint="expected Functional, Model or Sequential (the output of model.to_json())",
            )
        if cls == "Sequential":
            self.sequential(cfg, ("config",), self.new_scope(), None)
        else:
            self.functional(cfg, ("config",), self.new_scope(), [])
        return self.document(cls, cfg)

    def new_scope(self) -> int:
        self.scopes += 1
        return self.scopes

    def sequential(self, cfg: dict[str, Any], path: DocPath, scope: int, feed: Ref | None) -> Ref:
        """Layers in a chain; returns the last one's tensor. ``feed``: the tensor a nested
        Sequential is called on."""
        layers = self.need(cfg.get("layers"), list, path + ("layers",), "layers")
        previous = feed
        for i, layer in enumerate(layers):
            lpath = path + ("layers", i)
            layer = self.need(layer, dict, lpath, f"layers[{i}]")
            lcfg = self.need(layer.get("config"), dict, lpath + ("config",), "a layer's config")
            cls = layer.get("class_name")
            name = str(lcfg.get("name") or layer.get("name") or f"layer_{i}")
            shape = lcfg.get("batch_shape", lcfg.get("batch_input_shape"))
            if cls != "InputLayer" and shape is not None and previous is None:
                previous = self.input_item(name + "_input", lcfg, lpath, scope)
            if cls == "InputLayer":
                if previous is not None and feed is not None and i == 0:
                    continue  # a nested Sequential's own input: the tensor it is called on
                previous = self.input_item(name, lcfg, lpath, scope)
                continue
            if cls in MODELS:
                outs = self.nested(cls, lcfg, lpath, [previous] if previous else [])
                if len(outs) != 1:
                    raise fail(self.loc(lpath), f"nested model '{name}' has {len(outs)} outputs")
                previous = outs[0]
                continue
            inputs = [previous] if previous is not None else []
            self.layer_item(str(cls), name, lcfg, lpath, inputs, scope, 0)
            previous = Ref(scope, name, 0, 0, lpath)
        if previous is None:
            raise fail(self.loc(path), "the Sequential model has no layers")
        return previous

    def functional(
        self, cfg: dict[str, Any], path: DocPath, scope: int, feeds: list[Ref]
    ) -> list[Ref]:
        """A functional graph; returns its output tensors. ``feeds``: the tensors a nested
        model's inputs are bound to."""
        layers = self.need(cfg.get("layers"), list, path + ("layers",), "layers")
        inputs = self.endpoints(cfg.get("input_layers"), path + ("input_layers",), scope)
        if feeds:
            if len(feeds) != len(inputs):
                raise fail(
                    self.loc(path),
                    f"this nested model takes {len(inputs)} inputs but is called on {len(feeds)}",
                )
            for ref, feed in zip(inputs, feeds):
                self.alias[ref[:4]] = feed
        bound = {r.layer for r in inputs} if feeds else set()
        for i, layer in enumerate(layers):
            lpath = path + ("layers", i)
            layer = self.need(layer, dict, lpath, f"layers[{i}]")
            lcfg = self.need(layer.get("config"), dict, lpath + ("config",), "a layer's config")
            cls = str(layer.get("class_name"))
            name = str(layer.get("name") or lcfg.get("name") or f"layer_{i}")
            nodes = self.inbound_nodes(layer.get("inbound_nodes"), lpath, scope)
            if cls == "InputLayer":
                if name not in bound:
                    self.input_item(name, lcfg, lpath, scope)
                continue
            if cls in MODELS:
                if len(nodes) != 1:
                    raise fail(
                        self.loc(lpath),
                        f"nested model '{name}' is called {len(nodes)} times; convcalc reads a "
                        f"nested model called once",
                    )
                outs = self.nested(cls, lcfg, lpath, nodes[0])
                for k, out in enumerate(outs):
                    # Keras 2 numbers a nested model's first call 1 (node 0 is the model's own
                    # graph), Keras 3 numbers it 0; it is called once, so both name it
                    self.alias[(scope, name, 0, k)] = out
                    self.alias[(scope, name, 1, k)] = out
                continue
            for k, node in enumerate(nodes):
                self.layer_item(cls, name, lcfg, lpath, node, scope, k)
        return self.endpoints(cfg.get("output_layers"), path + ("output_layers",), scope)

    def nested(self, cls: str, cfg: dict[str, Any], path: DocPath, feeds: list[Ref]) -> list[Ref]:
        """A nested model's layers, each marked ``group: [model, class]`` (Keras's summary
        shows the outermost nested model as one row)."""
        scope = self.new_scope()
        outer = self.group
        if not outer:
            self.group = [str(cfg.get("name") or "model"), "Functional" if cls == "Model" else cls]
        try:
            if cls == "Sequential":
                feed = feeds[0] if feeds else None
                return [self.sequential(cfg, path + ("config",), scope, feed)]
            return self.functional(cfg, path + ("config",), scope, feeds)
        finally:
            self.group = outer

    # --- tensors ---------------------------------------------------------------------------------
    def ref(self, value: Any, path: DocPath, scope: int) -> Ref:
        """``[layer name, node index, tensor index, ...]`` as Keras writes a tensor."""
        if (
            isinstance(value, list)
            and len(value) >= 3
            and isinstance(value[0], str)
            and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in value[1:3])
        ):
            return Ref(scope, value[0], value[1], value[2], path)
        raise fail(
            self.loc(path),
            f"a tensor must be [layer name, node index, tensor index]; received {value!r}",
            hint="the config is incomplete or edited by hand",
        )

    def endpoints(self, raw: Any, path: DocPath, scope: int) -> list[Ref]:
        """``input_layers`` / ``output_layers``: ``[name, node, tensor]`` or a list of them."""
        if raw is None:
            return []
        if isinstance(raw, list) and len(raw) == 3 and isinstance(raw[0], str):
            raw, one = [raw], True
        else:
            one = False
        items = self.need(raw, list, path, "the model's inputs/outputs")
        return [self.ref(r, path if one else path + (i,), scope) for i, r in enumerate(items)]

    def inbound_nodes(self, raw: Any, path: DocPath, scope: int) -> list[list[Ref]]:
        """Each call's input tensors, in both config forms."""
        if raw is None:
            return []
        nodes = []
        for n, node in enumerate(self.need(raw, list, path + ("inbound_nodes",), "inbound_nodes")):
            npath = path + ("inbound_nodes", n)
            refs: list[Ref] = []
            if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
                self.keras3_tensors(node.get("args"), npath + ("args",), scope, refs)
                self.keras3_tensors(node.get("kwargs"), npath + ("kwargs",), scope, refs)
            elif isinstance(node, list) and node and isinstance(node[0], str):
                refs.append(self.ref(node, npath, scope))  # TFOpLambda: [name, node, tensor, {}]
            elif isinstance(node, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
                refs += [self.ref(t, npath + (j,), scope) for j, t in enumerate(node)]
            else:
                raise fail(
                    self.loc(npath),
                    f"an inbound node must be a list or a mapping; received {node!r}",
                )
            nodes.append(refs)
        return nodes

    def keras3_tensors(self, value: Any, path: DocPath, scope: int, refs: list[Ref]) -> None:
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                cfg = self.need(value.get("config"), dict, path + ("config",), "a tensor's config")
                ref = self.ref(cfg.get("keras_history"), path + ("config", "keras_history"), scope)
                refs.append(ref)
                shape = cfg.get("shape")
                if isinstance(shape, list) and all(isinstance(x, int) for x in shape[1:]):
                    self.shapes[ref[:4]] = shape[1:]
                return
            for k, v in value.items():
                self.keras3_tensors(v, path + (k,), scope, refs)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.keras3_tensors(v, path + (i,), scope, refs)

    def resolve(self, ref: Ref) -> str:
        key: tuple[int, str, int, int] = ref[:4]
        seen = set()
        while key in self.alias:
            target = self.alias[key]
            if isinstance(target, str):
                return target
            if key in seen:
                break
            seen.add(key)
            key = target[:4]
        raise fail(
            self.loc(ref.path),
            f"'{ref.layer}' (node {ref.node}, tensor {ref.tensor}) is not a layer output of "
            f"this model",
            hint="the config is incomplete or edited by hand",
        )

    # --- entries ---------------------------------------------------------------------------------
    def input_item(self, name: str, cfg: dict[str, Any], path: DocPath, scope: int) -> Ref:
        """An input of ``batch_shape`` (Keras 3) or ``batch_input_shape`` (Keras 2), from an
        InputLayer or from the first layer of a Keras 2 Sequential."""
        cfg_path = path + ("config",)
        key = "batch_shape" if "batch_shape" in cfg else "batch_input_shape"
        shape = cfg.get(key)
        if not (isinstance(shape, list) and len(shape) >= 2):
            raise fail(
                self.loc(cfg_path),
                f"input '{name}' has no batch_shape (received {shape!r})",
                hint="convcalc needs every input's shape, e.g. keras.Input((224, 224, 3))",
            )
        sample = shape[1:]
        self.items.append(
            Item("InputLayer", name, {"shape": sample}, {"shape": cfg_path + (key,)}, [], path)
        )
        self.alias[(scope, name, 0, 0)] = name
        return Ref(scope, name, 0, 0, path)

    def layer_item(
        self,
        cls: str,
        name: str,
        cfg: dict[str, Any],
        path: DocPath,
        inputs: list[Ref],
        scope: int,
        call: int,
    ) -> None:
        entry_name = name if call == 0 else f"{name}@{call}"
        args: dict[str, Any] = {}
        arg_paths: dict[str, DocPath] = {}
        if call:
            args["shares"] = name
            arg_paths["shares"] = path + ("inbound_nodes", call)
        else:
            for key, value in cfg.items():
                if key == "name" or not kept(cls, key, value):
                    continue
                args[key] = value
                arg_paths[key] = path + ("config", key)
            fmt = cfg.get("data_format")
            if isinstance(fmt, str) and cls not in SPATIAL_FORMAT_FREE:
                self.formats.append(fmt)
        if cls in ("Lambda", "TFOpLambda") and not call:
            given = args.pop("output_shape", None)
            arg_paths.pop("output_shape", None)
            if isinstance(given, list):  # Keras 2's output_shape; Keras 3's is found later
                args["shape"] = given
                arg_paths["shape"] = path
        if self.group:
            args["group"] = list(self.group)
            arg_paths["group"] = path
        self.items.append(Item(cls, entry_name, args, arg_paths, inputs, path))
        self.alias[(scope, name, call, 0)] = entry_name

    # --- the document ----------------------------------------------------------------------------
    def document(self, cls: str, cfg: dict[str, Any]) -> tuple[dict[str, Any], Built]:
        built = Built(self.src)
        resolved = [[self.resolve(r) for r in item.inputs] for item in self.items]
        order = topological([item.name for item in self.items], resolved)
        layers = []
        for j, i in enumerate(order):
            item = self.items[i]
            if item.kind in ("Lambda", "TFOpLambda"):  # the shape its consumers recorded
                recorded = [s for key, s in self.shapes.items() if key[1:3] == (item.name, 0)]
                if recorded:
                    item.args["shape"] = recorded[0]
                    item.arg_paths["shape"] = item.path
            epath: DocPath = ("layers", j)
            built.at(epath, item.path)
            built.at(epath + (item.kind,), item.path + ("class_name",))
            args: dict[str, Any] = {"name": item.name}
            built.at(epath + (item.kind, "name"), item.path)
            for key, value in item.args.items():
                args[key] = built.record(epath + (item.kind, key), item.arg_paths[key], value)
            if resolved[i]:
                args["inputs"] = resolved[i]
                for m, ref in enumerate(item.inputs):
                    built.at(epath + (item.kind, "inputs", m), ref.path)
            layers.append({item.kind: args})
        doc: dict[str, Any] = {"name": str(cfg.get("name") or "model")}
        built.at(("name",), ("config", "name"))
        if self.formats and self.formats[0] == "channels_first":
            doc["data_format"] = "channels_first"  # a spec has one: the first layer's
        if cls == "Sequential":
            doc["model"] = "sequential"
        doc["layers"] = layers
        built.at(("layers",), ("config", "layers"))
        return doc, built


def translate(src: Source) -> Source:
    """The spec document of a Keras model config, with positions in the original file."""
    doc, built = KerasConfig(src).translate()
    return built.source(doc)


def load_document(path: str | Path, raw: bytes | None = None) -> Source:
    return translate(read(path, raw))
