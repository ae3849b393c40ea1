"""Shared hypothesis strategies for rft-kit property and fuzz tests.

Everything here is pure data generation: JSON values, items, sample texts (including text that looks like a template),
sample objects (well-formed and malformed), valid grader configs per type, random ``calculate_output`` formulas and
their independent reference evaluator, and mutated / garbage configs.
"""

from __future__ import annotations

import ast
import copy
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from rft_kit.records import Sample

try:  # rft_kit.similarity is still being written; keep the other strategies importable without it
    from rft_kit.similarity.bleu import BLEU_SMOOTHINGS, BLEU_TOKENIZERS
    from rft_kit.similarity.fuzzy import FUZZY_PROCESSORS, FUZZY_SCORERS
except ImportError:  # pragma: no cover - only while the package is incomplete
    BLEU_SMOOTHINGS, BLEU_TOKENIZERS = ("method1",), ("whitespace",)
    FUZZY_PROCESSORS, FUZZY_SCORERS = ("default_process",), ("WRatio",)


def attempt(fn: Callable[[], Any], *expected: type[BaseException]) -> tuple[Any, BaseException | None]:
    """``(fn(), None)``, or ``(None, exc)`` when ``fn`` raises one of ``expected``.

    Any other exception fails the test with an AssertionError naming its type (the "never raises X" properties).
    """
    try:
        return fn(), None
    except expected as exc:
        return None, exc
    except Exception as exc:
        raise AssertionError(f"unexpected {type(exc).__name__}: {exc}"[:3000]) from exc


# ---------------------------------------------------------------------------------------------------------------------
# JSON values and items
# ---------------------------------------------------------------------------------------------------------------------

TEMPLATE_LOOKING = (
    "{{item.answer}}",
    "{{ item.answer }}",
    "{{item.secret}}",
    "{{ item.secret }}",
    "{{sample.output_text}}",
    "{{ sample.output_text }}",
    "{{sample.output_json.answer}}",
    "{{{{item.answer}}}}",
    "{{ {{item.secret}} }}",
    "{item.answer}",
    "{{item.answer",
    "item.answer}}",
    "{{item['answer']}}",
    '{{item["answer"]}}',
    "{{}}",
    "{{item.}}",
    "{{foo.bar}}",
    "%answer_",
    "}}{{",
)
"""Texts a hostile or confused model might emit; they must always be graded as plain text."""

ITEM_KEYS = ("answer", "secret", "label", "a", "b", "nested", "list", "args", "messages", "reference_answer")

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(ITEM_KEYS), st.text(max_size=8)), children, max_size=4),
    ),
    max_leaves=12,
)
"""Arbitrary JSON values (finite floats, string keys)."""

json_strings = json_values.map(lambda v: json.dumps(v, ensure_ascii=False))
"""Strings that hold JSON (``function.arguments`` style)."""

plain_texts = st.text(max_size=60)
template_texts = st.sampled_from(TEMPLATE_LOOKING)
mixed_template_texts = st.lists(st.one_of(template_texts, st.text(max_size=8)), min_size=1, max_size=5).map("".join)


@st.composite
def huge_texts(draw: st.DrawFn) -> str:
    """Strings up to ~20k characters (built by repetition so generation stays fast)."""
    unit = draw(st.text(min_size=1, max_size=12))
    count = draw(st.integers(min_value=500, max_value=20_000 // len(unit)))
    return (unit * count)[:20_000]


sample_texts = st.one_of(
    plain_texts,
    st.just(""),
    template_texts,
    mixed_template_texts,
    json_strings,
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
)
"""Model outputs: unicode, empty, template-looking, JSON-holding (no huge strings; see ``sample_texts_with_huge``)."""

sample_texts_with_huge = st.one_of(sample_texts, huge_texts())

item_values = st.one_of(json_values, sample_texts, json_strings)


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    """Items: the referenced keys may be present with any JSON value, or missing."""
    keys = draw(st.lists(st.sampled_from(ITEM_KEYS), unique=True, max_size=len(ITEM_KEYS)))
    item = {k: draw(item_values) for k in keys}
    extra = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=2))
    for k, v in extra.items():
        item.setdefault(k, v)
    return item


