"""Required facts in a text (standard library only; embedded verbatim in the exported hosted python grader)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def fact_score(text: Any, facts: Any) -> tuple[float, list[int]]:
    """``(share of facts present, indexes of the missing ones)``.

    A fact is a string or a list of alternative strings (any one counts). No facts at all score 1.

    Raises:
        ValueError: ``facts`` is not a list of strings / lists of strings.
    """
    if not isinstance(facts, list):
        raise ValueError("the facts must be a list")
    haystack = normalize(text if isinstance(text, str) else "")
    missing: list[int] = []
    for index, fact in enumerate(facts):
        options = fact if isinstance(fact, list) else [fact]
        if not options or not all(isinstance(o, str) and o.strip() for o in options):
            raise ValueError(f"fact {index} must be a non-empty string or a list of non-empty strings")
        if not any(normalize(option) in haystack for option in options):
            missing.append(index)
    if not facts:
        return 1.0, missing
    return (len(facts) - len(missing)) / len(facts), missing
