"""A small, safe expression language for user templates: ``{{ price * qty }}``, ``{{ customer.name }}``.

Expressions use Python syntax but only a whitelist of it: literals, names of template variables, ``a.b`` and ``a[0]``
lookups into dicts and lists (never attributes of objects), arithmetic (``+ - * / // % **`` with a bounded exponent),
comparisons, ``and``/``or``/``not``, ``x if c else y``, list/tuple literals, and calls to the functions in
:data:`FUNCTIONS`. Everything is checked when the template is loaded (:func:`compile_expr`), so a typo is reported
with the template's field path before any item is generated, and nothing can reach Python's builtins or objects.
Checked trees are evaluated by the shared evaluator, :mod:`rft_kit.expressions`, with this language's
:data:`DIALECT`.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, Final

from ..errors import ConfigError
from ..expressions import COMPARISONS, Dialect, Node, compile_tree

__all__ = ["DIALECT", "FUNCTIONS", "Expr", "compile_expr", "render_text", "split_template"]


def _fmt(value: Any, spec: str = "") -> str:
    return format(value, spec)


def _exact(value: Any) -> Fraction:
    # a float drawn as 13.8 means the decimal 13.8, not the binary double nearest to it
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _frac(numerator: Any, denominator: Any = 1) -> Fraction:
    return _exact(numerator) / _exact(denominator)


def _round_half_up(value: Any, digits: int = 0) -> str:
    # exact, and half-up like a person or an invoicing system; format(float, ".2f") rounds the binary double
    scaled = _exact(value) * 10**digits
    whole = math.floor(scaled + Fraction(1, 2))
    sign, text = ("-", str(-whole)) if whole < 0 else ("", str(whole))
    if not digits:
        return sign + text
    text = text.rjust(digits + 1, "0")
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def _fraction_text(value: Any) -> str:
    f = Fraction(value).limit_denominator(10**12) if isinstance(value, float) else Fraction(value)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


FUNCTIONS: Final[Mapping[str, Callable[..., Any]]] = {
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "int": int,
    "float": float,
    "str": str,
    "len": len,
    "sum": sum,
    "sorted": sorted,
    "floor": math.floor,
    "ceil": math.ceil,
    "sqrt": math.sqrt,
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "strip": str.strip,
    "join": lambda sep, items: str(sep).join(str(i) for i in items),
    "format": _fmt,
    "frac": _frac,
    "fraction_text": _fraction_text,
    "round_half_up": _round_half_up,
}
"""Functions an expression may call. ``format(x, ".2f")`` formats, ``frac(a, b)`` is exact, ``fraction_text``
renders a number as ``17/4``, ``round_half_up(x, 2)`` rounds exactly (half away from zero for positives) to text."""

_MAX_EXPONENT: Final = 64
_MAX_REPEAT: Final = 1000
_MAX_LENGTH: Final = 2000


def _pow(left: Any, right: Any) -> Any:
    if isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
        raise ValueError(f"exponent {right} is larger than {_MAX_EXPONENT}")
    return left**right


def _mul(left: Any, right: Any) -> Any:
    if isinstance(left, str | list) and isinstance(right, int) and right > _MAX_REPEAT:
        raise ValueError(f"repetition count larger than {_MAX_REPEAT}")
    return left * right


_BINARY: Final[Mapping[type[ast.operator], Callable[[Any, Any], Any]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: _mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: _pow,
}
_COMPARE: Final = COMPARISONS

DIALECT: Final = Dialect(
    binary=_BINARY,
    unary={ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert},
    functions=FUNCTIONS,
    compare=COMPARISONS,
    lookups=True,
)
"""What template-expression operators mean, for :func:`rft_kit.expressions.compile_tree` (powers and repetitions
are bounded so one expression cannot eat the machine)."""


class Expr:
    """A compiled expression. Evaluate with :meth:`evaluate`; :attr:`names` are the variables it reads."""

    def __init__(self, source: str, tree: ast.expr, names: frozenset[str]) -> None:
        self.source = source
        self._node: Node = compile_tree(tree, DIALECT)
        self.names = names

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Evaluate against ``env`` (variable name -> value).

        Raises:
            ValueError: a run-time failure (missing key, division by zero, ...), with the expression in the message.
        """
        try:
            return self._node(env)
        except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
            raise ValueError(f"expression {self.source!r} failed: {type(exc).__name__}: {exc}") from None


def compile_expr(source: str, *, path: str = "") -> Expr:
    """Parse and check an expression.

    Raises:
        ConfigError: a syntax error or a construct outside the whitelist, naming ``path``.
    """
    if len(source) > _MAX_LENGTH:
        raise ConfigError(f"expression longer than {_MAX_LENGTH} characters", path=path)
    try:
        tree = ast.parse(source.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ConfigError(f"invalid expression {source!r}: {exc.msg}", path=path) from None
    names: set[str] = set()
    _check(tree, names, source, path)
    return Expr(source.strip(), tree, frozenset(names))


def _check(node: ast.AST, names: set[str], source: str, path: str) -> None:
    def bad(what: str) -> ConfigError:
        return ConfigError(f"{what} is not allowed in expression {source!r}", path=path)

    if isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool | type(None)):
            raise bad(f"the constant {node.value!r}")
        return
    if isinstance(node, ast.Name):
        if node.id not in FUNCTIONS:
            names.add(node.id)
        return
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise bad(f"the private key '{node.attr}'")
        _check(node.value, names, source, path)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            called = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ConfigError(
                f"unknown function '{called}' in expression {source!r}; functions: {', '.join(sorted(FUNCTIONS))}",
                path=path,
            )
        if node.keywords:
            raise bad("a keyword argument")
        for arg in node.args:
            _check(arg, names, source, path)
        return
    allowed = (
        ast.BinOp,
        ast.UnaryOp,
        ast.BoolOp,
        ast.Compare,
        ast.IfExp,
        ast.Subscript,
        ast.List,
        ast.Tuple,
        ast.Load,
        ast.operator,
        ast.unaryop,
        ast.boolop,
        ast.cmpop,
    )
    if not isinstance(node, allowed):
        raise bad(f"'{type(node).__name__}' syntax")
    if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
        raise bad(f"the operator {type(node.op).__name__}")
    if isinstance(node, ast.Compare) and any(type(op) not in _COMPARE for op in node.ops):
        raise bad("'is' comparison")
    for child in ast.iter_child_nodes(node):
        _check(child, names, source, path)


_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


def split_template(text: str, *, path: str = "") -> list[str | Expr]:
    """Split ``"Hello {{ name }}!"`` into literal strings and compiled expressions.

    Raises:
        ConfigError: an invalid expression inside ``{{ }}``, naming ``path``.
    """
    parts: list[str | Expr] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        parts.append(compile_expr(match.group(1), path=path))
        pos = match.end()
    if pos < len(text):
        parts.append(text[pos:])
    return parts


def render_text(parts: list[str | Expr], env: Mapping[str, Any]) -> Any:
    """Render split template parts. A template that is exactly one ``{{ expr }}`` keeps the value's type."""
    if len(parts) == 1 and isinstance(parts[0], Expr):
        value = parts[0].evaluate(env)
        return _fraction_text(value) if isinstance(value, Fraction) else value
    out = []
    for part in parts:
        if isinstance(part, Expr):
            value = part.evaluate(env)
            out.append(_fraction_text(value) if isinstance(value, Fraction) else str(value))
        else:
            out.append(part)
    return "".join(out)
