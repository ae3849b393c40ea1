"""The rules of the ``trajectory`` grader over a list of tool calls (standard library only).

This module is embedded verbatim in the hosted ``python`` grader the ``trajectory`` grader exports to, so the
hosted reward is computed by the same code as the local one. It must not import anything outside the standard
library and must never raise for any list of calls (only for malformed *rules*, as ``ValueError``).

Calls are ``sample.output_tools`` entries: ``{"id", "type": "function", "function": {"name", "arguments"}}`` where
``arguments`` is the model's JSON string. Unparseable arguments count as no arguments.
"""

from __future__ import annotations

import json
import re
from typing import Any

Call = tuple[str, Any]

OPERATORS = ("eq", "ne", "in", "contains", "icontains", "set_eq", "regex", "gt", "gte", "lt", "lte", "exists", "len")


def same(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``, ``1`` is ``1.0``, objects ignore key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))  # noqa: B905 - lengths checked
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def check(predicate: Any, present: bool, value: Any) -> bool:
    """Whether an argument satisfies ``predicate`` (a literal means ``eq``; ``{"op": x}`` an operator)."""
    if isinstance(predicate, dict) and len(predicate) == 1 and next(iter(predicate)) in OPERATORS:
        ((op, want),) = predicate.items()
    else:
        op, want = "eq", predicate
    if op == "exists":
        return present == bool(want)
    if not present:
        return False
    if op == "eq":
        return same(value, want)
    if op == "ne":
        return not same(value, want)
    if op == "in":
        if not isinstance(want, list):
            raise ValueError("the 'in' predicate needs a list")
        return any(same(value, w) for w in want)
    if op == "contains":
        if isinstance(value, list):
            return any(same(v, want) for v in value)
        return isinstance(value, str) and isinstance(want, str) and want in value
    if op == "icontains":
        if not isinstance(want, str):
            raise ValueError("the 'icontains' predicate needs a string")
        return isinstance(value, str) and want.casefold() in value.casefold()
    if op == "set_eq":
        if not isinstance(want, list):
            raise ValueError("the 'set_eq' predicate needs a list")
        if not isinstance(value, list):
            return False
        return all(any(same(v, w) for w in want) for v in value) and all(any(same(v, w) for v in value) for w in want)
    if op == "regex":
        if not isinstance(want, str):
            raise ValueError("the 'regex' predicate needs a string pattern")
        return isinstance(value, str) and re.search(want, value) is not None
    if op == "len":
        if not _number(want):
            raise ValueError("the 'len' predicate needs a number")
        return isinstance(value, list | str | dict) and len(value) == want
    if not _number(want):
        raise ValueError(f"the {op!r} predicate needs a number")
    if not _number(value):
        return False
    outcome: bool = {"gt": value > want, "gte": value >= want, "lt": value < want, "lte": value <= want}[op]
    return outcome


def check_pattern(pattern: Any) -> None:
    """Raise ``ValueError`` for a malformed call pattern (checked before any call is looked at)."""
    matches(pattern, ("", {}))
    for predicate in (pattern.get("arguments") or {}).values():
        if not (isinstance(predicate, dict) and len(predicate) == 1 and next(iter(predicate)) in OPERATORS):
            continue
        ((op, want),) = predicate.items()
        if op in ("in", "set_eq") and not isinstance(want, list):
            raise ValueError(f"the {op!r} predicate needs a list")
        if op in ("icontains", "regex") and not isinstance(want, str):
            raise ValueError(f"the {op!r} predicate needs a string")
        if op == "regex":
            try:
                re.compile(want)
            except re.error as exc:
                raise ValueError(f"the 'regex' predicate {want!r} does not compile: {exc}") from None
        if op in ("gt", "gte", "lt", "lte", "len") and not _number(want):
            raise ValueError(f"the {op!r} predicate needs a number")


def parse_calls(output_tools: Any, unwrap: Any) -> list[Call]:
    """``[(name, arguments_dict_or_None)]`` from hosted tool calls; dispatch tools in ``unwrap`` are looked through.

    A dispatch call ``call_tool({"name": "refund", "arguments": {...}})`` counts as a call of ``refund``.
    """
    calls: list[Call] = []
    for entry in output_tools if isinstance(output_tools, list) else []:
        function = entry.get("function") if isinstance(entry, dict) else None
        if not isinstance(function, dict):
            calls.append(("", None))
            continue
        name = function.get("name")
        name = name if isinstance(name, str) else ""
        args = _arguments(function.get("arguments"))
        if name in unwrap and isinstance(args, dict) and isinstance(args.get("name"), str):
            name, args = args["name"], _arguments(args.get("arguments", {}))
        calls.append((name, args))
    return calls


def _arguments(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw.strip() or "{}")
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None
    return None


