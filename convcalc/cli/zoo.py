"""The ``zoo`` command: the specs that ship with convcalc."""

from __future__ import annotations

from typing import Annotated

import typer

from convcalc.cli.boundary import app
from convcalc.cli.commands import emit
from convcalc.cli.options import Format, FormatOpt
from convcalc.errors import UsageError


@app.command()
def zoo(
    action: Annotated[
        str | None,
        typer.Argument(
            help="show: print the YAML of the spec NAME (without it: list the zoo).",
            show_default=False,
            metavar="show",
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Argument(
            help="A zoo spec's name, e.g. resnet50.", show_default=False, metavar="NAME"
        ),
    ] = None,
    fmt: FormatOpt = Format.text,
) -> None:
    """List the specs that ship with convcalc, with their totals and the published sources of
    their expected values; `convcalc zoo show NAME` prints one spec's YAML.

    A zoo name works wherever a spec file does (summary, check, compare, diff, run) when no
    file of that name exists.

    Examples:

      convcalc zoo

      convcalc zoo --format json

      convcalc zoo show resnet50 > my_resnet.yaml

      convcalc summary resnet50 --depth 1
    """
    from convcalc.tools.zoo import catalogue, spec_text

    if action is None:
        from convcalc.render.zoo import render_zoo, render_zoo_json

        if fmt not in (Format.text, Format.json):
            raise UsageError(f"the zoo list is text or json; drop --format {fmt.value}")
        entries = catalogue()
        emit(render_zoo_json(entries) if fmt is Format.json else render_zoo(entries))
        return
    if action != "show":
        raise UsageError(
            f"unknown zoo action '{action}'",
            hint="`convcalc zoo` lists the zoo; `convcalc zoo show NAME` prints one spec",
        )
    if name is None:
        raise UsageError("zoo show needs a NAME", hint="e.g. convcalc zoo show resnet50")
    if fmt is not Format.text:
        raise UsageError(f"zoo show prints YAML; drop --format {fmt.value}")
    emit(spec_text(name))
