"""``convcalc export SPEC --to pytorch|keras``: the spec as a Python module that builds the model.

Each layer says what code builds it (:meth:`~convcalc.layers.base.Layer.torch_code`,
:meth:`~convcalc.layers.base.Layer.keras_code`); this module assembles them in the spec's
order: an ``nn.Module`` with one attribute per layer (PyTorch's spellings; the names made into
Python identifiers) and a ``forward`` over the graph, or a function building a Keras functional
model with the spec's names. A shared layer's later calls reuse its module. PyTorch computes
in NCHW whatever the spec's data_format: a channels_last spec's inputs are taken as PyTorch
takes them, (N, C, H, W).
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from convcalc import atomic
from convcalc.errors import LayerError, Problem, SpecError, UsageError
from convcalc.report import Report
from convcalc.shapes import to_display
from convcalc.spec.model import LayerSpec, Spec

FRAMEWORKS = ("pytorch", "keras")


def identifier(name: str, taken: set[str]) -> str:
    """A Python identifier for a layer name (``3a_1x1`` -> ``l_3a_1x1``, ``layer1.0.conv1`` ->
    ``layer1_0_conv1``), never one already taken."""
    base = re.sub(r"\W", "_", name) or "layer"
    if base[0].isdigit() or keyword.iskeyword(base) or base in ("self", "x", "torch", "nn"):
        base = "l_" + base
    out, k = base, 1
    while out in taken:
        out, k = f"{base}_{k}", k + 1
    taken.add(out)
    return out


def class_name(name: str) -> str:
    words = re.split(r"\W|_", name)
    cls = "".join(w[:1].upper() + w[1:] for w in words if w) or "Model"
    return ("M" + cls) if cls[0].isdigit() else cls


def _fill(call: str, module: str, inputs: list[str]) -> str:
    text = call.replace("{m}", module).replace("{xs}", "[" + ", ".join(inputs) + "]")
    for i, name in enumerate(inputs):
        text = text.replace(f"{{x{i}}}", name)
    return text.replace("{x}", inputs[0] if inputs else "")


class Exporter:
    def __init__(self, spec: Spec, report: Report, framework: str) -> None:
        self.spec, self.report, self.framework = spec, report, framework
        self.taken: set[str] = set()
        self.var = {ls.name: identifier(ls.name, self.taken) for ls in spec.layers}
        self.problems: list[Problem] = []

    def code_of(self, ls: LayerSpec) -> object:
        row = self.report.row(ls.name)
        try:
            if self.framework == "pytorch":
                return ls.layer.torch_code(list(row.in_shapes))
            return ls.layer.keras_code(list(row.in_shapes))
        except LayerError as err:
            self.problems.append(ls.problem(err))
            return None

    def header(self, what: str) -> list[str]:
        t = self.report.totals
        return [
            f'"""{self.spec.name}: {what}, written by `convcalc export --to {self.framework}` '
            f"from {Path(self.spec.file).name}.",
            "",
            f"convcalc counts {t.params:,} params ({t.trainable_params:,} trainable) and "
            f"{t.macs:,} MACs per sample.",
            '"""',
            "",
        ]

    def pytorch(self) -> str:
        inputs = [ls for ls in self.spec.layers if ls.is_input]
        cls = class_name(self.spec.name)
        init, body = [], []
        for ls in self.spec.layers:
            if ls.is_input:
                continue
            code = self.code_of(ls)
            if code is None:
                continue
            owner = self.var[ls.shares] if ls.shares else self.var[ls.name]
            if not ls.shares:
                init += [f"        self.{owner}{suffix} = {src}" for suffix, src in code.modules]  # type: ignore[attr-defined]
            call = _fill(code.call, f"self.{owner}", [self.var[n] for n in ls.inputs])  # type: ignore[attr-defined]
            body.append(f"        {self.var[ls.name]} = {call}")
        outs = [self.var[n] for n in self.report.outputs]
        nchw = {ls.name: to_display(self.report.row(ls.name).shape, True) for ls in inputs}
        args = ", ".join(f"{self.var[ls.name]}: torch.Tensor" for ls in inputs)
        ret = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
        lines = self.header("a PyTorch nn.Module (NCHW)")
        lines += [
            "import torch",
            "from torch import nn",
            "",
            "# every input, one sample, as PyTorch lays it out (channels first)",
            f"INPUT_SHAPES = {nchw!r}",
            "",
            "",
            "def to_last(x: torch.Tensor) -> torch.Tensor:",
            '    """(N, C, ...) -> (N, ..., C)."""',
            "    return x.permute(0, *range(2, x.dim()), 1)",
            "",
            "",
            "def to_first(x: torch.Tensor) -> torch.Tensor:",
            '    """(N, ..., C) -> (N, C, ...)."""',
            "    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))",
            "",
            "",
            f"class {cls}(nn.Module):",
            "    def __init__(self) -> None:",
            "        super().__init__()",
            *(init or ["        pass"]),
            "",
            f"    def forward(self, {args}):  # noqa: ANN201",
            *body,
            f"        return {ret}",
            "",
            "",
            f"def build() -> {cls}:",
            f"    return {cls}()",
        ]
        return "\n".join(lines) + "\n"

    def keras(self) -> str:
        cf = self.spec.channels_first
        body = []
        shared: dict[str, str] = {}
        for ls in self.spec.layers:
            var = self.var[ls.name]
            if ls.is_input:
                shape = tuple(self.report.row(ls.name).output_shape)
                body.append(f"    {var} = keras.Input(shape={shape!r}, name={ls.name!r})")
                continue
            code = self.code_of(ls)
            if code is None:
                continue
            owner = ls.shares or ls.name
            mods = dict(code.modules)  # type: ignore[attr-defined]
            if ls.shares or any(other.shares == ls.name for other in self.spec.layers):
                if owner not in shared:
                    shared[owner] = f"layer_{self.var[owner]}"
                    for suffix, src in mods.items():
                        body.append(f"    {shared[owner]}{suffix} = {src}")
                module = shared[owner]
                call = _fill(code.call, module, [self.var[n] for n in ls.inputs])  # type: ignore[attr-defined]
            else:
                call = code.call.replace("{m}__pad", mods.get("__pad", "")).replace("{m}", mods[""])  # type: ignore[attr-defined]
                call = _fill(call, "", [self.var[n] for n in ls.inputs])
            body.append(f"    {var} = {call}")
        ins = [self.var[ls.name] for ls in self.spec.layers if ls.is_input]
        outs = [self.var[n] for n in self.report.outputs]
        lines = self.header("a Keras functional model" + (" (channels_first)" if cf else ""))
        lines += [
            "import keras",
            "from keras import layers",
            "",
            "",
            "def build() -> keras.Model:",
            *body,
            f"    return keras.Model(inputs=[{', '.join(ins)}], outputs=[{', '.join(outs)}], "
            f"name={self.spec.name!r})",
        ]
        return "\n".join(lines) + "\n"

    def render(self) -> str:
        text = self.pytorch() if self.framework == "pytorch" else self.keras()
        if self.problems:
            raise SpecError(self.problems)
        return text


def export_code(spec: Spec, report: Report, framework: str) -> str:
    if framework not in FRAMEWORKS:
        raise UsageError(f"--to must be one of {', '.join(FRAMEWORKS)}; received {framework!r}")
    return Exporter(spec, report, framework).render()


def write_export(text: str, out: str | Path, force: bool) -> None:
    target = Path(out)
    if target.exists() and not force:
        raise UsageError(f"{out} already exists; pass --force to overwrite it")
    try:
        atomic.write_text(target, text)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror}") from None