def matches(pattern: Any, call: Call) -> bool:
    """Whether ``call`` (name, arguments) matches a call pattern ``{"name", "arguments": {key: predicate}}``."""
    if not isinstance(pattern, dict):
        raise ValueError("a call pattern must be an object with a 'name'")
    name, args = call
    names = pattern.get("name")
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError("a call pattern's 'name' must be a string or a list of strings")
    if names and name not in names:
        return False
    predicates = pattern.get("arguments") or {}
    if not isinstance(predicates, dict):
        raise ValueError("a call pattern's 'arguments' must be an object of predicates")
    if predicates and args is None:
        return False
    args = args or {}
    return all(check(p, key in args, args.get(key)) for key, p in predicates.items())


def _canonical(call: Call) -> str:
    name, args = call
    try:
        return name + "\x00" + json.dumps(args, sort_keys=True)
    except (TypeError, ValueError):
        return name + "\x00?"


def _count(rule: dict[str, Any], key: str, default: int | None) -> int | None:
    value = rule.get(key, default)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(f"{key!r} must be a non-negative integer")
    return value


def evaluate(output_tools: Any, rules: Any) -> tuple[float, dict[str, Any]]:
    """``(reward, details)`` of the calls under ``rules``.

    Rules: ``required`` (patterns with optional ``min``/``max`` counts), ``forbidden`` (patterns), ``order``
    (``{"before": pattern, "after": pattern}``: every call matching ``after`` comes after a call matching
    ``before``), ``budget`` (``max_calls``, ``max_identical``), ``unwrap`` (dispatch tool names), ``credit``
    (``partial`` or ``all``). A forbidden call or a broken budget gives 0; otherwise the reward is the share of
    required and order checks that pass (``partial``), or 1/0 (``all``); no checks at all give 1.
    """
    if not isinstance(rules, dict):
        raise ValueError("the rules must be an object")
    unwrap = rules.get("unwrap") or []
    calls = parse_calls(output_tools, unwrap)
    details: dict[str, Any] = {"calls": len(calls), "required": [], "forbidden": [], "order": [], "budget": {}}
    checks: list[bool] = []
    for rule in _rule_list(rules, "required"):
        count = sum(1 for c in calls if matches(rule, c))
        low, high = _count(rule, "min", 1) or 0, _count(rule, "max", None)
        ok = count >= low and (high is None or count <= high)
        checks.append(ok)
        details["required"].append({"name": rule.get("name"), "count": count, "ok": ok})
    gate = True
    for rule in _rule_list(rules, "forbidden"):
        hits = [i for i, c in enumerate(calls) if matches(rule, c)]
        if hits:
            gate = False
            details["forbidden"].append({"name": rule.get("name"), "calls": hits[:10]})
    for rule in _rule_list(rules, "order"):
        seen_before = False
        ok = True
        for c in calls:
            if matches(rule["after"], c) and not seen_before:
                ok = False
                break
            if matches(rule["before"], c):
                seen_before = True
        checks.append(ok)
        details["order"].append({"before": rule["before"].get("name"), "after": rule["after"].get("name"), "ok": ok})
    budget = rules.get("budget") or {}
    if not isinstance(budget, dict):
        raise ValueError("'budget' must be an object")
    max_calls, max_identical = _count(budget, "max_calls", None), _count(budget, "max_identical", None)
    if max_calls is not None and len(calls) > max_calls:
        gate = False
        details["budget"]["max_calls"] = f"{len(calls)} calls > {max_calls}"
    if max_identical is not None:
        counts: dict[str, int] = {}
        for c in calls:
            key = _canonical(c)
            counts[key] = counts.get(key, 0) + 1
        worst = max(counts.values(), default=0)
        if worst > max_identical:
            gate = False
            details["budget"]["max_identical"] = f"one call repeated {worst} times > {max_identical}"
    credit = rules.get("credit", "partial")
    if credit not in ("partial", "all"):
        raise ValueError("'credit' must be 'partial' or 'all'")
    if not gate:
        return 0.0, details
    if not checks:
        return 1.0, details
    if credit == "all":
        return (1.0 if all(checks) else 0.0), details
    return sum(1 for ok in checks if ok) / len(checks), details


def _rule_list(rules: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = rules.get(key) or []
    if not isinstance(value, list) or not all(isinstance(rule, dict) for rule in value):
        raise ValueError(f"{key!r} must be a list of objects")
    for rule in value:
        if key != "order":
            check_pattern(rule)
        elif not isinstance(rule.get("before"), dict) or not isinstance(rule.get("after"), dict):
            raise ValueError("an order rule needs 'before' and 'after' call patterns")
        else:
            check_pattern(rule["before"])
            check_pattern(rule["after"])
    return value
