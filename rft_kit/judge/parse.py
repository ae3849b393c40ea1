"""Strict extraction of a verdict from a judge reply: the last well-formed JSON object that passes a check.

Structured output normally makes the reply exactly one JSON object; the same parser serves the fallback modes, where
the object may sit in prose or a fenced block. Taking the *last* acceptable object lets a judge quote an example
before answering. ``NaN`` / ``Infinity`` are not well-formed here (JSON does not have them), and nothing is guessed
from free text: no object that passes the check means a parse error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

__all__ = ["MAX_REPLY_CHARS", "json_objects", "last_object"]

MAX_REPLY_CHARS: Final = 200_000
"""Longer replies are cut before parsing, so that a runaway reply cannot make parsing quadratic in practice."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER: Final = json.JSONDecoder(parse_constant=_no_constants)


def json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in ``text``, in order (objects nested in a found object are not listed)."""
    found: list[dict[str, Any]] = []
    text = text[:MAX_REPLY_CHARS]
    pos = text.find("{")
    while pos != -1:
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError):
            pos = text.find("{", pos + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        pos = text.find("{", end)
    return found


def last_object(text: str, accept: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The last JSON object in ``text`` for which ``accept`` is true, else ``None``."""
    for candidate in json_objects(text)[::-1]:
        if accept(candidate):
            return candidate
    return None
