"""The options of ``summary`` that choose what its table shows: columns, chart, counting
convention, dtype of sizes, the memory and operator sections, grouping for --depth, width."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from convcalc.counting import CONVENTIONS


class Dtype(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"


ConventionName = Enum("ConventionName", {n: n for n in CONVENTIONS}, type=str)  # type: ignore[misc]


class GroupBy(str, Enum):
    blocks = "blocks"
    names = "names"


ColumnsOpt = Annotated[
    str | None,
    typer.Option(
        "--columns",
        "-c",
        help="The columns after the layer, comma-separated, by torchinfo's names: input_size, "
        "output_size, kernel_size, num_params, trainable, mult_adds, flops, params_percent, "
        "mult_adds_percent, backward_mult_adds, activation_size, receptive_field, rf_jump, "
        "rf_start, connected_to (short: input, output, kernel, params, macs, rf, ...). "
        "Default: output_size,num_params,mult_adds (and connected_to for a graph).",
        show_default=False,
    ),
]
ChartOpt = Annotated[
    bool, typer.Option("--chart", help="A bar per row: its share of the MACs (or FLOPs).")
]
ConventionOpt = Annotated[
    ConventionName | None,
    typer.Option(
        "--convention",
        help="Count as this does: keras (BatchNorm's statistics are non-trainable params), "
        "torch (they are buffers), or what torchinfo 1.8, fvcore 0.1.5, thop 0.1.1, ptflops "
        "0.7.5, calflops 0.3.2 or flopcounter (FlopCounterMode, torch 2.14) print, quirks "
        "included. Default: torch for a spec written in PyTorch's vocabulary, else keras. "
        "With --format json: a convention object. See also convcalc explain-count.",
        show_default=False,
    ),
]
DtypeOpt = Annotated[
    Dtype, typer.Option("--dtype", help="Element type of every size (params, activations).")
]
MemoryOpt = Annotated[
    bool,
    typer.Option(
        "--memory",
        help="Add the memory section: input, parameters, activations, peak inference over the "
        "graph and a training step with SGD / Adam, each with its assumptions (with --format "
        "json: a memory object, in bytes).",
    ),
]
OperatorsOpt = Annotated[
    bool,
    typer.Option(
        "--operators",
        help="Add a table per operator class (conv, linear, norm, activation, pool, merge, "
        "reshape) with forward and backward MACs.",
    ),
]
GroupOpt = Annotated[
    GroupBy | None,
    typer.Option(
        "--group-by",
        help="What --depth folds: block uses (blocks:) or dotted names (layer1.0.conv1 is in "
        "layer1.0, in layer1). Default: blocks if the spec has any, else names.",
        show_default=False,
    ),
]
WidthOpt = Annotated[
    int | None,
    typer.Option(
        "--width",
        min=0,
        help="Fit tables to this width (0: no limit). Default: $COLUMNS, else the terminal's "
        "width, else none (pipes and files get full lines). Only line breaks change, never "
        "the content; --format json/csv/markdown are never fitted.",
        show_default=False,
    ),
]
