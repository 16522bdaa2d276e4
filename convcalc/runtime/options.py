"""The options of a run (``--run``, ``convcalc run``, :func:`convcalc.run`): one record.

No numpy here: the CLI builds this before the runtime (and numpy) is imported.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from convcalc.atomic import check_destination


@dataclass
class RunOptions:
    """How to execute a spec with the NumPy ops."""

    seed: int = 0  # seed of the random input and weights
    input_path: Path | None = None  # .npy (one sample or a batch) or .npz keyed by input name
    batch: int | None = None  # default 1, or the batch of the input file
    weights_path: Path | None = None  # .npz keyed '<layer>/<weight>'
    weights_layout: str = "keras"  # keras | torch
    output: Path | None = None  # save every layer's activation here (.npz)
    force: bool = False  # let output replace a file
    repeat: int | None = None  # None: one pass; N: a warm-up, then N timed passes
    threads: int | None = None  # BLAS threads
    true_convolution: bool = False  # flip kernels (true convolution)
    keep_activations: bool = False  # keep every layer's output (implied by output)
    max_memory: str | int | None = None  # refuse a run estimated above this (default: available)
    # values typed inline (--input-values, --weight: convcalc.runtime.inline reads them into
    # input_arrays / weight_arrays once the spec is analysed)
    input_values: list[str] | None = None
    weight_values: list[str] | None = None
    input_arrays: dict[str, Any] | None = None  # input name -> array (1, *sample), spec layout
    weight_arrays: dict[str, Any] | None = None  # '<layer>/<weight>' -> array (weights_layout)
    values: bool | None = None  # print the values of small tensors (None: when they are small)

    @property
    def keeps_activations(self) -> bool:
        return self.keep_activations or self.output is not None

    def check_output(self) -> None:
        """``output`` must be writable, and not replace a file unless forced: checked before
        the run starts, so that a run never ends in an error after its work is done."""
        if self.output is not None:
            check_destination(self.output, self.force, "--output")

    def changed(self) -> list[str]:
        """The names of the options set to something other than their default."""
        default = RunOptions()
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)]
