"""Substitution of a block's arguments into its layers: ``$name`` and ``${expression}``.

A value that is exactly ``$x`` (or ``${expr}``) becomes the argument's value with its type (an
int stays an int, a list a list); inside longer text ``${expr}`` is replaced by the value's
text (``"${name}_1_conv"``), and ``$$`` is a literal ``$``. Expressions are integer
arithmetic over the arguments: ``+ - * // %``, parentheses, unary minus, ``min(...)``,
``max(...)`` and lists ``[a, b]``; nothing else is evaluated (the text is parsed, never executed).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from convcalc.fields import suggest

_WHOLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_BRACED = re.compile(r"\$\{([^{}]*)\}")
_ANY = re.compile(r"\$\$|\$\{([^{}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
MAX_EXPRESSION = 200
_OPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}
_CALLS: dict[str, Callable[..., Any]] = {"min": min, "max": max}


class TemplateError(ValueError):
    """A substitution that cannot be made; ``hint`` says what to write instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def has_template(value: Any) -> bool:
    """Whether ``value`` (a YAML value) contains a ``$`` substitution anywhere."""
    kind = type(value)
    if kind is str:
        return "$" in value
    if kind is int or kind is float or kind is bool or value is None:
        return False
    if isinstance(value, str):
        return "$" in value
    if isinstance(value, dict):
        return any(has_template(v) for v in value.values())
    if isinstance(value, list):
        return any(has_template(v) for v in value)
    return False


def substitute(value: Any, env: Mapping[str, Any]) -> Any:
    """``value`` with every ``$x`` / ``${expr}`` replaced from ``env`` (a new object where
    something changed; mapping keys are not substituted)."""
    if isinstance(value, str):
        return _string(value, env) if "$" in value else value
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    return value


def _string(text: str, env: Mapping[str, Any]) -> Any:
    m = _WHOLE.fullmatch(text)
    if m:
        return lookup(m.group(1), env)
    m = _BRACED.fullmatch(text)
    if m:
        return evaluate(m.group(1), env)

    def piece(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        if m.group(2) is not None:
            raise TemplateError(
                f"'${m.group(2)}' inside the text '{text}' is ambiguous",
                hint=f"write ${{{m.group(2)}}} to insert the argument into text",
            )
        got = evaluate(m.group(1), env)
        if isinstance(got, bool) or not isinstance(got, (int, str)):
            raise TemplateError(
                f"'${{{m.group(1)}}}' is {got!r}, which cannot be part of the text '{text}'",
                hint="only names and integers can be inserted into text",
            )
        return str(got)

    return _ANY.sub(piece, text)


def lookup(name: str, env: Mapping[str, Any]) -> Any:
    if name not in env:
        near = suggest(name, sorted(env))
        known = ", ".join(f"${k}" for k in sorted(env)) or "none"
        raise TemplateError(
            f"'${name}' is not an argument here",
            hint=(f"did you mean '${near}'? " if near else "") + f"known here: {known}",
        )
    return env[name]


def evaluate(text: str, env: Mapping[str, Any]) -> Any:
    """The value of the expression ``text`` (see the module's docstring)."""
    if len(text) > MAX_EXPRESSION:
        raise TemplateError(f"the expression is longer than {MAX_EXPRESSION} characters")
    try:
        tree = _parse(text.strip())
    except SyntaxError:
        raise TemplateError(
            f"'${{{text}}}' is not an expression",
            hint="e.g. ${filters}, ${4 * filters}, ${repeat + 2}, ${max(1, filters // 4)}",
        ) from None
    return _eval(tree.body, env, text)


@functools.lru_cache(maxsize=1024)
def _parse(text: str) -> ast.Expression:
    """The expression's tree (a block used many times parses each expression once)."""
    return ast.parse(text, mode="eval")


def _eval(node: ast.AST, env: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, ast.Name):
        return lookup(node.id, env)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _number(_eval(node.operand, env, text), text)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        a = _number(_eval(node.left, env, text), text)
        b = _number(_eval(node.right, env, text), text)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and b == 0:
            raise TemplateError(f"'${{{text}}}' divides by zero")
        return _OPS[type(node.op)](a, b)
    if isinstance(node, ast.List):
        return [_eval(e, env, text) for e in node.elts]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _CALLS
        and node.args
        and not node.keywords
    ):
        return _CALLS[node.func.id](_number(_eval(a, env, text), text) for a in node.args)
    raise TemplateError(
        f"'${{{text}}}' uses something other than arguments, numbers, lists, + - * // %, min "
        "and max"
    )


def _number(v: Any, text: str) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TemplateError(f"'${{{text}}}' computes with {v!r}, which is not a number")
    return v
