"""The commands that move a model between convcalc and the frameworks: ``import`` (a Keras or
ONNX file as a YAML spec) and ``export`` (a spec as PyTorch or Keras code)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from convcalc.cli.boundary import app
from convcalc.cli.commands import emit
from convcalc.cli.options import SpecPath

Source = Annotated[
    Path,
    typer.Argument(
        help="A Keras model.to_json() (.json), a Keras archive (.keras) or an ONNX graph (.onnx).",
        show_default=False,
        metavar="SRC",
    ),
]
Output = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write here (default: standard output).", show_default=False
    ),
]
Force = Annotated[bool, typer.Option("--force", help="Let --output replace a file.")]


@app.command("import")
def import_command(src: Source, output: Output = None, force: Force = False) -> None:
    """Write SRC as a readable YAML spec with the framework's layer names.

    The spec gives the same layers, shapes, params and MACs as SRC (checked before it is
    written), and an expect: block with its totals, so `convcalc check` guards it in CI.
    Arguments equal to their defaults are left out. No TensorFlow, Keras or PyTorch needed.

    Examples:

      convcalc import model.json -o model.yaml

      convcalc import model.keras

      convcalc import resnet18.onnx -o resnet18.yaml
    """
    from convcalc.tools.import_spec import import_text, write_import

    if output is None:
        emit(import_text(src))
        return
    write_import(src, output, force)
    typer.echo(f"wrote {output}", err=True)


class Framework(str, Enum):
    pytorch = "pytorch"
    keras = "keras"


@app.command()
def export(
    spec: SpecPath,
    to: Annotated[
        Framework,
        typer.Option(
            "--to",
            help="pytorch: an nn.Module with PyTorch's spellings (NCHW); keras: a Keras "
            "functional model with the spec's names.",
        ),
    ],
    output: Output = None,
    force: Force = False,
) -> None:
    """Write SPEC as a Python module that builds the model: build() returns it.

    The module needs only torch or keras. Its parameter counts and output shapes are
    convcalc's (PyTorch counts BatchNorm's running statistics as buffers, not parameters).

    Examples:

      convcalc export specs/vgg16.yaml --to pytorch -o vgg16_torch.py

      convcalc export specs/mobilenet_v1.yaml --to keras
    """
    from convcalc.analysis import analyze, load_spec
    from convcalc.tools.export import export_code, write_export

    loaded = load_spec(spec)
    text = export_code(loaded, analyze(loaded), to.value)
    if output is None:
        emit(text)
        return
    write_export(text, output, force)
    typer.echo(f"wrote {output}", err=True)
