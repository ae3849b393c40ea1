"""Rubric arithmetic in the style of HealthBench, separate from any model call so it can be tested.

score = sum(points of met criteria) / sum(positive points), clipped to [0, 1]. Negative points mark unwanted
behaviour: a met negative criterion lowers the score. Per-tag scores use the same formula over the criteria with
that tag (a tag whose criteria carry no positive points has no score).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Criterion", "parse_criteria", "rubric_score", "tag_scores"]


@dataclass(frozen=True)
class Criterion:
    """One rubric line."""

    criterion: str
    points: float
    tags: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The config shape."""
        return {"criterion": self.criterion, "points": self.points, "tags": list(self.tags)}


def parse_criteria(value: Any) -> list[Criterion]:
    """Criteria from a config list (or an item field holding one).

    Raises:
        ValueError: the value is not a non-empty list of ``{criterion: str, points: non-zero number, tags?}`` with
            at least one positive criterion (the message says which entry is wrong).
    """
    if not isinstance(value, list) or not value:
        raise ValueError(f"a rubric must be a non-empty list of criteria, got {type(value).__name__}")
    criteria: list[Criterion] = []
    for n, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise ValueError(f"rubric[{n}] must be an object {{criterion, points, tags?}}")
        text, points, tags = entry.get("criterion"), entry.get("points"), entry.get("tags") or []
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"rubric[{n}].criterion must be a non-empty string")
        if not isinstance(points, int | float) or isinstance(points, bool) or points == 0:
            raise ValueError(f"rubric[{n}].points must be a non-zero number, got {points!r}")
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ValueError(f"rubric[{n}].tags must be a list of strings")
        criteria.append(Criterion(text, float(points), tuple(tags)))
    if not any(c.points > 0 for c in criteria):
        raise ValueError("a rubric needs at least one criterion with positive points (they are the denominator)")
    return criteria


def rubric_score(criteria: Sequence[Criterion], met: Sequence[bool]) -> float | None:
    """The clipped score, or ``None`` when no criterion has positive points."""
    possible = sum(c.points for c in criteria if c.points > 0)
    if possible <= 0:
        return None
    achieved = sum(c.points for c, ok in zip(criteria, met, strict=True) if ok)
    return min(1.0, max(0.0, achieved / possible))


def tag_scores(criteria: Sequence[Criterion], met: Sequence[bool]) -> dict[str, float]:
    """:func:`rubric_score` per tag, for the tags that have positive points."""
    scores: dict[str, float] = {}
    for tag in dict.fromkeys(t for c in criteria for t in c.tags):
        pairs = [(c, ok) for c, ok in zip(criteria, met, strict=True) if tag in c.tags]
        score = rubric_score([c for c, _ in pairs], [ok for _, ok in pairs])
        if score is not None:
            scores[tag] = score
    return scores
