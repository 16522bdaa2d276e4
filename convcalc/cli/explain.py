"""``convcalc explain``: the sliding window of one layer drawn in the terminal, saved as SVG or
HTML, or animated for slides; for a spec, the receptive field's coverage (gridding)."""

from __future__ import annotations

import io
import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from convcalc.cli.boundary import app
from convcalc.cli.commands import emit
from convcalc.cli.layerflags import layer_flags, with_layer_flags
from convcalc.cli.options import ColorOpt, use_color
from convcalc.errors import UsageError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from convcalc.tools.sliding import Picture

DEFAULT_STEPS = 9
WIDTH = 320


class Kind(str, Enum):
    conv = "conv"
    max = "max"
    avg = "avg"
    transpose = "transpose"


def _steps(pic: Picture, steps: str | None, step: int | None) -> list[int]:
    n = len(pic.frames)
    if step is not None:
        if not 1 <= step <= n:
            raise UsageError(f"--step {step}: this layer has steps 1..{n}")
        return [step - 1]
    if steps is None:
        return list(range(min(n, DEFAULT_STEPS)))
    if steps == "all":
        return list(range(n))
    if not steps.isdigit():
        raise UsageError(f"--steps must be a number or 'all'; received {steps!r}")
    return list(range(min(n, int(steps))))


def _console(color: bool, record: bool = False, width: int = WIDTH) -> Any:
    from rich.console import Console

    return Console(
        width=width,
        file=io.StringIO(),
        record=record,
        force_terminal=color,
        no_color=not color,
        color_system="truecolor" if color or record else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )


def _text(parts: list[RenderableType], color: bool) -> str:
    console = _console(color)
    for p in parts:
        console.print(p, end="")
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()) + "\n"


def _save(parts: list[RenderableType], path: Path, force: bool, title: str) -> None:
    from convcalc import atomic

    suffix = path.suffix.lower()
    if suffix not in (".svg", ".html", ".txt"):
        raise UsageError(f"--save {path}: the file must end in .svg, .html or .txt")
    if path.exists() and not force:
        raise UsageError(f"--save {path} exists; pass --force to overwrite it")
    plain = _text(parts, False)
    console = _console(True, record=True, width=max(len(line) for line in plain.splitlines()) + 1)
    for p in parts:
        console.print(p, end="")
    if suffix == ".svg":  # without rich's web-font rules, so the file needs nothing outside it
        data = re.sub(r"@font-face\s*\{[^}]*\}\s*", "", console.export_svg(title=title))
    elif suffix == ".html":
        data = console.export_html()
    else:
        data = console.export_text()
    with atomic.replacing(path) as fh:
        fh.write(data.encode("utf-8"))
    typer.echo(f"wrote {path}", err=True)


def _spec_parts(spec: Path, layer: str | None) -> tuple[list[RenderableType], Picture | None]:
    from rich.text import Text

    from convcalc.analysis import load_and_analyze
    from convcalc.analysis.gridding import coverages
    from convcalc.render.explain import coverage_text
    from convcalc.tools.sliding import picture

    loaded, report = load_and_analyze(spec)
    if layer is not None:
        match = [ls for ls in loaded.layers if ls.name == layer]
        if not match:
            raise UsageError(
                f"{spec} has no layer {layer!r}",
                hint="its layers: " + ", ".join(r.name for r in report.rows),
            )
        return [], picture(match[0].layer, report.row(layer))
    parts: list[RenderableType] = []
    found = coverages(loaded, report)
    for name in report.outputs:
        cov = found.get(name)
        if cov is not None and len(cov.positions) == 2 and max(cov.sizes) <= 64:
            parts.append(coverage_text(name, cov))
    windowed = [ls.name for ls in loaded.layers if hasattr(ls.layer, "pads")]
    parts.append(
        Text(
            "`convcalc explain SPEC --layer NAME` draws one layer's sliding window; windowed "
            f"layers: {', '.join(windowed) or 'none'}\n",
            style="dim",
        )
    )
    return parts, None


