"""The one-layer flags (``--input``, ``--kernel``, ``--stride``, ...), declared once and added
to every command that describes one layer from flags (``conv``, ``pool``, ``transpose``,
``explain``, ``matrix``); the command receives them as one ``flags: LayerFlags``."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import typer

from convcalc.cli.options import _evaluate


class Flag(NamedTuple):
    param: str
    annotation: Any
    default: Any = None


def _opt(*names: str, help: str) -> Any:
    return typer.Option(*names, help=help, show_default=False)


FLAGS = {
    "input": Flag(
        "input",
        Annotated[
            str | None,
            _opt(
                "--input",
                "-i",
                help="HxW (one channel), HxWxC (CxHxW with --channels-first) or NxCxHxW (a "
                "PyTorch batch: channels first, costs for all N).",
            ),
        ],
    ),
    "filters": Flag(
        "filters",
        Annotated[
            int | None,
            _opt("--filters", "-n", help="Output channels (default: as many as the input)."),
        ],
    ),
    "kernel": Flag(
        "kernel",
        Annotated[
            str | None,
            _opt(
                "--kernel",
                "-k",
                help="K or KhxKw, or a kernel's values: '[[0, 1], [2, 3]]' (one channel in, "
                "one out).",
            ),
        ],
    ),
    "stride": Flag(
        "stride",
        Annotated[
            str | None,
            _opt("--stride", "--strides", "-s", help="S or SHxSW. [default: 1; pools: K]"),
        ],
    ),
    "padding": Flag(
        "padding",
        Annotated[
            str | None,
            _opt(
                "--padding",
                "-p",
                help="valid, same (Keras: ceil(n/s), the odd pixel at the end), P or PhxPw "
                "(zeros on both sides, PyTorch's padding=), or [[top, bottom], [left, right]]. "
                "[default: valid]",
            ),
        ],
    ),
    "dilation": Flag(
        "dilation",
        Annotated[str | None, _opt("--dilation", "-d", help="D or DHxDW. [default: 1]")],
    ),
    "groups": Flag(
        "groups", Annotated[int, typer.Option("--groups", "-g", help="Channel groups.")], 1
    ),
    "bias": Flag(
        "bias", Annotated[bool, typer.Option("--bias/--no-bias", help="Add a bias.")], True
    ),
    "channels_first": Flag(
        "channels_first",
        Annotated[
            bool,
            typer.Option(
                "--channels-first", help="Read --input as CxHxW; PyTorch's names and layouts."
            ),
        ],
        False,
    ),
    "torch": Flag(
        "torch",
        Annotated[
            bool | None,
            typer.Option(
                "--torch/--keras",
                help="Write the layer with PyTorch's class (its defaults and transposed rule, "
                "weights as PyTorch stores them) or Keras's. [default: PyTorch for a "
                "channels-first input]",
                show_default=False,
            ),
        ],
    ),
    "ceil_mode": Flag(
        "ceil_mode",
        Annotated[bool, typer.Option("--ceil-mode", help="PyTorch's ceil_mode (pooling).")],
        False,
    ),
    "output_padding": Flag(
        "output_padding",
        Annotated[
            str | None,
            _opt("--output-padding", help="Transposed: extra size on the far side, P or PhxPw."),
        ],
    ),
}


def with_layer_flags(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Add the named flags to a command (after its own parameters); the command receives them
    as ``flags: dict[str, Any]`` (the values by parameter name)."""

    def wrap(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command)
        own = [
            p.replace(annotation=_evaluate(p.annotation, command))
            for p in signature.parameters.values()
            if p.name != "flags"
        ]
        extra = [
            inspect.Parameter(
                FLAGS[n].param,
                inspect.Parameter.KEYWORD_ONLY,
                default=FLAGS[n].default,
                annotation=FLAGS[n].annotation,
            )
            for n in names
        ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            values = {n: kwargs.pop(FLAGS[n].param) for n in names}
            command(*args, flags=values, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=own + extra)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
        del wrapper.__wrapped__
        return wrapper

    return wrap


def layer_flags(kind: str, values: dict[str, Any], **extra: Any) -> Any:
    """The :class:`~convcalc.tools.onelayer.LayerFlags` of a command's flag values."""
    from convcalc.tools.onelayer import LayerFlags

    torch = values.pop("torch", None)
    framework = None if torch is None else ("torch" if torch else "keras")
    return LayerFlags(kind=kind, framework=framework, **values, **extra)