string_items = st.dictionaries(st.sampled_from(ITEM_KEYS), sample_texts, max_size=len(ITEM_KEYS))
"""Items whose values are all strings (the shape the vectorised path takes)."""

# ---------------------------------------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------------------------------------


def tool_call(name: str, arguments: str) -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


tool_calls = st.lists(
    st.builds(tool_call, st.sampled_from(["get_answer", "lookup", ""]), st.one_of(json_strings, plain_texts)),
    max_size=2,
)

_any_value = st.one_of(json_values, st.text(max_size=5))


@st.composite
def sample_objects(draw: st.DrawFn, *, well_formed: bool | None = None, with_text: bool = False) -> dict[str, Any]:
    """Sample objects. Malformed ones put wrong types in fields (output_text, choices, output_tools, sample_index...).

    ``with_text``: always a string ``output_text`` and no ``error`` (malformed only elsewhere), the shape a batch
    fast path may be tempted to read.
    """
    bad = draw(st.booleans()) if well_formed is None else not well_formed
    obj: dict[str, Any] = {}
    if draw(st.booleans()) or not bad or with_text:
        obj["output_text"] = draw(sample_texts)
    if draw(st.booleans()):
        obj["output_json"] = draw(st.one_of(st.none(), json_values))
    if draw(st.booleans()):
        obj["output_tools"] = draw(tool_calls)
    if draw(st.booleans()):
        text = draw(sample_texts)
        obj["choices"] = [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]
    if draw(st.booleans()):
        obj["sample_index"] = draw(st.integers(min_value=0, max_value=8))
    if draw(st.booleans()):
        obj["item_id"] = draw(st.text(max_size=5))
    if bad:
        wrong = draw(
            st.lists(
                st.sampled_from(
                    ["choices", "output_tools", "sample_index", "output_json"]
                    if with_text
                    else ["output_text", "choices", "output_tools", "sample_index", "error", "output_json"]
                ),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        for key in wrong:
            if key == "output_text":
                obj[key] = draw(st.one_of(st.integers(), st.lists(st.text(max_size=3), max_size=2), st.booleans()))
            elif key == "choices" or key == "output_tools":
                obj[key] = draw(st.one_of(st.integers(min_value=1), st.text(min_size=1, max_size=4), st.just({"a": 1})))
            elif key == "sample_index":
                obj[key] = draw(st.one_of(st.booleans(), st.text(max_size=3), st.floats(allow_nan=False)))
            elif key == "error":
                obj[key] = draw(st.one_of(st.text(min_size=1, max_size=5), st.just({"message": "boom"})))
            else:
                obj[key] = draw(_any_value)
    return obj


def sample_from_obj_or_none(obj: Mapping[str, Any]) -> Sample | None:
    try:
        return Sample.from_obj(obj)
    except (TypeError, ValueError):
        return None


sample_instances = st.one_of(
    sample_texts.map(Sample.from_text),
    sample_objects(well_formed=True).map(Sample.from_obj),
)

any_samples = st.one_of(sample_texts, sample_objects(), sample_instances)
"""Strings, sample dicts (well-formed or not) and Sample objects."""

# ---------------------------------------------------------------------------------------------------------------------
# Grader configs
# ---------------------------------------------------------------------------------------------------------------------

STRING_OPERATIONS = ("eq", "ne", "like", "ilike")
METRICS = ("fuzzy_match", "bleu", "gleu", "meteor", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l")
"""Every text_similarity metric that runs offline (cosine needs an embeddings server)."""

INPUT_TEMPLATES = (
    "{{sample.output_text}}",
    "{{ sample.output_text }}",
    "Answer: {{sample.output_text}}.",
    "{{sample.output_json.answer}}",
    "{{sample.output_tools[0].function.name}}",
    "{{sample.output_tools[0].function.arguments.answer}}",
    "{{sample.choices[0].message.content}}",
    "{{sample.output_text}}|{{item.label}}",
    "literal text",
    "",
)
REFERENCE_TEMPLATES = (
    "{{item.answer}}",
    "{{ item.answer }}",
    "{{item.secret}}",
    "{{item.nested.answer}}",
    "{{item.list[0]}}",
    "{{item.args.answer}}",
    '{{item["answer"]}}',
    "The answer is {{item.answer}}",
    "{{sample.output_text}}",
    "paris",
    "",
)

_names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)


@st.composite
def string_check_configs(draw: st.DrawFn, operation: str | None = None) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "type": "string_check",
        "input": draw(st.sampled_from(INPUT_TEMPLATES)),
        "reference": draw(st.sampled_from(REFERENCE_TEMPLATES)),
        "operation": operation or draw(st.sampled_from(STRING_OPERATIONS)),
    }
    if draw(st.booleans()):
        cfg["name"] = draw(_names)
    if draw(st.booleans()):
        opts: dict[str, Any] = {}
        if draw(st.booleans()):
            opts["case_fold"] = draw(st.sampled_from(["lower", "casefold"]))
        if draw(st.booleans()):
            opts["like_wildcards"] = draw(st.booleans())
        if draw(st.booleans()):
            opts["template_values"] = draw(st.sampled_from(["json", "python"]))
        if draw(st.booleans()):
            opts["json_descent"] = draw(st.booleans())
        cfg["rft_options"] = opts
    return cfg


_METRIC_OPTIONS: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
    "fuzzy_match": lambda: st.fixed_dictionaries(
        {},
        optional={
            "fuzzy_scorer": st.sampled_from(list(FUZZY_SCORERS)),
            "fuzzy_processor": st.sampled_from(list(FUZZY_PROCESSORS)),
        },
    ),
    "bleu": lambda: st.fixed_dictionaries(
        {},
        optional={
            "bleu_smoothing": st.sampled_from(list(BLEU_SMOOTHINGS)),
            "bleu_max_order": st.integers(1, 4),
            "bleu_tokenizer": st.sampled_from(list(BLEU_TOKENIZERS)),
        },
    ).filter(lambda o: not (o.get("bleu_smoothing") == "method6" and o.get("bleu_max_order", 4) < 3)),
    "gleu": lambda: st.integers(1, 4).flatmap(
        lambda lo: st.fixed_dictionaries({"gleu_min_len": st.just(lo), "gleu_max_len": st.integers(lo, 16)})
    ),
    "meteor": lambda: st.fixed_dictionaries(
        {},
        optional={
            "meteor_alpha": st.floats(0, 1),
            "meteor_beta": st.floats(0, 5),
            "meteor_gamma": st.floats(0, 1),
        },
    ),
}