@app.command()
@with_layer_flags(
    "input",
    "kernel",
    "stride",
    "padding",
    "dilation",
    "channels_first",
    "torch",
    "ceil_mode",
    "output_padding",
)
def explain(
    spec: Annotated[
        Path | None,
        typer.Argument(
            help="A spec: without --layer, the receptive field's coverage of its output "
            "(gridding of dilated stacks); with --layer, that layer's sliding window.",
            show_default=False,
            metavar="[SPEC]",
        ),
    ] = None,
    layer: Annotated[
        str | None, typer.Option("--layer", "-l", help="With a SPEC: the layer to draw.")
    ] = None,
    kind: Annotated[
        Kind,
        typer.Option("--kind", help="Without a SPEC: conv, max or avg pooling, or transpose."),
    ] = Kind.conv,
    steps: Annotated[
        str | None,
        typer.Option(
            "--steps", help="How many steps to draw, or 'all'. [default: 9]", show_default=False
        ),
    ] = None,
    step: Annotated[
        int | None, typer.Option("--step", help="Draw only step I (1-based).", show_default=False)
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save",
            help="Also write the picture to FILE: .svg (standalone), .html or .txt.",
            show_default=False,
            metavar="FILE",
        ),
    ] = None,
    animate: Annotated[
        Path | None,
        typer.Option(
            "--animate",
            help="Also write an animated SVG, one step per second, for slides.",
            show_default=False,
            metavar="FILE.svg",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite --save/--animate files.")
    ] = False,
    color: ColorOpt = None,
    *,
    flags: dict[str, Any],
) -> None:
    """Draw the sliding window of one layer on a small grid: the input with its padding, the
    cells the kernel reads at each position and the output cell it writes, first as an
    overview (how many windows read each cell), then step by step. Plain, strided, dilated and
    transposed convolutions and pooling (ceil_mode's extra window shows). For a SPEC, the
    coverage of the receptive field, where dilated stacks show their gridding.

    Examples:

      convcalc explain --input 5x5 --kernel 3 --stride 2 --padding 1

      convcalc explain --input 7x7 --kernel 3 --dilation 2 --save dilated.svg

      convcalc explain --input 3x3 --kernel 3 --stride 2 --kind transpose --animate t.svg

      convcalc explain --input 5x5 --kernel 2 --stride 2 --padding 1 --kind max --ceil-mode

      convcalc explain docs/examples/dilated_gridding.yaml
    """
    from convcalc.render.explain import explain_renderables

    given = {k: v for k, v in flags.items() if v not in (None, False)}
    if spec is not None:
        if given:
            flag = "--" + sorted(given)[0].replace("_", "-")
            raise UsageError(f"with a SPEC the layer comes from the spec; drop {flag}")
        parts, pic = _spec_parts(spec, layer)
    else:
        if layer is not None:
            raise UsageError("--layer picks a layer of a SPEC; give the SPEC too")
        from convcalc.tools.onelayer import build
        from convcalc.tools.sliding import picture

        f = layer_flags(kind.value, flags)
        built = build(f)
        parts, pic = [], picture(built.layer, built.row)
    if pic is not None:
        parts = explain_renderables(pic, _steps(pic, steps, step))
    elif animate is not None:
        raise UsageError("--animate needs a layer: pass --layer NAME")
    emit(_text(parts, use_color(color)))
    title = "convcalc explain" + (f": {pic.title}" if pic is not None else "")
    if save is not None:
        _save(parts, save, force, title)
    if animate is not None and pic is not None:
        from convcalc import atomic
        from convcalc.render.svg import animated_svg

        if animate.suffix.lower() != ".svg":
            raise UsageError(f"--animate {animate}: the file must end in .svg")
        if animate.exists() and not force:
            raise UsageError(f"--animate {animate} exists; pass --force to overwrite it")
        with atomic.replacing(animate) as fh:
            fh.write(animated_svg(pic).encode("utf-8"))
        typer.echo(f"wrote {animate}", err=True)
