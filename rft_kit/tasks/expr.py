"""A small, safe expression language for user templates: ``{{ price * qty }}``, ``{{ customer.name }}``.

Expressions use Python syntax but only a whitelist of it: literals, names of template variables, ``a.b`` and ``a[0]``
lookups into dicts and lists (never attributes of objects), arithmetic (``+ - * / // % **`` with a bounded exponent),
comparisons, ``and``/``or``/``not``, ``x if c else y``, list/tuple literals, and calls to the functions in
:data:`FUNCTIONS`. Everything is checked when the template is loaded (:func:`compile_expr`), so a typo is reported
with the template's field path before any item is generated, and nothing can reach Python's builtins or objects.
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

__all__ = ["FUNCTIONS", "Expr", "compile_expr", "render_text", "split_template"]


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

_BINARY: Final[Mapping[type[ast.operator], Callable[[Any, Any], Any]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: Final[Mapping[type[ast.cmpop], Callable[[Any, Any], Any]]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_MAX_EXPONENT: Final = 64
_MAX_LENGTH: Final = 2000


class Expr:
    """A compiled expression. Evaluate with :meth:`evaluate`; :attr:`names` are the variables it reads."""

    def __init__(self, source: str, tree: ast.expr, names: frozenset[str]) -> None:
        self.source = source
        self._tree = tree
        self.names = names

    def evaluate(self, env: Mapping[str, Any]) -> Any:
        """Evaluate against ``env`` (variable name -> value).

        Raises:
            ValueError: a run-time failure (missing key, division by zero, ...), with the expression in the message.
        """
        try:
            return _eval(self._tree, env)
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


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise TypeError(f"'{node.id}' is a function; call it")
        return env[node.id]
    if isinstance(node, ast.Attribute):
        base = _eval(node.value, env)
        if not isinstance(base, Mapping):
            raise TypeError(f"'.{node.attr}' needs a record (a dict), got {type(base).__name__}")
        return base[node.attr]
    if isinstance(node, ast.Subscript):
        base = _eval(node.value, env)
        key = _eval(node.slice, env)
        if not isinstance(base, list | tuple | str | Mapping):
            raise TypeError(f"cannot index a {type(base).__name__}")
        return base[key]
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Pow) and isinstance(right, int | float) and abs(right) > _MAX_EXPONENT:
            raise ValueError(f"exponent {right} is larger than {_MAX_EXPONENT}")
        if isinstance(node.op, ast.Mult) and isinstance(left, str | list) and isinstance(right, int) and right > 1000:
            raise ValueError("repetition count larger than 1000")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            return not value
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        return ~value
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for value_node in node.values:
            result = _eval(value_node, env)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, env)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _eval(node.body, env) if _eval(node.test, env) else _eval(node.orelse, env)
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(e, env) for e in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return FUNCTIONS[node.func.id](*[_eval(a, env) for a in node.args])
    raise TypeError(f"unsupported syntax {type(node).__name__}")  # unreachable after _check


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
