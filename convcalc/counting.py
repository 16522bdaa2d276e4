"""What convcalc counts, and the convention every count follows (the README says it once too).

* params = weights + biases; Keras's BatchNormalization has 4·C, of which the 2·C moving
  statistics are non-trainable; ``trainable: false`` makes all of a layer's weights
  non-trainable.
* MACs = weight multiply-accumulates per sample (fvcore's convention): bias adds, activations,
  pooling, normalisation and merges are 0. torchinfo also counts one MAC per bias add; that is
  ``prod(out_spatial)·filters`` more per biased convolution. FLOPs = 2·MACs.
* transposed convolutions are counted on the INPUT grid, as PyTorch's FlopCounterMode does
  (counting on the output grid over-counts by about stride²).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

# bytes per element of each dtype that sizes can be given in
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}
# the counting conventions (convcalc.analysis.conventions), named here so that the command line
# can list them without importing the analysis
CONVENTIONS = (
    "keras",
    "torch",
    "torchinfo",
    "fvcore",
    "ptflops",
    "thop",
    "flopcounter",
    "calflops",
)


def macs_note(per_sample: bool = True) -> str:
    """The one-sentence statement of the MAC convention that outputs print under their table."""
    return (
        f"MACs: weight multiply-accumulates{' per sample' if per_sample else ''}, bias adds "
        f"excluded; FLOPs = 2 x MACs."
    )


@dataclass(frozen=True)
class Totals:
    """A model's (or a block's) counts."""

    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int

    @property
    def flops(self) -> int:
        """FLOPs = 2·MACs (one multiply and one add each)."""
        return 2 * self.macs

    def param_bytes(self, dtype: str = "float32") -> int:
        return self.params * DTYPE_BYTES[dtype]

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in TOTAL_FIELDS}


# the totals, in their order: expect: keys, JSON fields, check rows and diff rows all use these
TOTAL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Totals))
