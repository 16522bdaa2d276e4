"""The layer contract: everything convcalc knows about a layer kind lives in its class.

A layer kind is one class with:

* ``kind`` (the Keras class name), ``aliases`` (PyTorch class names), a docstring whose first
  line summarises it, and ``formulas`` (shape, params and MACs in words; usually shared by a
  family, e.g. every ConvND);
* ``args``: ``{keras_name: Arg}``; an :class:`~convcalc.fields.Arg` knows its PyTorch
  spelling, its defaults (Keras's, and PyTorch's where they differ), its validator and its doc,
  so the loader, ``convcalc layers`` and the JSON Schema all read this one table;
* ``output_shape(inputs)``, ``weights(inputs)``, ``macs(inputs, output)``: integer arithmetic on
  canonical shapes (channels last, one sample), calling :mod:`convcalc.shapes`; each
  :class:`Weight` (:mod:`convcalc.layers.weight`) knows its Keras layout, its PyTorch name and
  axis order, and its initialiser;
* ``rf_step(inputs)``: what the layer does to a receptive field (:class:`Unchanged`,
  :class:`Window`, :class:`Shift`, :class:`Whole`, :class:`Merge` or :class:`Unknown`, in
  :mod:`convcalc.layers.rfstep`): there is no default, so a new kind must say;
* ``forward(xs, params)``: the NumPy execution (``--run``), importing :mod:`convcalc.ops`
  inside the method so that importing the layers never imports numpy;
* ``compare_role``: how ``convcalc compare`` may rewrite it (None: not a convolution);
* ``operator`` (its class in the per-operator breakdown), ``torch_module(inputs)`` (the PyTorch
  module and function that compute it: the PyTorch view and the counting tools' rules read
  them), ``parts(inputs, output)`` (its multiply-accumulate operations) and
  ``backward_macs(inputs, output)`` (see :mod:`convcalc.layers.counts`).

Layers raise :class:`~convcalc.errors.LayerError` for a rule that a given input breaks; the
engine attaches the layer's name, index and ``file:line:col``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from convcalc.errors import LayerError, Location
from convcalc.fields import REQUIRED, Arg
from convcalc.layers.counts import Part, TorchModule, weighted_part
from convcalc.layers.export import Code, kwargs, refuse
from convcalc.layers.rfstep import Merge, RFStep, Shift, Unchanged, Unknown, Whole, Window
from convcalc.layers.signature import _given, signature
from convcalc.layers.weight import Weight, depthwise_weight, kernel_weight, vector
from convcalc.shapes import Shape, to_display

__all__ = [
    "Arg",
    "CompareRole",
    "Layer",
    "LayerError",
    "Merge",
    "Part",
    "RFStep",
    "Shape",
    "Shift",
    "TorchModule",
    "Unchanged",
    "Unknown",
    "Weight",
    "Whole",
    "Window",
    "channels",
    "depthwise_weight",
    "kernel_weight",
    "spatial",
    "vector",
    "weighted_part",
]


# arguments only PyTorch has (checks of the input, or settings Keras has no name for)
TORCH_ONLY = (
    "in_channels",
    "in_features",
    "num_features",
    "inplace",
    "affine",
    "start_dim",
    "padding_mode",
    "ceil_mode",
    "count_include_pad",
)


# --- compare's view of a convolution -------------------------------------------------------------
class CompareRole(NamedTuple):
    """How ``convcalc compare SPEC`` treats a convolution kind.

    ``rewrites``: the transforms that apply (``separable``, ``grouped``, ``bottleneck``);
    ``skip``: the reason code shown for the others; ``separable``: the kind a separable
    rewrite becomes; ``pointwise``: the kind of a bottleneck's 1x1 reduction.
    """

    rewrites: frozenset[str] = frozenset()
    skip: str = ""
    separable: str = ""
    pointwise: str = ""


# --- shape helpers -------------------------------------------------------------------------------
def spatial(shape: Shape) -> Shape:
    return shape[:-1]


def channels(shape: Shape) -> int:
    return shape[-1]


class Layer:
    """Base of every layer kind. Subclasses set ``kind``, ``args``, the formulas, ``rf_step``
    and ``forward``."""

    kind: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    args: ClassVar[dict[str, Arg]] = {}
    formulas: ClassVar[str] = ""  # shape/params/MACs text shared by a family
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    input_rank: ClassVar[int | None] = None  # exact rank of each input (with channels), if fixed
    min_input_rank: ClassVar[int] = 1
    is_input: ClassVar[bool] = False  # the model's input (InputLayer)
    compare_role: ClassVar[CompareRole | None] = None
    operator: ClassVar[str] = "other"  # its class in the per-operator breakdown (counts.OPERATORS)
    torch_class: ClassVar[str] = ""  # PyTorch's module class where it has no alias (same name)
    torch_function: ClassVar[str] = ""  # what its PyTorch module's forward calls
    torch_buffers: ClassVar[int] = 0  # scalar buffers PyTorch adds (num_batches_tracked)

    def __init__(
        self,
        values: dict[str, Any],
        *,
        name: str = "",
        channels_first: bool = False,
        loc: Location | None = None,
        arg_locs: Mapping[str, Location] | None = None,
        index: int = -1,
        spelling: str = "",
    ) -> None:
        self.name = name
        self.channels_first = channels_first
        self.loc = loc or Location("<spec>")
        self.arg_locs = arg_locs or {}
        self.index = index
        self.torch_spelling = spelling in self.aliases  # written with PyTorch's class name
        self.spelling = spelling or self.kind
        self.given = _given(values)  # the arguments the spec wrote
        # only the written values live in the instance; the defaults are shared per kind:
        # Keras's are class attributes, PyTorch's differing ones are added to a layer written
        # in PyTorch's spelling (100,000 layers would otherwise hold 100,000 copies)
        self.__dict__.update(values)
        changed = type(self).__dict__.get("_torch_changes")
        if changed is None:
            changed = type(self).install_defaults()
        if self.torch_spelling and changed:
            for key, value in changed.items():
                if key not in values:
                    self.__dict__[key] = value
        self.post_init()
        # what the formulas depend on: layers alike in it have the same counts for the same
        # inputs (the engine reuses them; None when a value is not hashable)
        self.signature = signature(self)

    if not TYPE_CHECKING:  # hidden from mypy, which would accept any attribute name otherwise

        def __getattr__(self, name: str) -> Any:
            """An argument the spec did not write: its default (only called when neither the
            instance nor the class has the attribute)."""
            defaults = type(self).defaults(self.__dict__.get("torch_spelling", False))
            if name in defaults:
                return defaults[name]
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @classmethod
    def torch_names(cls) -> dict[str, str]:
        """PyTorch spelling -> Keras name of every argument that has one; computed once."""
        found: dict[str, str] | None = cls.__dict__.get("_torch_names")
        if found is None:
            found = {a.torch: k for k, a in cls.args.items() if a.torch}
            type.__setattr__(cls, "_torch_names", found)
        return found

    @classmethod
    def required_args(cls) -> tuple[str, ...]:
        """The arguments without a default, in their order; computed once."""
        found: tuple[str, ...] | None = cls.__dict__.get("_required_args")
        if found is None:
            found = tuple(k for k, a in cls.args.items() if a.default is REQUIRED)
            type.__setattr__(cls, "_required_args", found)
        return found

    @classmethod
    def install_defaults(cls) -> dict[str, Any]:
        """Make every argument's Keras default a class attribute (a layer finds it as fast as
        a written value; ``__getattr__`` stays the fallback) and return the defaults that
        PyTorch's spelling changes. Once per kind; a name the class or a base class defines
        for itself is left alone."""
        keras, torch = cls.defaults(False), cls.defaults(True)
        installed = set()
        for key, value in keras.items():
            if not any(
                key in base.__dict__ and key not in base.__dict__.get("_installed", ())
                for base in cls.__mro__
            ):
                type.__setattr__(cls, key, value)
                installed.add(key)
        changed = {
            k: v
            for k, v in torch.items()
            if k in installed and (type(v) is not type(keras[k]) or v != keras[k])
        }
        type.__setattr__(cls, "_installed", frozenset(installed))
        type.__setattr__(cls, "_torch_changes", changed)
        return changed

    @classmethod
    def defaults(cls, torch_spelling: bool) -> dict[str, Any]:
        """Every argument's default, through its validator (strides=1 becomes (1, 1)), for the
        Keras or the PyTorch spelling; computed once per kind."""
        cache = cls.__dict__.get("_defaults")
        if cache is None:
            cache = {}
            type.__setattr__(cls, "_defaults", cache)
        found: dict[str, Any] | None = cache.get(torch_spelling)
        if found is None:
            found = {}
            for key, arg in cls.args.items():
                default = arg.default_for(torch_spelling)
                found[key] = None if default is None or default is REQUIRED else arg.parse(default)
            cache[torch_spelling] = found
        return found

    def post_init(self) -> None:
        """Derive defaults that depend on other arguments (e.g. strides = pool_size)."""

    @classmethod
    def documentation(cls) -> str:
        """The kind's docstring followed by its family's formulas (``convcalc layers KIND``)."""
        own = inspect.cleandoc(cls.__doc__ or "")
        return own + ("\n\n" + inspect.cleandoc(cls.formulas) if cls.formulas else "")

    @classmethod
    def summary(cls) -> str:
        """The first paragraph of the documentation, on one line."""
        return cls.documentation().replace("``", "").split("\n\n")[0].replace("\n", " ")

    # --- checks that need no input shape -------------------------------------------------------
    def validate(self) -> list[LayerError]:
        """Cross-argument rules (e.g. groups dividing filters). Override; return every failure."""
        return []

    # --- the formulas (canonical shapes, one sample) -------------------------------------------
    def output_shape(self, inputs: list[Shape]) -> Shape:
        raise NotImplementedError

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return []

    def macs(self, inputs: list[Shape], output: Shape) -> int:
        return 0

    def result_shape(self, inputs: list[Shape], output: Shape) -> Shape:
        """The shape after a fused activation (only ``glu`` changes it); see
        :func:`convcalc.layers.common.activation_shape`."""
        return output

    # --- export (convcalc export; see convcalc.layers.export) ---------------------------------
    def torch_code(self, inputs: list[Shape]) -> Code:
        """The PyTorch modules and forward expression of this layer."""
        raise refuse(self.kind, "pytorch")

    def keras_args(self) -> dict[str, Any]:
        """The Keras constructor arguments: the ones the spec gave, with Keras's names."""
        out: dict[str, Any] = {}
        for key in sorted(self.given, key=list(self.args).index):
            if key in self.args and key not in TORCH_ONLY and self.args[key].shape_relevant:
                out[key] = getattr(self, key)
        if "activation" in self.given and "activation" in self.args:
            out["activation"] = getattr(self, "activation")  # noqa: B009  (set by __init__)
        return out

    def keras_code(self, inputs: list[Shape]) -> Code:
        """The Keras layer of this layer; the spec's vocabulary is Keras's."""
        args = self.keras_args()
        if "data_format" in self.args and self.channels_first:
            args["data_format"] = "channels_first"
        ctor = f"layers.{self.kind}({kwargs(**args, name=self.name)})"
        return Code((("", ctor),), "{m}({x})" if self.max_inputs == 1 else "{m}({xs})")

    # --- what the counting conventions and the PyTorch view read (convcalc.layers.counts) ---
    def torch_module(self, inputs: list[Shape]) -> TorchModule:
        """The PyTorch module that builds this layer and the function its forward calls: the
        class name it was written with, else its first PyTorch alias."""
        if self.torch_spelling:
            return TorchModule(self.spelling, self.torch_function)
        return TorchModule(
            self.aliases[0] if self.aliases else self.torch_class, self.torch_function
        )

    def fused_module(self) -> TorchModule | None:
        """The PyTorch module of a fused ``activation`` (see FusedActivation); None here."""
        return None

    def parts(self, inputs: list[Shape], output: Shape) -> tuple[Part, ...]:
        """The multiply-accumulate operations of this layer (their MACs add up to
        :meth:`macs`): one for a layer that has MACs, computed by ``torch_function``."""
        macs = self.macs(inputs, output)
        return (weighted_part(macs, self.torch_function),) if macs else ()

    def backward_macs(self, inputs: list[Shape], output: Shape) -> tuple[int, int]:
        """MACs of the backward pass: (input gradient, weight gradient). A weighted operation
        costs its forward MACs for each (the input gradient is the transposed operation on the
        output gradient, the weight gradient correlates input and output gradient); the engine
        drops the input gradient where no earlier layer needs it. Element-wise layers: 0."""
        macs = sum(p.macs for p in self.parts(inputs, output))
        return macs, macs

    # what autograd keeps of a layer for the backward pass (the training memory estimate):
    # "input", "output" or "" (nothing of activation size); PyTorch's saved tensors
    keeps: ClassVar[str] = "input"

    def kept_extra_bytes(self, inputs: list[Shape], output: Shape) -> tuple[int, int]:
        """Bytes it keeps for backward beyond ``keeps``: (per sample, per batch), e.g. max
        pooling's int64 indices, BatchNorm's float32 batch mean and inverse std."""
        return 0, 0

    def not_analysable(self) -> str:
        """Why convcalc cannot count this layer (its MACs are unknown); "" for every kind that
        it can (see :mod:`convcalc.layers.opaque`)."""
        return ""

    def rf_step(self, inputs: list[Shape]) -> RFStep:
        """What this layer does to a receptive field, for these (canonical) input shapes."""
        raise NotImplementedError(f"{self.kind} declares no receptive-field step")

    # --- execution (--run) ---------------------------------------------------------------------
    def forward(self, xs: list[Any], params: dict[str, Any]) -> Any:
        """Execute on float32 arrays: ``xs`` batch-first, canonical channels-last
        ``(N, spatial..., C)``; ``params`` weight name -> array in the Keras layout of
        :meth:`weights`."""
        raise NotImplementedError(f"{self.kind} has no forward")

    def forward_then(self, xs: list[Any], params: dict[str, Any], epilogue: Any) -> Any:
        """:meth:`forward` with ``epilogue`` (in place, element-wise) applied to the output, as
        a convolution applies its activation (the kinds that :meth:`takes_epilogue`)."""
        raise NotImplementedError(f"{self.kind} takes no epilogue")

    def takes_epilogue(self) -> bool:
        """Whether :meth:`forward_then` can fuse element-wise layers after this one (a
        convolution without an activation of its own)."""
        return self._then_is_forward() and getattr(self, "activation", None) in (None, "linear")

    def _then_is_forward(self) -> bool:
        """Whether this kind's :meth:`forward_then` is its :meth:`forward` (defined with or
        after it): a subclass with a forward of its own, as the transposed convolution over the
        convolution, does not inherit the other's epilogues."""
        mro = type(self).__mro__
        then = next(c for c in mro if "forward_then" in c.__dict__)
        fwd = next(c for c in mro if "forward" in c.__dict__)
        return then is not Layer and issubclass(then, fwd)

    def as_matmul(self, shape: Shape, params: dict[str, Any]) -> tuple[Any, Any, Any] | None:
        """(C, F) weights, bias, activation if its forward is one GEMM over the channels."""
        return None

    def epilogue(self, shape: tuple[int, ...], params: dict[str, Any]) -> Any:
        """This layer's forward as an in-place element-wise function on any slab of an input
        of canonical ``shape`` (batch first), giving the same values as :meth:`forward`; None
        for the kinds that are not element-wise or not in place."""
        return None

    # --- helpers -------------------------------------------------------------------------------
    def check_rank(self, inputs: list[Shape]) -> None:
        for shape in inputs:
            if self.input_rank is not None and len(shape) != self.input_rank:
                nsp = self.input_rank - 1
                raise LayerError(
                    f"expects an input with {nsp} spatial axis{'es' if nsp != 1 else ''} and a "
                    f"channel axis (rank {self.input_rank}); received shape {self.show(shape)}",
                    hint="check the spec's input shape, or add Reshape/Flatten before this layer",
                )
            if len(shape) < self.min_input_rank:
                raise LayerError(
                    f"expects an input of rank >= {self.min_input_rank}; "
                    f"received shape {self.show(shape)}"
                )

    def check_given(
        self, arg: str, given: int | None, actual: int, what: str, shape: Shape
    ) -> None:
        """PyTorch's redundant sizes (``in_channels``, ``in_features``, ``num_features``) must
        match the input when given."""
        if given is not None and given != actual:
            raise LayerError(
                f"{arg}={given} but the input has {actual} {what} (shape {self.show(shape)})",
                arg=arg,
                hint=f"set {arg}: {actual}, or drop it: convcalc infers it",
            )

    def show(self, shape: Shape) -> str:
        """A shape as the user sees it (in the spec's data_format), for messages."""
        return str(to_display(shape, self.channels_first))
