"""A SIMULATED solver model: answers rft-kit task items so that the offline loop has something to sample.

Nothing here is a language model, and it never sees the reference answers (they are not in the prompt). It solves
what it can *procedurally from the prompt*, then deliberately gets some answers wrong, so that offline runs produce
meaningful numbers (neither 0 nor 1 everywhere; pass@k above pass@1; some items with no learning signal):

* **Arithmetic** (``What is 12 * (3 + 4)?``): the last arithmetic expression in the last user message is evaluated
  exactly (``+ - * / // % **`` and parentheses, through :mod:`ast`, never ``eval``). The reply is the number alone,
  or ``\\boxed{N}`` when the prompt mentions ``\\boxed``.
* **JSON extraction** (a ``response_format`` JSON schema, or a prompt that spells the keys ``{"name": str, ...}``):
  each key is filled from the document by regexes (an e-mail address; a ``Name <email>`` contact; the number on
  the line that names the key, e.g. ``Total due: USD 415.09``; a ``Key: value`` line).
* **Labels** (``one of: refund, billing, ...`` in the prompt, or a schema ``enum``): the label whose keywords occur
  most often in the last user message (a small lexicon for common support labels).
* **Tool calls** (the request has ``tools``): the tool whose name and description share the most words with the
  prompt, its arguments filled from the prompt by type (a capitalised place name after ``in``/``for``, numbers).

**Skill.** Each model name has a skill (:data:`SOLVER_MODELS`): ``sim-weak`` 0.40, ``sim-base`` 0.60, ``sim-strong``
0.85 — roughly the share of answers it leaves intact. Per item, a deterministic "ease" drawn from a hash of the prompt
(not the model) shifts that probability, so the same items are hard for every model, easy items are always solved and
hard ones never (no learning signal), and the rest vary between samples; prompts with many numbers lose a little more.
Each sample then draws, from a hash of (model, prompt, seed), whether its answer is corrupted: a changed digit, a
dropped name part, a wrong label or tool argument, and now and then prose instead of JSON (a parse error).
``temperature=0`` ignores the seed, as a greedy model would give the same answer every time.

**Determinism.** The reply is a pure function of (model name, messages, tools, response_format, temperature, seed,
choice index). The sampler sends ``seed = sample_index``; a request with ``n > 1`` gets choices for ``seed``,
``seed + 1``, ...

Hook it into the local server's chat route with :func:`with_solver` (or :func:`ensure_solver_route` at run time).
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Final

from .errors import ApiError
from .simulated import count_tokens
from .state import ServerState

__all__ = [
    "SOLVER_MODELS",
    "ensure_solver_route",
    "is_solver_model",
    "item_ease",
    "solve",
    "with_solver",
]

SOLVER_MODELS: Final[Mapping[str, float]] = {"sim-weak": 0.40, "sim-base": 0.60, "sim-strong": 0.85}
"""SIMULATED solver model names and their skill (the typical share of answers left intact)."""

_EASE_SPREAD: Final = 1.2
"""How far an item's ease moves the success probability: wide enough that some items sit at 0 or 1."""
_PENALTY_PER_DOUBLING: Final = 0.08
_MAX_PENALTY: Final = 0.35
_PARSE_ERROR_SHARE: Final = 0.15
"""Share of corrupted JSON answers that come out as prose (a parse error) rather than a wrong value."""
_FINGERPRINT: Final = "rft-kit-simulated-solver"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CONTACT = re.compile(r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)+)\s*<\s*[\w.+-]+@")
_NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")
_EXPR = re.compile(r"[-+*/%().\d\s^]*\d[-+*/%().\d\s^]*")
_KEYS_IN_PROMPT = re.compile(r"\{\s*\"(\w+)\"\s*:[^{}]*\}")
_KEY = re.compile(r"\"(\w+)\"\s*:")
_KEY_DESCRIBED = re.compile(r"\"(\w+)\"\s*\(")
_AMOUNT = re.compile(r"\d[\d.,]*\d|\d")
_CURRENCY = re.compile(r"\b(USD|EUR|GBP|JPY|CHF|CAD|AUD|SEK|NOK|DKK|PLN|INR|CNY)\b")
_QTY_LINE = re.compile(r"^\s+\S.*\s\d+\s*x\s", re.MULTILINE)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_MONTHS: Final = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_NAMED_DATE = re.compile(
    r"(?:(?P<d1>\d{1,2})\s+)?(?P<month>(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\.?\s+"
    r"(?:(?P<d2>\d{1,2}),?\s+)?(?P<y>\d{4})",
    re.IGNORECASE,
)
_DOTTED_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_US_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {"number": ("no", "no.", "#", "nr"), "total": ("total due",)}
_LABEL_LIST = re.compile(
    r"(?:one of|labels?|categor(?:y|ies)|only)\s*[:(]?\s*([\w-]+(?:\s*(?:,|/|\||\bor\b)\s*[\w-]+)+)", re.I
)
_STORY_STEP = re.compile(
    r"(?P<used>(?P<n1>\d+(?:\.\d+)?) \w+ (?:are|is|were|was) used)"
    r"|(?P<share>uses (?P<a>\d+)/(?P<b>\d+) of what remains)"
    r"|(?P<add>adding (?P<n2>\d+(?:\.\d+)?))"
    r"|(?P<grow>grows by (?P<pct>\d+(?:\.\d+)?)%)"
    r"|(?P<split>divided equally among (?P<k>\d+))"
)
_PLACE = re.compile(r"\b(?:in|for|at|to)\s+([A-Z][a-zA-Z]+(?:\s+[A-Z][a-zA-Z]+)*)")
_WORDS = re.compile(r"[a-z]+")