@st.composite
def text_similarity_configs(draw: st.DrawFn, metric: str | None = None) -> dict[str, Any]:
    metric = metric or draw(st.sampled_from(METRICS))
    cfg: dict[str, Any] = {
        "type": "text_similarity",
        "input": draw(st.sampled_from(INPUT_TEMPLATES)),
        "reference": draw(st.sampled_from(REFERENCE_TEMPLATES)),
        "evaluation_metric": metric,
    }
    if draw(st.booleans()):
        cfg["name"] = draw(_names)
    if draw(st.booleans()):
        if metric.startswith("rouge"):
            opts = draw(st.fixed_dictionaries({}, optional={"rouge_stemmer": st.booleans()}))
        elif metric in _METRIC_OPTIONS:
            opts = draw(_METRIC_OPTIONS[metric]())
        else:
            opts = {}
        cfg["rft_options"] = opts
    return cfg


GRADER_KEYS = ("a", "b", "correct", "tone", "email_ok", "_x1")


# -- formulas ---------------------------------------------------------------------------------------------------------

FORMULA_FUNCTIONS = ("min", "max", "abs", "floor", "ceil", "exp", "sqrt", "log")

_numbers = st.one_of(
    st.integers(min_value=0, max_value=20).map(str),
    st.sampled_from(["0.5", "1.", ".25", "2.5", "1e1", "1e-2", "0", "3", "10", "0.1"]),
)


