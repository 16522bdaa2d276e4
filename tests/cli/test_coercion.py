"""The quick option converters (convcalc.cli.coercion) against typer's own, the reference:
for every option of every command and many values, valid and invalid, the same value or the
same error; and a plain ``convcalc summary`` never imports pydantic."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from convcalc.cli import app
from convcalc.cli.coercion import _SLOW, QuickParam, quicken
from tests.conftest import ROOT

typer_core = pytest.importorskip("typer.core")
typer_coercion = pytest.importorskip("typer._coercion")
from typer._click import Context  # noqa: E402
from typer._click.exceptions import BadParameter  # noqa: E402
from typer.main import get_command  # noqa: E402

VALUES: list[Any] = [
    None,
    "",
    "0",
    "-0",
    "7",
    "007",
    "+3",
    " 5 ",
    "1_000",
    "-12",
    "99999999999999999999999",
    "1.5",
    "-0.25",
    "1e3",
    "nan",
    "abc",
    "text",
    "JSON",
    "keras-3",
    "torch",
    "float16",
    "specs/vgg16.yaml",
    "a//b/",
    "-",
    "x\x00y",
    "\N{DEVANAGARI DIGIT FIVE}",
    0,
    1,
    -1,
    True,
    2.5,
    Path("specs/vgg16.yaml"),
    ["a", "b"],
    ("1", "2"),
    [],
    (),
    ["a", 3],
]


def _commands() -> list[tuple[str, Any]]:
    found = []
    for info in app.registered_commands:
        single = copy.copy(app)
        single.registered_commands = [info]
        group = get_command(single)
        found += list(group.commands.items())
    return found


def _outcome(runtime: Any, value: Any, param: Any, ctx: Context) -> tuple[str, Any]:
    try:
        return ("value", runtime.coerce(value, param=param, ctx=ctx))
    except BadParameter as exc:
        return ("error", exc.format_message())
    except Exception as exc:  # the same failure either way
        return ("raised", (type(exc), str(exc)))


def _typed(result: tuple[str, Any]) -> tuple[str, Any]:
    kind, value = result
    if kind == "value" and isinstance(value, list):
        return kind, [(type(v), v) for v in value]
    return kind, (type(value), value)


@pytest.mark.parametrize("name,command", _commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_quick_converter_agrees_with_typers(name: str, command: Any) -> None:
    ctx = Context(command, info_name=name)
    params = [p for p in command.get_params(ctx) if isinstance(p, typer_core._TyperParameter)]
    quicken(command, ctx)
    checked = 0
    for param in params:
        desc = param.type_descriptor
        if desc.file_annotation is not None:
            continue
        quick = param._runtime_param
        assert isinstance(quick, QuickParam), param.name
        reference = typer_coercion.build_runtime_param(desc)
        for value in VALUES:
            param._runtime_param = quick
            expected = _outcome(reference, value, param, ctx)
            assert _typed(_outcome(quick, value, param, ctx)) == _typed(expected), (
                name,
                param.name,
                value,
            )
            checked += 1
    assert checked or not params


def test_the_quick_path_is_taken_for_typical_values() -> None:
    """Not everything falls back: the values a command line mostly carries are converted
    without typer's converter."""
    from convcalc.cli.coercion import _leaf

    summary = dict(_commands())["summary"]
    ctx = Context(summary, info_name="summary")
    by_name = {p.name: p for p in summary.get_params(ctx)}
    for pname, value in (
        ("spec", "specs/vgg16.yaml"),
        ("fmt", "json"),
        ("style", "keras-3"),
        ("depth", "2"),
        ("seed", 0),
    ):
        param = by_name[pname]
        desc = param.type_descriptor
        assert _leaf(desc.annotation, desc.parameter_info, value, ctx, param) is not _SLOW, pname


def test_summary_does_not_import_pydantic() -> None:
    code = (
        "import sys\nsys.argv = ['convcalc', 'summary', 'resnet50', '--depth', '2', '-s', "
        "'table']\nfrom convcalc.cli import main\ntry:\n    main()\nexcept SystemExit:\n"
        "    pass\nsys.stderr.write('PYDANTIC' if 'pydantic' in sys.modules else 'CLEAN')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.stderr.endswith("CLEAN"), proc.stderr
    assert "Total params:" in proc.stdout
