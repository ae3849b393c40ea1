"""Making any value a model can produce writable as strict UTF-8 JSON.

Two things a model's output can carry that a JSON line cannot: an unpaired UTF-16 surrogate (``"\\ud800"`` in the
JSON a model prints decodes to a Python string UTF-8 cannot encode) and a non-finite float (``NaN`` is accepted by
Python's JSON reader, refused by strict writers and by other languages' readers). :func:`dumps_line` writes such a
value anyway: each surrogate becomes the six characters of its escape (``\\ud800`` as text, readable and never
confused with a real character), each non-finite float becomes ``null``, and the counts are returned so the writer
can record them on the record. Values without either take the fast path: one ``json.dumps`` and one regex scan.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Escapes", "dumps_line", "escape_surrogates", "escape_value", "has_surrogates", "json_text", "safe_text"]

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Escapes:
    """What :func:`escape_value` changed."""

    surrogates: int = 0
    non_finite: int = 0

    def __bool__(self) -> bool:
        return bool(self.surrogates or self.non_finite)

    def to_dict(self) -> dict[str, int]:
        return {k: v for k, v in (("surrogates", self.surrogates), ("non_finite", self.non_finite)) if v}


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_surrogates(text: str) -> tuple[str, int]:
    """``text`` with every unpaired surrogate written as its ``\\uXXXX`` escape, and how many there were."""
    if _SURROGATE.search(text) is None:
        return text, 0
    return _SURROGATE.subn(_escape, text)


def has_surrogates(value: Any) -> bool:
    """Whether any string in ``value`` (keys included) holds an unpaired surrogate."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _SURROGATE.search(node) is not None:
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return False


def escape_value(value: Any, escapes: Escapes | None = None) -> tuple[Any, Escapes]:
    """A copy of ``value`` (JSON-like: dicts, lists, tuples, scalars) that strict UTF-8 JSON can carry."""
    found = escapes if escapes is not None else Escapes()
    if isinstance(value, str):
        text, count = escape_surrogates(value)
        found.surrogates += count
        return text, found
    if isinstance(value, float) and not math.isfinite(value):
        found.non_finite += 1
        return None, found
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, child in value.items():
            if isinstance(key, str):
                key, count = escape_surrogates(key)
                found.surrogates += count
            out[key] = escape_value(child, found)[0]
        return out, found
    if isinstance(value, list | tuple):
        return [escape_value(child, found)[0] for child in value], found
    return value, found


def dumps_line(value: Any, *, note_key: str | None = None, **kwargs: Any) -> tuple[str, Escapes]:
    """``json.dumps(value)`` (non-ASCII kept as is) that strict UTF-8 can always encode.

    Args:
        value: the record.
        note_key: when something had to be escaped and ``value`` is a dict, the counts are added under this key
            (``{"surrogates": 1}``), so a reader of the file sees that the record is not byte-for-byte what the
            model produced.
        kwargs: more ``json.dumps`` arguments (``indent``, ``separators``, ``sort_keys``).
    """
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, **kwargs)
    except ValueError as exc:
        if "Out of range float" not in str(exc):
            raise
    else:
        if _SURROGATE.search(text) is None:
            return text, Escapes()
    clean, escapes = escape_value(value)
    if note_key is not None and isinstance(clean, dict) and escapes:
        clean[note_key] = escapes.to_dict()
    return json.dumps(clean, ensure_ascii=False, allow_nan=False, **kwargs), escapes


def json_text(value: Any, **kwargs: Any) -> str:
    """:func:`dumps_line` without the note: for whole files (reports, job files) and fields holding JSON text."""
    return dumps_line(value, **kwargs)[0]


def safe_text(text: str) -> str:
    """``text`` that strict UTF-8 can encode (unpaired surrogates written as their escapes): for HTML, Markdown."""
    return escape_surrogates(text)[0]