def formulas(keys: Sequence[str], max_depth: int = 4) -> st.SearchStrategy[str]:
    """Random formulas over ``keys`` with + - * / ^, unary minus/plus, parentheses, numbers and every function."""
    leaves = st.one_of(_numbers, st.sampled_from(list(keys))) if keys else _numbers

    @st.composite
    def expr(draw: st.DrawFn, depth: int) -> str:
        if depth <= 0 or draw(st.integers(0, 3)) == 0:
            return draw(leaves)
        kind = draw(st.sampled_from(["binary", "binary", "power", "unary", "paren", "call1", "calln"]))
        sub = expr(depth - 1)
        if kind == "binary":
            return f"{draw(sub)} {draw(st.sampled_from(['+', '-', '*', '/', '^']))} {draw(sub)}"
        if kind == "power":  # negative or fractional bases and exponents, the interesting cases of ^
            base = draw(st.one_of(sub, sub.map(lambda x: f"( {x} - 1 )")))
            exponent = draw(st.one_of(sub, st.sampled_from(["0.5", "- 1", "2", "1 / 3", "- 0.5"])))
            return f"{base} ^ {exponent}"
        if kind == "unary":
            return f"{draw(st.sampled_from(['-', '+', '- -']))} {draw(sub)}"
        if kind == "paren":
            return f"( {draw(sub)} )"
        if kind == "call1":
            return f"{draw(st.sampled_from(['abs', 'floor', 'ceil', 'exp', 'sqrt', 'log']))}( {draw(sub)} )"
        args = draw(st.lists(sub, min_size=1, max_size=3))
        return f"{draw(st.sampled_from(['min', 'max']))}( {' , '.join(args)} )"

    return expr(max_depth)


FORMULA_SOUP_TOKENS = (
    "a",
    "b",
    "zz",
    "1",
    "2.5",
    ".",
    "+",
    "-",
    "*",
    "/",
    "^",
    "(",
    ")",
    ",",
    "min",
    "max",
    "log",
    "sqrt",
    "abs",
    "%",
    "&",
    "=",
    "!",
    "[",
    "]",
    "{",
    "}",
    "**",
    "e",
    "1e",
    "$",
    "é",
    "__import__",
    "lambda",
    "'",
    '"',
)

formula_soup = st.lists(st.sampled_from(FORMULA_SOUP_TOKENS), max_size=12).map(" ".join)
"""Random token soup (mostly malformed formulas)."""


class ReferenceError_(Exception):
    """The reference evaluator could not evaluate (math error) -- the rft evaluator must fail too."""


class ReferenceSyntaxError(Exception):
    """The reference parser rejects the formula -- the rft parser must reject it too."""


_REF_FUNCS: dict[str, tuple[Callable[..., float], int, int | None]] = {
    "min": (lambda *a: min(a), 1, None),
    "max": (lambda *a: max(a), 1, None),
    "abs": (abs, 1, 1),
    "floor": (lambda x: float(math.floor(x)), 1, 1),
    "ceil": (lambda x: float(math.ceil(x)), 1, 1),
    "exp": (math.exp, 1, 1),
    "sqrt": (math.sqrt, 1, 1),
    "log": (math.log, 1, 1),
}


def _translate(src: str) -> str:
    if "**" in src:  # '**' is not formula syntax; keep it from meaning power after translation
        raise ReferenceSyntaxError("'**' is not an operator")
    if re.search(r",\s*\)", src):  # Python accepts f(a, ); the formula grammar does not
        raise ReferenceSyntaxError("trailing comma")
    return src.replace("^", "**")


