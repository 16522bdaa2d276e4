"""The options several commands share, declared once: formats, colour, and the run options
(``summary --run`` and ``run``), which :func:`with_run_options` adds to a command and hands
over as one :class:`~convcalc.runtime.options.RunOptions`."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

if TYPE_CHECKING:
    from convcalc.runtime.options import RunOptions


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    csv = "csv"


class Layout(str, Enum):
    keras = "keras"
    torch = "torch"


SpecPath = Annotated[
    Path,
    typer.Argument(
        help="A spec: YAML (e.g. specs/vgg16.yaml), a Keras model.to_json() (.json) or "
        "archive (.keras), an ONNX graph (.onnx), or the name of a zoo spec (e.g. resnet50; "
        "`convcalc zoo` lists them).",
        show_default=False,
        metavar="SPEC",
    ),
]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="text for people; json, markdown or csv for machines and PR comments.",
    ),
]
ColorOpt = Annotated[
    bool | None,
    typer.Option(
        "--color/--no-color",
        help="Colour the table (default: when writing to a terminal).",
        show_default=False,
    ),
]


def use_color(color: bool | None) -> bool:
    """``--color/--no-color``, or whether standard output is a terminal."""
    return sys.stdout.isatty() if color is None else color


class RunFlag(NamedTuple):
    """One run option on the command line: its parameter, its RunOptions field, its flag."""

    param: str
    field: str
    flag: str
    annotation: Any
    default: Any = None


RUN_FLAGS = (
    RunFlag(
        "seed",
        "seed",
        "--seed",
        Annotated[int, typer.Option(help="Seed of the random input and weights.")],
        0,
    ),
    RunFlag(
        "input",
        "input_path",
        "--input",
        Annotated[
            Path | None,
            typer.Option(
                "--input",
                help="Input .npy: one sample or a batch, in the spec's data_format (an .npz "
                "keyed by input name for several inputs). Default: seeded N(0, 1).",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "input_values",
        "input_values",
        "--input-values",
        Annotated[
            list[str] | None,
            typer.Option(
                "--input-values",
                help="The input typed inline instead of --input: a matrix literal such as "
                "'[[0, 1, 2], [3, 4, 5], [6, 7, 8]]', '[0 1; 2 3]' or 'arange(9)' (axes of "
                "size 1 may be left out); NAME=LITERAL for each input of a spec with several.",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "weight_values",
        "weight_values",
        "--weight",
        Annotated[
            list[str] | None,
            typer.Option(
                "--weight",
                help="One weight typed inline, LAYER/WEIGHT=LITERAL (LAYER=LITERAL: its "
                "kernel), in the --weights-layout; repeat for more. The others stay seeded "
                "(or come from --weights).",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "values",
        "values",
        "--values",
        Annotated[
            bool | None,
            typer.Option(
                "--values/--no-values",
                help="Print the input, weights and every output as matrices per channel "
                "(default: when every tensor is small).",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "batch",
        "batch",
        "--batch",
        Annotated[
            int | None,
            typer.Option(
                min=1, help="Batch size of the random input (default 1).", show_default=False
            ),
        ],
    ),
    RunFlag(
        "weights",
        "weights_path",
        "--weights",
        Annotated[
            Path | None,
            typer.Option(
                help="Weights .npz keyed '<layer>/<weight>' (or '<layer>.<weight>'). Default: "
                "seeded Keras initialisers (glorot_uniform kernels, zero biases).",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "weights_layout",
        "weights_layout",
        "--weights-layout",
        Annotated[
            Layout,
            typer.Option(
                "--weights-layout",
                help="keras: Keras layouts and names (kernel (k..., C_in, F)); "
                "torch: PyTorch's (weight (F, C_in, k...), running_mean, ...).",
            ),
        ],
        Layout.keras,
    ),
    RunFlag(
        "output",
        "output",
        "--output",
        Annotated[
            Path | None,
            typer.Option(
                help="Save every layer's activation (batch first, spec layout) to this .npz.",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "force",
        "force",
        "--force",
        Annotated[bool, typer.Option("--force", help="Overwrite the --output file.")],
        False,
    ),
    RunFlag(
        "repeat",
        "repeat",
        "--repeat",
        Annotated[
            int | None,
            typer.Option(
                min=1, help="A warm-up, then N timed passes; times are medians.", show_default=False
            ),
        ],
    ),
    RunFlag(
        "threads",
        "threads",
        "--threads",
        Annotated[
            int | None,
            typer.Option(
                min=1,
                help="Threads: OpenBLAS's, and those of the batch shards or split layers "
                "of repeated passes (default: OpenBLAS's own, one per core).",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "max_memory",
        "max_memory",
        "--max-memory",
        Annotated[
            str | None,
            typer.Option(
                "--max-memory",
                metavar="SIZE",
                help="Refuse a run whose estimated peak memory is above SIZE (e.g. 8GiB); "
                "default: the memory available when it starts.",
                show_default=False,
            ),
        ],
    ),
    RunFlag(
        "true_convolution",
        "true_convolution",
        "--true-convolution",
        Annotated[
            bool,
            typer.Option(
                "--true-convolution",
                help="Flip kernels: true convolution instead of the frameworks' cross-correlation.",
            ),
        ],
        False,
    ),
)


def given_flags(opts: RunOptions) -> list[str]:
    """The run flags set to something other than their default, as the user typed them."""
    changed = set(opts.changed())
    return [f.flag for f in RUN_FLAGS if f.field in changed]


def _evaluate(annotation: Any, command: Callable[..., None]) -> Any:
    """A parameter's annotation as typer needs it (the object, not the string)."""
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, command.__globals__)


def with_run_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the run options to ``command``'s parameters (after its own); the command receives
    them as one ``opts: RunOptions`` argument."""
    signature = inspect.signature(command)  # annotations as written (strings)
    own = [
        p.replace(annotation=_evaluate(p.annotation, command))
        for p in signature.parameters.values()
        if p.name != "opts"
    ]
    extra = [
        inspect.Parameter(
            f.param, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.annotation
        )
        for f in RUN_FLAGS
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from convcalc.runtime.options import RunOptions  # not needed to start the program

        values = {f.field: kwargs.pop(f.param) for f in RUN_FLAGS}
        if isinstance(values["weights_layout"], Enum):
            values["weights_layout"] = values["weights_layout"].value
        command(*args, opts=RunOptions(**values), **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + extra)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
    del wrapper.__wrapped__  # typer must read the new signature, not the command's
    return wrapper
