"""The memory section of ``summary --memory``: what a network needs in memory, from its
Report alone, each figure with its assumptions.

* input: the input tensors; parameters: every weight, buffers included;
* forward activations: every layer's output once (what keeping them all, e.g. ``run
  --output``, holds);
* peak inference: inputs + parameters + the largest set of activations alive at once when the
  layers run in spec order and each activation is freed after its last consumer (the model's
  outputs are kept): :func:`convcalc.analysis.memory.estimate`, the estimate ``run`` refuses
  by, without the runtime's own working buffers and interpreter; in-place operations (PyTorch's
  ``ReLU(inplace=True)``) need less;
* training, one step: inputs + parameters + their gradients + the optimizer's state (SGD none,
  SGD with momentum one buffer, Adam two per trainable parameter) + the activations autograd
  keeps for the backward pass (each layer's ``keeps``: the input of a convolution, Linear,
  normalisation or pooling, the output of an activation, nothing of a sum or a reshape; each
  tensor once, however many layers keep it; plus max pooling's indices, BatchNorm's batch
  statistics, dropout's mask); the transient gradients of the backward pass itself are not
  counted.
"""

from __future__ import annotations

from typing import NamedTuple

from convcalc.analysis.memory import estimate
from convcalc.report import Report

OPTIMIZERS = {"SGD": 0, "SGD with momentum": 1, "Adam": 2}  # state tensors per parameter


class Footprint(NamedTuple):
    """Bytes, for ``batch`` samples at ``itemsize`` bytes per element."""

    batch: int
    itemsize: int
    inputs: int
    params: int
    trainable: int  # bytes of the trainable parameters (and so of their gradients)
    activations: int  # every layer's output once
    peak_live: int  # the activations alive at the inference peak
    peak_layer: str
    kept: int  # what autograd keeps for backward

    @property
    def inference(self) -> int:
        return self.inputs + self.params + self.peak_live

    def training(self, state: int) -> int:
        """One training step with ``state`` optimizer buffers per trainable parameter."""
        return self.inputs + self.params + self.trainable * (1 + state) + self.kept


def footprint(report: Report, batch: int = 1, itemsize: int = 4) -> Footprint:
    est = estimate(report, batch, keep_all=False, itemsize=itemsize)
    size = {r.name: r.output_elements * batch * itemsize for r in report.rows}
    kept: set[str] = set()
    extra = 0
    for r in report.rows:
        if r.keeps == "input":
            kept.update(r.inputs)
        elif r.keeps == "output":
            kept.add(r.name)
        extra += r.kept_extra_bytes[0] * batch + r.kept_extra_bytes[1]
    layers = [r for r in report.rows if not r.is_input]
    return Footprint(
        batch,
        itemsize,
        est.inputs,
        est.weights,
        sum(r.trainable_params for r in report.rows) * itemsize,
        sum(size[r.name] for r in layers),
        est.activations,
        est.peak_layer,
        sum(size[n] for n in kept if not report.row(n).is_input) + extra,  # inputs: above
    )