class ReferenceFormula:
    """An independent evaluator: translate ``^`` to ``**``, ``ast.parse`` and walk a restricted node set.

    Semantics: numbers are floats; ``^`` is ``math.pow`` (so a negative base with a fractional exponent, ``0^-1`` and
    overflow are errors, never complex numbers); ``/`` by zero is an error; the result must be finite.
    """

    def __init__(self, src: str, names: Sequence[str]) -> None:
        self.names = set(names)
        if not src.strip():
            raise ReferenceSyntaxError("empty")
        try:
            tree = ast.parse(_translate(src).strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise ReferenceSyntaxError(str(exc)) from None
        self._check(tree.body)
        self.tree = tree.body

    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise ReferenceSyntaxError("constant")
        elif isinstance(node, ast.Name):
            if node.id not in self.names:
                raise ReferenceSyntaxError(f"name {node.id}")
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.Pow):
                raise ReferenceSyntaxError("operator")
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise ReferenceSyntaxError("unary")
            self._check(node.operand)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _REF_FUNCS or node.keywords:
                raise ReferenceSyntaxError("call")
            _, lo, hi = _REF_FUNCS[node.func.id]
            if len(node.args) < lo or (hi is not None and len(node.args) > hi):
                raise ReferenceSyntaxError("arity")
            for arg in node.args:
                if isinstance(arg, ast.Starred):
                    raise ReferenceSyntaxError("starred")
                self._check(arg)
        else:
            raise ReferenceSyntaxError(type(node).__name__)

    def evaluate(self, env: Mapping[str, float]) -> float:
        try:
            value = self._eval(self.tree, env)
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            raise ReferenceError_(str(exc)) from None
        if not math.isfinite(value):
            raise ReferenceError_("non-finite")
        return value

    def _eval(self, node: ast.AST, env: Mapping[str, float]) -> float:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return float(env[node.id])
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, env)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left = self._eval(node.left, env)
            right = self._eval(node.right, env)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            return math.pow(left, right)
        assert isinstance(node, ast.Call)
        assert isinstance(node.func, ast.Name)
        func = _REF_FUNCS[node.func.id][0]
        return float(func(*[self._eval(a, env) for a in node.args]))


formula_envs = st.fixed_dictionaries(
    {k: st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 0.5])) for k in GRADER_KEYS}
)
"""Sub-grader rewards (what formulas see inside a multi)."""

wide_formula_envs = st.fixed_dictionaries(
    {k: st.floats(-1e6, 1e6, allow_nan=False) | st.sampled_from([0.0, -1.0, 1.0]) for k in GRADER_KEYS}
)


@st.composite
def multi_configs(draw: st.DrawFn, sub: st.SearchStrategy[dict[str, Any]] | None = None) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(GRADER_KEYS), min_size=1, max_size=3, unique=True))
    sub = sub or st.one_of(string_check_configs(), text_similarity_configs())
    graders = {k: draw(sub) for k in keys}
    cfg: dict[str, Any] = {
        "type": "multi",
        "graders": graders,
        "calculate_output": draw(st.one_of(formulas(keys, max_depth=3), st.just(" + ".join(keys)))),
    }
    if draw(st.booleans()):
        cfg["name"] = draw(_names)
    if draw(st.booleans()):
        cfg["rft_options"] = {"sub_error": draw(st.sampled_from(["error", "zero"]))}
    return cfg


def valid_configs() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(string_check_configs(), text_similarity_configs(), multi_configs())


# ---------------------------------------------------------------------------------------------------------------------
# Mutated configs
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Mutation:
    """A config plus what a loader must do with it.

    Attributes:
        config: the mutated config.
        description: what was changed (for failure messages).
        must_fail: the mutation makes the config invalid for the placement it is loaded with.
        expect_in_message: when it fails, each of these substrings must appear in ``str(err)`` (the JSON path).
        alternatives: if given, at least one of these groups must appear entirely (for ambiguous mutations).
        placement: the placement to load with.
    """

    config: Any
    description: str
    must_fail: bool
    expect_in_message: list[str] = field(default_factory=list)
    alternatives: list[list[str]] = field(default_factory=list)
    placement: str = "rft"


