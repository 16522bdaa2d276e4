"""The options that raise the input limits (:mod:`convcalc.spec.limits`), declared once and
added by :func:`with_limits` to every command that reads specs; the command then runs with
those limits in force."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from convcalc.errors import UsageError
from convcalc.spec import limits
from convcalc.spec.document import parse_quantity

SIZE_HELP = "e.g. 64MiB, 100M or 100000000"

LIMIT_OPTIONS = (
    inspect.Parameter(
        "max_file_size",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            str | None,
            typer.Option(
                "--max-file-size",
                metavar="SIZE",
                help=f"Read spec files up to SIZE bytes ({SIZE_HELP}). "
                f"[default: {limits.MAX_FILE_BYTES // 2**20}MiB]",
                show_default=False,
            ),
        ],
    ),
    inspect.Parameter(
        "max_layers",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            int | None,
            typer.Option(
                "--max-layers",
                metavar="N",
                min=1,
                help=f"Read specs of up to N layers. [default: {limits.MAX_LAYERS:,}]",
                show_default=False,
            ),
        ],
    ),
    inspect.Parameter(
        "allow_outside_links",
        inspect.Parameter.KEYWORD_ONLY,
        default=False,
        annotation=Annotated[
            bool,
            typer.Option(
                "--allow-outside-links",
                help="Read specs through symlinks that lead outside the working directory "
                "(refused by default: a pull request can commit such a link).",
            ),
        ],
    ),
)
NAMES = tuple(p.name for p in LIMIT_OPTIONS)


def size_option(flag: str, value: str) -> int:
    """A size given on the command line (``64MiB``, ``100M``, ``100000000``) in bytes."""
    n = parse_quantity(value, "B")
    if n is None or n <= 0:
        raise UsageError(f"{flag} {value}: not a size", hint=SIZE_HELP)
    return n


def limits_from(max_file_size: str | None, max_layers: int | None, outside: bool) -> limits.Limits:
    default = limits.Limits()
    return limits.Limits(
        size_option("--max-file-size", max_file_size) if max_file_size else default.max_file_bytes,
        max_layers or default.max_layers,
        outside,
    )


def _evaluate(annotation: Any, command: Callable[..., None]) -> Any:
    """A parameter's annotation as typer needs it (the object, not the string)."""
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, getattr(command, "__globals__", {}))


def with_limits(command: Callable[..., None]) -> Callable[..., None]:
    """Add the limit options to ``command``'s parameters; it runs with them in force."""
    signature = inspect.signature(command)  # annotations as written (strings, or objects)
    params = [
        p.replace(annotation=_evaluate(p.annotation, command))
        for p in signature.parameters.values()
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        chosen = limits_from(*(kwargs.pop(name) for name in NAMES))
        with limits.using(chosen):
            command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params + list(LIMIT_OPTIONS))  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params + list(LIMIT_OPTIONS)}
    if hasattr(wrapper, "__wrapped__"):
        del wrapper.__wrapped__  # typer must read the new signature, not the command's
    return wrapper
