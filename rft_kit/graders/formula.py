"""``multi.calculate_output`` formulas: a tokenizer and a recursive-descent parser of OpenAI's grammar, evaluated by the
shared expression evaluator (:mod:`rft_kit.expressions`) over floats. No ``eval``.

Grammar (docs/hosted-semantics.md; the parts OpenAI leaves unspecified are decided here and documented)::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('-' | '+') unary | power
    power  := atom ('^' unary)?              # right-associative, binds tighter than unary minus: -2^2 = -4
    atom   := NUMBER | NAME | NAME '(' expr (',' expr)* ')' | '(' expr ')'

``^`` is power (not XOR). Names are the multi's grader keys. Functions: ``min`` and ``max`` (one or more
arguments), ``abs``, ``floor``, ``ceil``, ``exp``, ``sqrt``, ``log`` (natural log), one argument each.

A formula that does not parse, names an unknown key or calls a function with the wrong arity is a
:class:`~rft_kit.errors.ConfigError` when the grader loads. Math errors at run time (division by zero, ``log(0)``,
``sqrt(-1)``, overflow, a complex or non-finite result) raise :class:`~rft_kit.errors.GradeFailure` of kind
``formula``: the sample gets reward 0 with the error recorded.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Final

from ..errors import ConfigError, GradeFailure
from ..expressions import Dialect, compile_tree

__all__ = ["FUNCTIONS", "Formula", "parse_formula"]

Env = Mapping[str, float]
Tree = ast.expr


def _floor(x: float) -> float:
    return float(math.floor(x))


def _ceil(x: float) -> float:
    return float(math.ceil(x))


def _min(*args: float) -> float:
    return min(args)


def _max(*args: float) -> float:
    return max(args)


# name -> (function, minimum arity, maximum arity or None for variadic)
FUNCTIONS: dict[str, tuple[Callable[..., float], int, int | None]] = {
    "min": (_min, 1, None),
    "max": (_max, 1, None),
    "abs": (abs, 1, 1),
    "floor": (_floor, 1, 1),
    "ceil": (_ceil, 1, 1),
    "exp": (math.exp, 1, 1),
    "sqrt": (math.sqrt, 1, 1),
    "log": (math.log, 1, 1),
}

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/^(),]))"
)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "num" | "name" | "op" | "end"
    text: str
    pos: int


def _tokenize(source: str, field: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if match is None:
            bad = source[pos:].lstrip()[0]
            at = len(source) - len(source[pos:].lstrip())
            raise ConfigError(
                f"unexpected character {bad!r} at position {at + 1} in {source!r}; formulas use numbers, grader "
                "keys, + - * / ^, parentheses and min max abs floor ceil exp sqrt log",
                path=field,
            )
        kind = match.lastgroup or "op"
        tokens.append(_Tok(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(_Tok("end", "", len(source)))
    return tokens


MAX_DEPTH = 100
"""Deepest nesting of parentheses, unary signs, powers and calls; deeper formulas are config errors (the parser and
the evaluator recurse, and no real reward formula comes near this)."""


class _Parser:
    def __init__(self, source: str, names: Collection[str], field: str) -> None:
        self.depth = 0
        self.source = source
        self.names = names
        self.field = field
        self.tokens = _tokenize(source, field)
        self.i = 0
        self.used: set[str] = set()

    def error(self, message: str, tok: _Tok | None = None) -> ConfigError:
        tok = tok or self.tokens[self.i]
        pointer = f"{self.source}\n{' ' * tok.pos}^"
        return ConfigError(f"{message} (position {tok.pos + 1}):\n{pointer}", path=self.field)

    def peek(self) -> _Tok:
        return self.tokens[self.i]

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text or tok.kind != "op":
            found = "the end of the formula" if tok.kind == "end" else repr(tok.text)
            raise self.error(f"expected '{text}' but found {found}", tok)

    def parse(self) -> Tree:
        if self.peek().kind == "end":
            raise self.error("the formula is empty")
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"unexpected {tok.text!r} after a complete expression", tok)
        return node

    def expr(self) -> Tree:
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take().text
            node = _binary(op, node, self.term())
        return node

    def term(self) -> Tree:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.take().text
            node = _binary(op, node, self.unary())
        return node

    def unary(self) -> Tree:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.error(f"the formula nests deeper than {MAX_DEPTH} levels")
            return self._unary()
        finally:
            self.depth -= 1

    def _unary(self) -> Tree:
        tok = self.peek()
        if tok.kind == "op" and tok.text in "+-":
            self.take()
            inner = self.unary()
            if tok.text == "+":
                return inner
            return ast.UnaryOp(ast.USub(), inner)
        return self.power()

    def power(self) -> Tree:
        base = self.atom()
        if self.peek().kind == "op" and self.peek().text == "^":
            self.take()
            return _binary("^", base, self.unary())
        return base

    def atom(self) -> Tree:
        tok = self.take()
        if tok.kind == "num":
            return ast.Constant(float(tok.text))
        if tok.kind == "name":
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call(tok)
            return self.variable(tok)
        if tok.kind == "op" and tok.text == "(":
            node = self.expr()
            self.expect(")")
            return node
        found = "the end of the formula" if tok.kind == "end" else repr(tok.text)
        raise self.error(f"expected a number, a grader key, a function or '(' but found {found}", tok)

    def variable(self, tok: _Tok) -> Tree:
        name = tok.text
        if name not in self.names:
            close = difflib.get_close_matches(name, list(self.names), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known = ", ".join(sorted(self.names)) or "none"
            if name in FUNCTIONS:
                raise self.error(f"function '{name}' must be called with parentheses, e.g. {name}(x)", tok)
            raise self.error(f"unknown grader key '{name}'{hint}; the graders are: {known}", tok)
        self.used.add(name)
        return ast.Name(name, ast.Load())

    def call(self, tok: _Tok) -> Tree:
        name = tok.text
        if name not in FUNCTIONS:
            raise self.error(f"unknown function '{name}'; available: {', '.join(FUNCTIONS)}", tok)
        _, lo, hi = FUNCTIONS[name]
        self.expect("(")
        args = [self.expr()]
        while self.peek().kind == "op" and self.peek().text == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if hi == lo else f"at least {lo}"
            raise self.error(f"{name}() takes {want} argument(s), got {len(args)}", tok)
        return ast.Call(ast.Name(name, ast.Load()), args, [])


_OPERATORS: Final[Mapping[str, type[ast.operator]]] = {
    "+": ast.Add,
    "-": ast.Sub,
    "*": ast.Mult,
    "/": ast.Div,
    "^": ast.Pow,
}


def _binary(op: str, left: Tree, right: Tree) -> Tree:
    return ast.BinOp(left, _OPERATORS[op](), right)


DIALECT: Final = Dialect(
    binary={
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.Div: operator.truediv,
        # math.pow, not **: for a negative base and a fractional exponent ** gives a complex number, math.pow raises
        ast.Pow: math.pow,
    },
    unary={ast.USub: operator.neg},
    functions={name: func for name, (func, _, _) in FUNCTIONS.items()},
)
"""What formula operators mean, for :func:`rft_kit.expressions.compile_tree`."""


class Formula:
    """A compiled ``calculate_output`` formula.

    >>> Formula("min(a, b) ^ 2", {"a", "b"}).evaluate({"a": 0.8, "b": 0.9})
    0.6400000000000001
    """

    def __init__(self, source: str, names: Collection[str], *, field: str = "calculate_output") -> None:
        parser = _Parser(source, names, field)
        self._node = compile_tree(parser.parse(), DIALECT)
        self.source = source
        self.used: frozenset[str] = frozenset(parser.used)

    def evaluate(self, env: Env) -> float:
        """Evaluate with grader rewards bound to their keys.

        Raises:
            GradeFailure: (kind ``formula``) for a math error or a non-finite or complex result.
        """
        try:
            value = self._node(env)
        except ZeroDivisionError:
            raise GradeFailure(
                "formula", "other_error", f"division by zero in {self.source!r} with {_env(env)}"
            ) from None
        except (ValueError, OverflowError, TypeError) as exc:
            raise GradeFailure(
                "formula", "other_error", f"math error in {self.source!r} with {_env(env)}: {exc}"
            ) from None
        result = float(value)
        if not math.isfinite(result):
            raise GradeFailure("formula", "other_error", f"{self.source!r} gave {result} with {_env(env)}")
        return result


def _env(env: Env) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in env.items())


def parse_formula(source: str, names: Collection[str], *, field: str = "calculate_output") -> Formula:
    """Compile ``source``; raises :class:`ConfigError` naming the position of the problem."""
    return Formula(source, names, field=field)