REQUIRED = {
    "string_check": ("type", "input", "reference", "operation"),
    "text_similarity": ("type", "input", "reference", "evaluation_metric"),
    "multi": ("type", "graders", "calculate_output"),
}
_SPELLING = {"operation": ("equals", "EQ", "eq ", "like%", "ne!", "ilke"), "evaluation_metric": ("rouge", "bleu4")}
KNOWN_FIELDS = frozenset(
    {"type", "name", "input", "reference", "operation", "evaluation_metric", "graders", "calculate_output"}
    | {"pass_threshold", "rft_options", "cases"}
)
BAD_TEMPLATES = (
    "{{item.}}",
    "{{foo.bar}}",
    "{{ sample.nope }}",
    "{{}}",
    "{{ }}",
    "{{item}}",
    "{{sample}}",
    "{{item..a}}",
    "{{item[}}",
    "{{item[x]}}",
    "{{item.a b}}",
    "x {{Item.answer}} y",
)
UNBALANCED_TEMPLATES = ("{{item.answer", "item.answer}}", "{ {item.answer}}", "{{sample.output_text}", "}}{{")
BAD_FORMULAS = ("a +", "(a", "a)", "a b", "2 ** a", "a % 2", "min()", "abs(a, a)", "nope", "a ^", ",", "log")


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _targets(cfg: dict[str, Any], prefix: str = "") -> list[tuple[dict[str, Any], str]]:
    """Every grader object in ``cfg`` with its JSON path (the multi itself and each sub-grader)."""
    out = [(cfg, prefix)]
    if cfg.get("type") == "multi":
        for key, sub in cfg["graders"].items():
            out.append((sub, _join(prefix, f"graders.{key}")))
    return out