_LEXICON: Final[Mapping[str, tuple[str, ...]]] = {
    "refund": ("refund", "money back", "reimburse", "return"),
    "billing": ("bill", "charge", "charged", "invoice", "payment", "card"),
    "faq": ("how do", "how can", "where", "what is", "hours", "can i"),
    "escalation": ("manager", "complaint", "unacceptable", "lawyer", "supervisor", "escalate"),
    "positive": ("great", "love", "excellent", "happy", "thanks", "good"),
    "negative": ("bad", "terrible", "hate", "awful", "broken", "worst"),
    "neutral": ("okay", "fine", "average"),
}


def is_solver_model(name: object) -> bool:
    """Whether ``name`` is one of the SIMULATED solver models."""
    return isinstance(name, str) and name in SOLVER_MODELS


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from a hash of ``parts`` (stable across processes and Python versions)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def item_ease(prompt: str) -> float:
    """The item's ease in [0, 1) shared by every solver model (a hash of the prompt)."""
    return _unit("ease", prompt)


def success_probability(model: str, prompt: str) -> float:
    """The chance that one sample of ``model`` leaves its answer to ``prompt`` intact.

    Skill, shifted by the item's ease, minus a penalty that grows with the log of how many numbers the prompt holds
    (more quantities to track is harder, so harder difficulty levels score lower, as they would with a real model).
    """
    skill = SOLVER_MODELS[model]
    numbers = len(_NUMBER.findall(prompt))
    penalty = min(_MAX_PENALTY, _PENALTY_PER_DOUBLING * math.log2(max(1.0, numbers / 4)))
    return min(1.0, max(0.0, skill + _EASE_SPREAD * (item_ease(prompt) - 0.5) - penalty))


