"""What a layer kind tells the counting conventions (``summary --convention``, ``explain-count``)
and the PyTorch view: its operator class, the PyTorch module and function that compute it, and
the multiply-accumulate operations it is made of.

Every counting tool sees a network through PyTorch: torchinfo, thop and ptflops hook
``torch.nn`` modules, calflops and ptflops also patch ``torch.nn.functional`` functions, fvcore
and FlopCounterMode read ATen operators. So a layer states the PyTorch module class that builds
it (``Conv2d``, ``BatchNorm2d``, ``ReLU6``; "" for an operator such as ``+``) and the function
its ``forward`` calls (``conv2d``, ``batch_norm``, ``hardtanh``: what ``nn.ReLU6`` really
calls), and each weighted operation as a :class:`Part`. What a tool makes of those is the
tool's rule (:mod:`convcalc.analysis.conventions`), not the layer's.
"""

from __future__ import annotations

from typing import NamedTuple

# The operator classes of the per-operator breakdown, in the order it lists them.
OPERATORS = ("conv", "linear", "norm", "activation", "pool", "merge", "reshape", "other")


class TorchModule(NamedTuple):
    """How PyTorch computes a layer: ``cls`` the ``torch.nn`` module class ("" when PyTorch
    writes it as an operator or a tensor method, e.g. ``a + b``), ``function`` what its forward
    calls (a ``torch.nn.functional`` name, or an operator such as ``add``)."""

    cls: str
    function: str


class Part(NamedTuple):
    """One multiply-accumulate operation of a layer, as a framework runs it (a separable
    convolution is two: depthwise, then pointwise).

    ``macs``: convcalc's count (a transposed convolution on its input grid);
    ``output_grid_macs``: the same operation counted once per output position and channel, as
    the tools that multiply the kernel size by the output size do (more by about stride² for
    a transposed convolution, the same for every other operation); ``groups`` of a convolution
    (1 otherwise); ``bias_adds``: the bias additions that follow it (one per output element
    with a bias, 0 without); ``function``: the PyTorch function that computes it.
    """

    macs: int
    output_grid_macs: int
    groups: int
    bias_adds: int
    function: str
    # (kernel, stride, dilation, padding) per axis, PyTorch's arguments of the operation
    window: tuple[tuple[int, int, int, int], ...] = ()


# Keras activation names -> the PyTorch module and the function its forward calls
# (nn.ReLU6 and nn.Hardtanh call hardtanh; nn.SiLU is Keras's swish).
_ACTIVATION_MODULES = {
    "relu": TorchModule("ReLU", "relu"),
    "relu6": TorchModule("ReLU6", "hardtanh"),
    "sigmoid": TorchModule("Sigmoid", "sigmoid"),
    "tanh": TorchModule("Tanh", "tanh"),
    "softmax": TorchModule("Softmax", "softmax"),
    "log_softmax": TorchModule("LogSoftmax", "log_softmax"),
    "softplus": TorchModule("Softplus", "softplus"),
    "softsign": TorchModule("Softsign", "softsign"),
    "selu": TorchModule("SELU", "selu"),
    "elu": TorchModule("ELU", "elu"),
    "celu": TorchModule("CELU", "celu"),
    "gelu": TorchModule("GELU", "gelu"),
    "silu": TorchModule("SiLU", "silu"),
    "swish": TorchModule("SiLU", "silu"),
    "mish": TorchModule("Mish", "mish"),
    "hard_sigmoid": TorchModule("Hardsigmoid", "hardsigmoid"),
    "hard_silu": TorchModule("Hardswish", "hardswish"),
    "hard_swish": TorchModule("Hardswish", "hardswish"),
    "hard_tanh": TorchModule("Hardtanh", "hardtanh"),
    "leaky_relu": TorchModule("LeakyReLU", "leaky_relu"),
    "log_sigmoid": TorchModule("LogSigmoid", "logsigmoid"),
    "glu": TorchModule("GLU", "glu"),
    "tanh_shrink": TorchModule("Tanhshrink", "tanhshrink"),
    "hard_shrink": TorchModule("Hardshrink", "hardshrink"),
    "soft_shrink": TorchModule("Softshrink", "softshrink"),
    "threshold": TorchModule("Threshold", "threshold"),
    "exponential": TorchModule("", "exp"),
}


def activation_module(name: str | None) -> TorchModule | None:
    """The PyTorch module of a Keras activation name (None for none or 'linear')."""
    if not name or name == "linear":
        return None
    return _ACTIVATION_MODULES.get(name, TorchModule("", name))


def weighted_part(
    macs: int,
    function: str,
    bias_adds: int = 0,
    groups: int = 1,
    output_grid_macs: int = -1,
    window: tuple[tuple[int, int, int, int], ...] = (),
) -> Part:
    """A :class:`Part` whose output-grid count is its count unless given."""
    grid = macs if output_grid_macs < 0 else output_grid_macs
    return Part(macs, grid, groups, bias_adds, function, window)