wrong_type_values = st.one_of(
    st.integers(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.floats(allow_nan=False, allow_infinity=False),
)
unknown_keys = st.one_of(
    st.sampled_from(["inputs", "refrence", "operator", "metric", "formula", "extra", "grader", "names"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=10),
)


@st.composite
def mutated_configs(draw: st.DrawFn) -> Mutation:
    base = copy.deepcopy(draw(valid_configs()))
    targets = _targets(base)
    target, where = draw(st.sampled_from(targets))
    ttype = target["type"]
    kind = draw(
        st.sampled_from(
            [
                "delete_required",
                "wrong_type",
                "unknown_key",
                "misspell_value",
                "misspell_key",
                "nest_multi",
                "label_top",
                "bad_template",
                "unbalanced_template",
                "bad_formula",
                "huge_name",
                "huge_template",
                "unicode_grader_key",
                "bad_option",
            ]
        )
    )
    if kind == "delete_required":
        key = draw(st.sampled_from(REQUIRED[ttype]))
        del target[key]
        return Mutation(base, f"delete {_join(where, key)}", True, [key, *([where] if where else [])])
    if kind == "wrong_type":
        key = draw(st.sampled_from([*REQUIRED[ttype], "name"]))
        value = draw(wrong_type_values)
        if key == "graders" and isinstance(value, dict):
            value = 7
        target[key] = value
        return Mutation(base, f"{_join(where, key)} = {value!r}", True, [_join(where, key)])
    if kind == "unknown_key":
        key = draw(unknown_keys.filter(lambda k: k not in KNOWN_FIELDS))
        target[key] = draw(json_scalars)
        return Mutation(base, f"unknown key {key!r} at {where or '<root>'}", True, [_join(where, key)])
    if kind == "misspell_value":
        if ttype == "multi":
            target["type"] = draw(st.sampled_from(["Multi", "multi_grader", "mult"]))
            return Mutation(base, "misspell multi type", True, [_join(where, "type")])
        key = draw(st.sampled_from(["type", "operation" if ttype == "string_check" else "evaluation_metric"]))
        if key == "type":
            target[key] = draw(st.sampled_from([ttype.upper(), ttype + "s", ttype.replace("_", "-"), ttype[:-1]]))
        else:
            target[key] = draw(st.sampled_from(_SPELLING[key]))
        return Mutation(base, f"misspell {_join(where, key)}", True, [_join(where, key)])
    if kind == "misspell_key":
        key = draw(st.sampled_from([k for k in REQUIRED[ttype] if k != "type"]))
        typo = key[:-1] if draw(st.booleans()) else key.upper()
        target[typo] = target.pop(key)
        return Mutation(
            base,
            f"rename {_join(where, key)} -> {typo}",
            True,
            alternatives=[[_join(where, typo)], [key, *([where] if where else [])]],
        )
    if kind == "nest_multi":
        inner = {"type": "multi", "graders": {"x": draw(string_check_configs())}, "calculate_output": "x"}
        if ttype == "multi":
            target["graders"]["inner"] = inner
            return Mutation(base, "multi in multi", True, [_join(where, "graders.inner")])
        outer = {"type": "multi", "graders": {"outer": inner, "s": target}, "calculate_output": "outer + s"}
        return Mutation(outer, "multi in multi (wrapped)", True, ["graders.outer"])
    if kind == "label_top":
        label = {
            "type": "label_model",
            "name": "lab",
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "Classify {{sample.output_text}}"}],
            "labels": ["good", "bad"],
            "passing_labels": ["good"],
        }
        return Mutation(label, "label_model at top level", True, ["type", "label_model"], placement="rft")
    if kind in ("bad_template", "unbalanced_template"):
        if ttype == "multi":
            return Mutation(base, "no-op", False)
        key = draw(st.sampled_from(["input", "reference"]))
        if kind == "bad_template":
            target[key] = draw(st.sampled_from(BAD_TEMPLATES))
            return Mutation(base, f"bad template {target[key]!r} at {_join(where, key)}", True, [_join(where, key)])
        target[key] = draw(st.sampled_from(UNBALANCED_TEMPLATES))
        return Mutation(base, f"unbalanced template at {_join(where, key)}", False)
    if kind == "bad_formula":
        if ttype != "multi":
            return Mutation(base, "no-op", False)
        target["calculate_output"] = draw(st.one_of(st.sampled_from(BAD_FORMULAS), st.just("unknown_key_zz + 1")))
        return Mutation(
            base, f"bad formula {target['calculate_output']!r}", True, [_join(where, "calculate_output"), "position"]
        )
    if kind == "huge_name":
        target["name"] = "n" * draw(st.integers(257, 5000))
        return Mutation(base, "name too long", True, [_join(where, "name")])
    if kind == "huge_template":
        if ttype == "multi":
            return Mutation(base, "no-op", False)
        target["input"] = "x" * 50_000 + "{{sample.output_text}}" + "y" * 50_000
        return Mutation(base, "huge template", False)
    if kind == "unicode_grader_key":
        if ttype != "multi":
            return Mutation(base, "no-op", False)
        key = draw(st.sampled_from(["ключ", "clé", "a-b", "1abc", "a b", "键"]))
        target["graders"][key] = draw(string_check_configs())
        return Mutation(base, f"bad grader key {key!r}", True, [_join(where, "graders")])
    # bad_option
    if ttype == "string_check":
        opt, value = draw(
            st.sampled_from([("case_fold", "upper"), ("like_wildcards", "yes"), ("template_values", "yaml"), ("x", 1)])
        )
    elif ttype == "text_similarity":
        metric = target["evaluation_metric"]
        opt, value = draw(
            st.sampled_from(
                [
                    ("fuzzy_scorer", "nope"),
                    ("bleu_max_order", 9),
                    ("gleu_min_len", 0),
                    ("meteor_alpha", 2),
                    ("rouge_stemmer" if metric != "fuzzy_match" else "bleu_smoothing", "maybe"),
                    ("not_an_option", True),
                ]
            )
        )
    else:
        opt, value = ("sub_error", "ignore")
    target["rft_options"] = {opt: value}
    return Mutation(base, f"bad option {opt}={value!r} at {where or '<root>'}", True, [_join(where, "rft_options")])