# ---------------------------------------------------------------------------------------------------- solving
_BINARY: Final[Mapping[type[ast.operator], Callable[[Any, Any], Any]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def _evaluate(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Fraction(str(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow) and (right.denominator != 1 or abs(right) > 64):
            raise ValueError("exponent out of range")
        return Fraction(_BINARY[type(node.op)](left, right))
    raise ValueError("not arithmetic")


def _format_number(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{float(value):.6g}"


def _arithmetic(text: str) -> str | None:
    """The value of the last arithmetic expression (with an operator) in ``text``, else ``None``."""
    for match in reversed(list(_EXPR.finditer(text))):
        expr = match.group(0).strip().rstrip(".").replace("^", "**")
        if not re.search(r"\d\s*[-+*/%]", expr):
            continue
        try:
            return _format_number(_evaluate(ast.parse(expr, mode="eval")))
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
            continue
    return None


def _story(text: str) -> str | None:
    """The final amount of a word problem: a starting amount changed by a chain of operations, in order."""
    steps = list(_STORY_STEP.finditer(text))
    start = _NUMBER.search(text)
    if not steps or start is None or start.start() > steps[0].start():
        return None
    amount = Fraction(start.group(0).replace(",", ""))
    for step in steps:
        if step.group("used"):
            amount -= Fraction(step.group("n1"))
        elif step.group("share"):
            amount -= amount * Fraction(int(step.group("a")), int(step.group("b")))
        elif step.group("add"):
            amount += Fraction(step.group("n2"))
        elif step.group("grow"):
            amount *= 1 + Fraction(step.group("pct")) / 100
        elif int(step.group("k")):
            amount /= int(step.group("k"))
    return str(amount)


def _schema_keys(body: Mapping[str, Any], prompt: str) -> tuple[list[str], Mapping[str, Any]] | None:
    """The JSON keys the request asks for, from ``response_format`` or a ``{"key": ...}`` sketch in the prompt."""
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        props = schema.get("properties") if isinstance(schema, Mapping) else None
        if isinstance(props, Mapping) and props:
            return [str(k) for k in props], props
    sketch = _KEYS_IN_PROMPT.search(prompt)
    if sketch is not None:
        return _KEY.findall(sketch.group(0)), {}
    described = _KEY_DESCRIBED.findall(prompt) if "json" in prompt.lower() else []
    return (described, {}) if len(described) >= 2 else None


def _iso_date(text: str) -> str | None:
    found = _ISO_DATE.search(text)
    if found:
        return found.group(0)
    named = _NAMED_DATE.search(text)
    if named:
        day, month, year = named.group("d1") or named.group("d2"), named.group("month")[:3].lower(), named.group("y")
        return f"{year}-{_MONTHS.index(month) + 1:02d}-{int(day):02d}"
    dotted = _DOTTED_DATE.search(text)
    if dotted:
        return f"{dotted.group(3)}-{int(dotted.group(2)):02d}-{int(dotted.group(1)):02d}"
    us = _US_DATE.search(text)
    if us:
        return f"{us.group(3)}-{int(us.group(1)):02d}-{int(us.group(2)):02d}"
    return None


def _amount(text: str) -> str | None:
    """The last amount in ``text`` in plain notation (``1.960,00`` and ``1,960.00`` both give ``1960.00``)."""
    found = _AMOUNT.findall(text)
    if not found:
        return None
    raw: str = found[-1]
    decimal = max(raw.rfind("."), raw.rfind(","))
    if decimal != -1 and len(raw) - decimal - 1 == 2:
        return re.sub(r"[.,]", "", raw[:decimal]) + "." + raw[decimal + 1 :]
    return re.sub(r"[.,]", "", raw)


def _best_line(words: Sequence[str], document: str) -> str | None:
    """The first ``Label: value`` line whose label holds the most of ``words`` (whole words, with synonyms)."""
    best, best_score = None, 0
    for line in document.splitlines():
        head, sep, _ = line.partition(":")
        label = (head if sep else line).lower()
        score = sum(
            1 for w in words if any(re.search(rf"\b{re.escape(v)}(?!\w)", label) for v in (w, *_SYNONYMS.get(w, ())))
        )
        if score > best_score:
            best, best_score = line, score
    return best


def _field_value(key: str, spec: Any, document: str, iso_dates: bool) -> Any:
    words = key.lower().replace("_", " ").split()
    if isinstance(spec, Mapping) and isinstance(spec.get("enum"), list) and spec["enum"]:
        return _choose_label([str(v) for v in spec["enum"]], document)
    if "email" in words:
        found = _EMAIL.search(document)
        return found.group(0) if found else None
    if "name" in words:
        contact = _CONTACT.search(document)
        if contact:
            return contact.group(1)
    if {"vendor", "supplier", "seller", "company"} & set(words):
        lines = [ln.strip() for ln in document.splitlines() if ln.strip()]
        content = [ln for ln in lines if not ln.endswith(":")]
        return content[0] if content else None
    if "currency" in words:
        code = _CURRENCY.search(document)
        return code.group(1) if code else None
    if {"items", "lines", "count"} & set(words) and "line" in " ".join(words):
        return len(_QTY_LINE.findall(document))
    line = _best_line(words, document)
    if line is None:
        return None
    value = line.partition(":")[2].strip() or line.strip()
    if "date" in words:
        return (_iso_date(value) if iso_dates else None) or value
    if {"total", "amount", "price", "cost", "sum"} & set(words):
        return _amount(value)
    return value


def _choose_label(labels: Sequence[str], text: str) -> str:
    lowered = text.lower()

    def score(label: str) -> int:
        cues = (label.lower(), *_LEXICON.get(label.lower(), ()))
        return sum(lowered.count(cue) for cue in cues)

    return max(labels, key=lambda label: (score(label), -labels.index(label)))


def _label_options(prompt: str) -> list[str] | None:
    found = _LABEL_LIST.search(prompt)
    if found is None:
        return None
    labels = [p for p in re.split(r"\s*(?:,|/|\||\bor\b)\s*", found.group(1)) if p]
    return labels if len(labels) >= 2 else None


def _tool_call(tools: Sequence[Any], prompt: str) -> dict[str, Any] | None:
    functions = [t["function"] for t in tools if isinstance(t, Mapping) and isinstance(t.get("function"), Mapping)]
    if not functions:
        return None
    words = set(_WORDS.findall(prompt.lower()))

    def overlap(fn: Mapping[str, Any]) -> int:
        text = f"{fn.get('name', '')} {fn.get('description', '')}".lower().replace("_", " ")
        return len(words & set(_WORDS.findall(text)))

    chosen = max(functions, key=overlap)
    params = chosen.get("parameters")
    props = params.get("properties", {}) if isinstance(params, Mapping) else {}
    numbers = [n.replace(",", "") for n in _NUMBER.findall(prompt)]
    places = _PLACE.findall(prompt)
    arguments: dict[str, Any] = {}
    for name, spec in props.items():
        kind = spec.get("type") if isinstance(spec, Mapping) else None
        if isinstance(spec, Mapping) and isinstance(spec.get("enum"), list) and spec["enum"]:
            arguments[name] = _choose_label([str(v) for v in spec["enum"]], prompt)
        elif kind in ("integer", "number") and numbers:
            raw = numbers.pop(0)
            arguments[name] = int(float(raw)) if kind == "integer" else float(raw)
        elif kind == "string" and places:
            arguments[name] = places.pop(0)
    return {"name": str(chosen.get("name", "")), "arguments": arguments}


@dataclass
class _Answer:
    """What the solver would answer before corruption: text, or a JSON object, or a tool call."""

    text: str | None = None
    data: dict[str, Any] | None = None
    tool: dict[str, Any] | None = None
    boxed: bool = False
    labelled: bool = False


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return ""


def _solve(body: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> _Answer:
    texts = [_message_text(m) for m in messages]
    prompt = "\n".join(texts)
    users = [t for m, t in zip(messages, texts, strict=True) if m.get("role") == "user"]
    last_user = users[-1] if users else texts[-1]
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        call = _tool_call(tools, prompt)
        if call is not None:
            return _Answer(tool=call)
    keys = _schema_keys(body, prompt)
    if keys is not None:
        names, props = keys
        iso = "iso 8601" in prompt.lower() or "yyyy-mm-dd" in prompt.lower()
        return _Answer(data={k: _field_value(k, props.get(k), last_user, iso) for k in names})
    labels = _label_options(prompt)
    if labels is not None:
        return _Answer(text=_choose_label(labels, last_user))
    value = _story(last_user) or _arithmetic(last_user)
    if value is not None:
        return _Answer(text=value, boxed="\\boxed" in prompt, labelled="Answer:" in prompt)
    return _Answer(text="SIMULATED solver: I cannot solve this task.")


# ------------------------------------------------------------------------------------------------- corrupting
def _corrupt_text(text: str, pick: float) -> str:
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if digits:
        at = digits[int(pick * len(digits))]
        return text[:at] + str((int(text[at]) + 1 + int(pick * 8)) % 10) + text[at + 1 :]
    words = text.split()
    if len(words) > 1:
        return " ".join(words[:-1])
    return text[::-1] + "x" if text else "?"


def _corrupt_value(value: Any, pick: float, labels: Sequence[str] = ()) -> Any:
    if labels and value in labels and len(labels) > 1:
        others = [label for label in labels if label != value]
        return others[int(pick * len(others))]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value + 1 + int(pick * 3)
    return _corrupt_text(str(value), pick)


def _corrupt(answer: _Answer, pick: float, labels: Sequence[str]) -> _Answer | str:
    """A wrong version of ``answer`` (or prose instead of JSON: a string the caller sends as is)."""
    if answer.data is not None:
        if pick < _PARSE_ERROR_SHARE:
            return "Sure! Here are the fields you asked for, from the document above. (SIMULATED)"
        keys = sorted(answer.data)
        if not keys:
            return answer
        key = keys[int(pick * len(keys))]
        return _Answer(data={**answer.data, key: _corrupt_value(answer.data[key], pick)})
    if answer.tool is not None:
        args = dict(answer.tool["arguments"])
        if not args:
            return _Answer(tool={"name": answer.tool["name"] + "_v2", "arguments": args})
        key = sorted(args)[int(pick * len(args))]
        args[key] = _corrupt_value(args[key], pick)
        return _Answer(tool={"name": answer.tool["name"], "arguments": args})
    text = answer.text or ""
    return _Answer(text=_corrupt_value(text, pick, labels), boxed=answer.boxed, labelled=answer.labelled)


# ------------------------------------------------------------------------------------------------- responding
def _render(answer: _Answer | str, json_mode: bool, call_id: str) -> tuple[dict[str, Any], str]:
    if isinstance(answer, str):
        return {"role": "assistant", "content": answer, "refusal": None}, "stop"
    if answer.tool is not None:
        call = {
            "id": call_id,
            "type": "function",
            "function": {"name": answer.tool["name"], "arguments": json.dumps(answer.tool["arguments"])},
        }
        return {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}, "tool_calls"
    if answer.data is not None:
        return {"role": "assistant", "content": json.dumps(answer.data), "refusal": None}, "stop"
    text = answer.text or ""
    if json_mode:
        text = json.dumps({"answer": text})
    elif answer.boxed:
        text = f"\\boxed{{{text}}}"
    elif answer.labelled:
        text = f"Working through each step exactly (SIMULATED solver).\nAnswer: {text}"
    return {"role": "assistant", "content": text, "refusal": None}, "stop"


def _choice(body: Mapping[str, Any], model: str, messages: Sequence[Mapping[str, Any]], seed: int, index: int) -> Any:
    prompt_key = json.dumps(
        [messages, body.get("tools"), body.get("response_format")], sort_keys=True, ensure_ascii=False, default=str
    )
    answer = _solve(body, messages)
    # A greedy model repeats itself: at temperature 0 the seed does not matter.
    draw_seed = 0 if body.get("temperature") == 0 else seed
    draw = _unit("draw", model, prompt_key, draw_seed)
    pick = _unit("pick", model, prompt_key, draw_seed)
    ease_prompt = "\n".join(_message_text(m) for m in messages)
    result: _Answer | str = answer
    if draw >= success_probability(model, ease_prompt):
        result = _corrupt(answer, pick, _label_options(ease_prompt) or ())
    response_format = body.get("response_format")
    json_mode = isinstance(response_format, Mapping) and response_format.get("type") == "json_object"
    call_id = "call_" + hashlib.sha256(f"{prompt_key}{seed}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    message, finish = _render(result, json_mode and answer.data is None, call_id)
    content = message.get("content") or json.dumps(message.get("tool_calls"))
    tokens = count_tokens(content)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit < tokens and message.get("content"):
        message["content"] = " ".join(message["content"].split()[: max(1, limit // 2)])
        tokens, finish = limit, "length"
    return {"index": index, "message": message, "finish_reason": finish, "logprobs": None}, tokens


def solve(body: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a chat completions request for a SIMULATED solver model (a full ``chat.completion`` object).

    Args:
        body: the request body: ``model`` (one of :data:`SOLVER_MODELS`), ``messages``, optional ``tools``,
            ``response_format``, ``temperature``, ``seed``, ``n``, ``max_tokens`` / ``max_completion_tokens``.

    Raises:
        ApiError: 400 for a malformed request, 404 for a model that is not a solver model.
    """
    model = body.get("model")
    if not is_solver_model(model):
        known = ", ".join(SOLVER_MODELS)
        raise ApiError(404, f"The model `{model}` is not a SIMULATED solver model ({known}).", code="model_not_found")
    assert isinstance(model, str)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, Mapping) for m in messages):
        raise ApiError(400, "'messages' must be a non-empty array of message objects.", param="messages")
    if body.get("stream"):
        raise ApiError(400, "stream=true is not supported by this local server.", param="stream")
    n = body.get("n", 1) if body.get("n") is not None else 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 128:
        raise ApiError(400, "'n' must be an integer between 1 and 128.", param="n")
    seed = body.get("seed") if body.get("seed") is not None else 0
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ApiError(400, "'seed' must be an integer.", param="seed")
    prompt_tokens = sum(count_tokens(_message_text(m)) + 4 for m in messages)
    choices, completion_tokens = [], 0
    for index in range(n):
        choice, tokens = _choice(body, model, messages, seed + index, index)
        choices.append(choice)
        completion_tokens += tokens
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return {
        "id": f"chatcmpl-simsolver-{digest}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "system_fingerprint": _FINGERPRINT,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


# ------------------------------------------------------------------------------------------------- the route hook
# Route handlers are typed loosely here to avoid importing .routes (which imports the chat route) at module load.
_Handler = Callable[[ServerState, Any], Any]
_INSTALL_LOCK = threading.Lock()


def with_solver(handler: _Handler) -> _Handler:
    """Wrap a chat completions route so that solver model names are answered by :func:`solve`.

    Every other model name goes to ``handler`` unchanged. Wrapping twice is a no-op.
    """
    if getattr(handler, "_rft_kit_solver", False):
        return handler

    def chat_with_solver(state: ServerState, request: Any) -> Any:
        from .routes.base import Response

        if is_solver_model(request.body.get("model")):
            return Response(solve(request.body))
        return handler(state, request)

    chat_with_solver._rft_kit_solver = True  # type: ignore[attr-defined]
    chat_with_solver.__doc__ = f"{handler.__doc__ or ''}\n\nSolver models ({', '.join(SOLVER_MODELS)}): SIMULATED."
    return chat_with_solver


def ensure_solver_route() -> None:
    """Make the local server's ``POST /v1/chat/completions`` answer the solver models (idempotent).

    Wraps the registered chat route with :func:`with_solver` (or registers :func:`solve` alone when there is no chat
    route). Affects servers started afterwards and running ones alike: the route table is read per request.
    """
    from .routes import ROUTES
    from .routes.base import Response

    key = ("POST", "/v1/chat/completions")
    with _INSTALL_LOCK:
        current = ROUTES.get(key)
        if current is None:

            def solver_only(state: ServerState, request: Any) -> Response:
                return Response(solve(request.body))

            ROUTES[key] = with_solver(solver_only)
        else:
            ROUTES[key] = with_solver(current)
