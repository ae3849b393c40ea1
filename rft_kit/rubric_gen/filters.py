"""Filters of written rubrics: malformed, duplicate and vague criteria are removed; the count is checked.

* malformed: no text, points not a non-zero number, an unknown category, or a sign that contradicts the category
  (a pitfall has negative points, every other category positive ones);
* duplicate: the same criterion after normalisation (case, punctuation, spacing), or one whose content words
  overlap another's by 80% or more (Jaccard) -- the first one is kept;
* vague: no quoted phrase and fewer than 3 content words, or nothing but generic quality words ("helpful", "clear",
  "accurate", ...).

A rubric keeps 7-20 criteria with at least one positive one, else the row fails (the reason is reported).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from .writer import CATEGORIES

__all__ = ["MAX_CRITERIA", "MIN_CRITERIA", "Filtered", "filter_rubric"]

MIN_CRITERIA: Final = 7
MAX_CRITERIA: Final = 20
_WORD: Final = re.compile(r"[a-z0-9]+")
_QUOTED: Final = re.compile(r"\"[^\"]+\"|“[^”]+”")
_GENERIC: Final = frozenset(
    [
        "answer",
        "response",
        "good",
        "great",
        "helpful",
        "clear",
        "accurate",
        "correct",
        "appropriate",
        "relevant",
        "complete",
        "quality",
        "well",
        "written",
        "useful",
        "nice",
        "detailed",
        "thorough",
        "concise",
        "overall",
        "the",
        "is",
        "are",
        "be",
        "and",
        "or",
        "a",
        "an",
        "it",
        "its",
        "of",
        "to",
        "in",
        "with",
        "should",
        "must",
    ]
)


@dataclass
class Filtered:
    """What the filters kept and why the others went."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)  # {criterion, reason}
    failure: str | None = None


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _GENERIC and len(w) > 2}


def _malformed(entry: dict[str, Any]) -> str | None:
    text, points, category = entry.get("criterion"), entry.get("points"), entry.get("category")
    if not isinstance(text, str) or not text.strip():
        return "no criterion text"
    if not isinstance(points, int | float) or isinstance(points, bool) or points == 0:
        return f"points {points!r} is not a non-zero number"
    if category not in CATEGORIES:
        return f"unknown category {category!r}"
    if (category == "pitfall") != (points < 0):
        return f"a {category} criterion with {points:g} points (pitfalls are negative, the rest positive)"
    return None


def filter_rubric(raw: Sequence[dict[str, Any]]) -> Filtered:
    """Apply the filters of the module docstring."""
    out = Filtered()
    seen: list[tuple[str, set[str]]] = []
    for entry in raw:
        text = str(entry.get("criterion", ""))
        reason = _malformed(entry)
        words = _content_words(text)
        normal = " ".join(_WORD.findall(text.lower()))
        if reason is None and not _QUOTED.search(text) and len(words) < 3:
            reason = "vague (no quoted phrase and fewer than 3 content words)"
        if reason is None:
            for other_normal, other_words in seen:
                union = words | other_words
                if normal == other_normal or (union and len(words & other_words) / len(union) >= 0.8):
                    reason = "duplicate of an earlier criterion"
                    break
        if reason is not None:
            out.removed.append({"criterion": text, "reason": reason})
            continue
        seen.append((normal, words))
        category = str(entry["category"])
        kept = {"criterion": text.strip(), "points": float(entry["points"]), "category": category, "tags": [category]}
        if isinstance(entry.get("source"), str):
            kept["source"] = entry["source"]
        out.kept.append(kept)
    if not MIN_CRITERIA <= len(out.kept) <= MAX_CRITERIA:
        out.failure = f"{len(out.kept)} criteria after filtering, outside {MIN_CRITERIA}-{MAX_CRITERIA}"
    elif not any(c["points"] > 0 for c in out.kept):
        out.failure = "no criterion with positive points"
    return out
