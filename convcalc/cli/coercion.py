"""Option values converted without pydantic where the result is certain.

Typer (0.2x) converts every option value, defaults included, with a pydantic ``TypeAdapter``
built for the option on first use: importing pydantic and building those adapters was about
a third of ``convcalc summary``'s start-up. For the values a command line mostly carries (a
string for a ``str`` option, a plain integer, an enum member or name, a path) the result is
known without pydantic; :func:`quicken` gives each of a command's options a converter that
returns it directly and hands anything else (a value it is not certain of, every invalid one)
to typer's own converter, so results and error messages stay typer's. With a typer that has
no such converters (one built on click) it does nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

try:
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
    from typer.core import _TyperParameter
except ImportError:  # pragma: no cover - a typer whose options click converts
    _TyperParameter = None  # type: ignore[assignment,misc]

_SLOW = object()  # "not certain": typer's converter decides
_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")  # what int() and pydantic read alike
_FLOAT = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,15})?")


def _leaf(annotation: Any, info: Any, value: Any, ctx: Any, param: Any) -> Any:
    """``value`` as typer's converter would return it for a non-list ``annotation``, or
    ``_SLOW``; the cases are tried in the order typer builds its converters."""
    if info.parser is not None:
        return _SLOW
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except Exception:  # invalid: typer says so, in its words
            return _SLOW
    if annotation is int or annotation is float:
        return _number(annotation, info, value)
    if annotation is str:
        return value if type(value) is str else _SLOW
    if annotation is Path and info.path_type is None:
        return _path(info, value, ctx, param)
    return _SLOW


def _number(annotation: type[Any], info: Any, value: Any) -> Any:
    pattern = _INT if annotation is int else _FLOAT
    if type(value) is str and pattern.fullmatch(value):
        value = annotation(value)
    elif type(value) is not annotation:
        return _SLOW
    if info.clamp or (info.min is not None and not value >= info.min):
        return _SLOW
    if info.max is not None and not value <= info.max:
        return _SLOW
    return value


def _path(info: Any, value: Any, ctx: Any, param: Any) -> Any:
    if type(value) is str and value and "\x00" not in value:
        value = Path(value)  # what pydantic makes of a string for a Path
    elif not isinstance(value, Path):
        return _SLOW
    try:
        return coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
    except Exception:  # a check failed: typer's message names the value as typed
        return _SLOW


if _TyperParameter is not None:

    @dataclass(frozen=True)
    class QuickParam(RuntimeParam):
        """Converts what it is certain of; typer's converter, built on demand, the rest."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation: Any = self.annotation
            info = self.parameter_info
            if get_origin(annotation) is list:
                if not isinstance(value, (list, tuple)):
                    return self._slow(value, param, ctx)
                (item_type,) = get_args(annotation)
                items = [_leaf(item_type, info, item, ctx, param) for item in value]
                if any(item is _SLOW for item in items):
                    return self._slow(value, param, ctx)
                return items
            quick = (
                _SLOW
                if get_origin(annotation) is not None
                else _leaf(annotation, info, value, ctx, param)
            )
            return self._slow(value, param, ctx) if quick is _SLOW else quick

        def _slow(self, value: Any, param: Any, ctx: Any) -> Any:
            slow = build_runtime_param(self.descriptor)
            param._runtime_param = slow  # later values go straight to typer's converter
            return slow._coerce_value(value, param=param, ctx=ctx)


def quicken(command: Any, ctx: Any) -> None:
    """Give each option of ``command`` the quick converter (once; a no-op for other typers).
    ``ctx``: the command's context or its parent's (for the help option's names)."""
    if _TyperParameter is None:
        return
    for param in command.get_params(ctx):
        if (
            isinstance(param, _TyperParameter)
            and param._runtime_param is None
            and param.type_descriptor.file_annotation is None
        ):
            desc = param.type_descriptor
            param._runtime_param = QuickParam(
                parameter_info=desc.parameter_info, annotation=desc.annotation, descriptor=desc
            )
