"""A safe evaluator for ``multi.calculate_output`` formulas. No ``eval``: a tokenizer, a recursive-descent parser and
closures over floats.

Grammar (OPENAI_GRADERS.md 3.6; the parts marked UNVERIFIED upstream are decided here and documented)::

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

import difflib
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from ..errors import ConfigError, GradeFailure

__all__ = ["FUNCTIONS", "Formula", "parse_formula"]

Env = Mapping[str, float]
Node = Callable[[Env], float]


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

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("the formula is empty")
        node = self.expr()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"unexpected {tok.text!r} after a complete expression", tok)
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take().text
            node = _binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.take().text
            node = _binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self.error(f"the formula nests deeper than {MAX_DEPTH} levels")
            return self._unary()
        finally:
            self.depth -= 1

    def _unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text in "+-":
            self.take()
            inner = self.unary()
            if tok.text == "+":
                return inner
            return lambda env: -inner(env)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.peek().kind == "op" and self.peek().text == "^":
            self.take()
            return _binary("^", base, self.unary())
        return base

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            value = float(tok.text)
            return lambda env: value
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

    def variable(self, tok: _Tok) -> Node:
        name = tok.text
        if name not in self.names:
            close = difflib.get_close_matches(name, list(self.names), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known = ", ".join(sorted(self.names)) or "none"
            if name in FUNCTIONS:
                raise self.error(f"function '{name}' must be called with parentheses, e.g. {name}(x)", tok)
            raise self.error(f"unknown grader key '{name}'{hint}; the graders are: {known}", tok)
        self.used.add(name)
        return lambda env: env[name]

    def call(self, tok: _Tok) -> Node:
        name = tok.text
        if name not in FUNCTIONS:
            raise self.error(f"unknown function '{name}'; available: {', '.join(FUNCTIONS)}", tok)
        func, lo, hi = FUNCTIONS[name]
        self.expect("(")
        args = [self.expr()]
        while self.peek().kind == "op" and self.peek().text == ",":
            self.take()
            args.append(self.expr())
        self.expect(")")
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if hi == lo else f"at least {lo}"
            raise self.error(f"{name}() takes {want} argument(s), got {len(args)}", tok)
        if len(args) == 1:
            only = args[0]
            return lambda env: func(only(env))
        return lambda env: func(*[a(env) for a in args])


def _pow(base: float, exponent: float) -> float:
    # math.pow, not **: for a negative base and a fractional exponent ** returns a complex number, math.pow raises
    return math.pow(base, exponent)


def _binary(op: str, left: Node, right: Node) -> Node:
    if op == "+":
        return lambda env: left(env) + right(env)
    if op == "-":
        return lambda env: left(env) - right(env)
    if op == "*":
        return lambda env: left(env) * right(env)
    if op == "/":
        return lambda env: left(env) / right(env)
    return lambda env: _pow(left(env), right(env))


class Formula:
    """A compiled ``calculate_output`` formula.

    >>> Formula("min(a, b) ^ 2", {"a", "b"}).evaluate({"a": 0.8, "b": 0.9})
    0.6400000000000001
    """

    def __init__(self, source: str, names: Collection[str], *, field: str = "calculate_output") -> None:
        parser = _Parser(source, names, field)
        self._node = parser.parse()
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
