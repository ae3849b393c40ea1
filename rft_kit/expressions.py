"""The one expression evaluator: compiles a checked Python ``ast`` expression into a closure over an environment.

Two languages are written in it, each a front end that checks its syntax and hands the tree over with a
:class:`Dialect` (the meaning of its operators and the functions it may call):

* ``multi.calculate_output`` formulas (:mod:`rft_kit.graders.formula`): OpenAI's grammar, parsed by a tokenizer and
  a recursive-descent parser of their own (``^`` is power, positions in error messages), built as ``ast`` nodes;
  floats only, ``^`` as ``math.pow``.
* YAML-template expressions (:mod:`rft_kit.tasks.expr`): a whitelisted subset of Python parsed by :func:`ast.parse`;
  lookups into records and lists, comparisons, exact fractions, bounded powers and repetitions.

No ``eval``: a tree is compiled once into nested closures, so evaluating it per sample costs a few function calls.
Nodes a dialect does not support raise :class:`TypeError` at compile time (the front ends never produce them).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["COMPARISONS", "Dialect", "Env", "Node", "compile_tree"]

Env = Mapping[str, Any]
Node = Callable[[Env], Any]

COMPARISONS: Final[Mapping[type[ast.cmpop], Callable[[Any, Any], Any]]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
"""Python's comparison operators (``is`` is not one of them: identity means nothing in data)."""


@dataclass(frozen=True)
class Dialect:
    """What the operators of one expression language mean.

    Attributes:
        binary: ``ast`` binary operator type -> function of (left, right).
        unary: ``ast`` unary operator type -> function.
        functions: names a call may name -> function.
        compare: comparison operator type -> function (empty: the language has no comparisons).
        lookups: whether ``a.b`` (into a mapping) and ``a[i]`` are allowed.
    """

    binary: Mapping[type[ast.operator], Callable[[Any, Any], Any]]
    unary: Mapping[type[ast.unaryop], Callable[[Any], Any]]
    functions: Mapping[str, Callable[..., Any]]
    compare: Mapping[type[ast.cmpop], Callable[[Any, Any], Any]] = field(default_factory=dict)
    lookups: bool = False


def compile_tree(tree: ast.expr, dialect: Dialect) -> Node:
    """Compile a checked expression tree into a function of the environment (variable name -> value).

    Raises:
        TypeError: a node the dialect does not support (a front end should have refused it).
    """
    return _Compiler(dialect).node(tree)


def _binary(op: Callable[[Any, Any], Any], left: Node, right: Node) -> Node:
    # The arithmetic operators inline (a formula is evaluated per sample: one call less per node counts).
    if op is operator.add:
        return lambda env: left(env) + right(env)
    if op is operator.sub:
        return lambda env: left(env) - right(env)
    if op is operator.mul:
        return lambda env: left(env) * right(env)
    if op is operator.truediv:
        return lambda env: left(env) / right(env)
    return lambda env: op(left(env), right(env))


class _Compiler:
    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect

    def node(self, tree: ast.expr) -> Node:
        if isinstance(tree, ast.Constant):
            value = tree.value
            return lambda env: value
        if isinstance(tree, ast.Name):
            return self.name(tree.id)
        if isinstance(tree, ast.BinOp) and type(tree.op) in self.d.binary:
            return _binary(self.d.binary[type(tree.op)], self.node(tree.left), self.node(tree.right))
        if isinstance(tree, ast.UnaryOp) and type(tree.op) in self.d.unary:
            unary = self.d.unary[type(tree.op)]
            operand = self.node(tree.operand)
            if unary is operator.neg:
                return lambda env: -operand(env)
            return lambda env: unary(operand(env))
        if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id in self.d.functions:
            return self.call(self.d.functions[tree.func.id], [self.node(a) for a in tree.args])
        if isinstance(tree, ast.Compare) and self.d.compare:
            return self.comparison(tree)
        if isinstance(tree, ast.BoolOp):
            return self.boolean(isinstance(tree.op, ast.And), [self.node(v) for v in tree.values])
        if isinstance(tree, ast.IfExp):
            test, body, orelse = self.node(tree.test), self.node(tree.body), self.node(tree.orelse)
            return lambda env: body(env) if test(env) else orelse(env)
        if isinstance(tree, ast.List | ast.Tuple):
            elements = [self.node(e) for e in tree.elts]
            return lambda env: [e(env) for e in elements]
        if self.d.lookups and isinstance(tree, ast.Attribute):
            return self.attribute(self.node(tree.value), tree.attr)
        if self.d.lookups and isinstance(tree, ast.Subscript):
            return self.subscript(self.node(tree.value), self.node(tree.slice))
        raise TypeError(f"unsupported syntax {type(tree).__name__}")

    def name(self, name: str) -> Node:
        if name in self.d.functions:

            def uncalled(env: Env) -> Any:
                raise TypeError(f"'{name}' is a function; call it")

            return uncalled
        return lambda env: env[name]

    @staticmethod
    def call(func: Callable[..., Any], args: list[Node]) -> Node:
        if len(args) == 1:
            (only,) = args
            return lambda env: func(only(env))
        return lambda env: func(*[a(env) for a in args])

    def comparison(self, tree: ast.Compare) -> Node:
        first = self.node(tree.left)
        chain = [(self.d.compare[type(op)], self.node(c)) for op, c in zip(tree.ops, tree.comparators, strict=True)]

        def compare(env: Env) -> bool:
            left = first(env)
            for op, comparator in chain:
                right = comparator(env)
                if not op(left, right):
                    return False
                left = right
            return True

        return compare

    @staticmethod
    def boolean(is_and: bool, values: list[Node]) -> Node:
        def combine(env: Env) -> Any:
            result: Any = None
            for value in values:
                result = value(env)
                if is_and and not result:
                    return result
                if not is_and and result:
                    return result
            return result

        return combine

    @staticmethod
    def attribute(base: Node, attr: str) -> Node:
        def lookup(env: Env) -> Any:
            record = base(env)
            if not isinstance(record, Mapping):
                raise TypeError(f"'.{attr}' needs a record (a dict), got {type(record).__name__}")
            return record[attr]

        return lookup

    @staticmethod
    def subscript(base: Node, key: Node) -> Node:
        def index(env: Env) -> Any:
            container, at = base(env), key(env)
            if not isinstance(container, list | tuple | str | Mapping):
                raise TypeError(f"cannot index a {type(container).__name__}")
            return container[at]

        return index
