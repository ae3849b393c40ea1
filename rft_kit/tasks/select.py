"""Difficulty-band selection: keep items a model sometimes solves (``rft select --band 0.1 0.9``).

An item every sample solves, or every sample fails, gives a policy-gradient trainer no signal (docs/architecture.md:
reports). Given
``grades.jsonl`` from k samples per item, keep the items whose mean reward lies inside the band. Errored grades are
left out of the mean by default (an error is not a wrong answer); ``errors_as_zero`` counts them as 0 like the
hosted grader does. Every item gets a decision record with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Selection", "select_items"]


@dataclass
class Selection:
    """Kept items and a decision record per item (``id``, ``mean_reward``, ``samples``, ``kept``, ``reason``)."""

    kept: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many items each reason applied to."""
        out: dict[str, int] = {}
        for d in self.decisions:
            out[d["reason"]] = out.get(d["reason"], 0) + 1
        return out


def select_items(
    items: Sequence[Mapping[str, Any]],
    grades: Iterable[Mapping[str, Any]],
    band: tuple[float, float],
    *,
    min_samples: int = 1,
    errors_as_zero: bool = False,
) -> Selection:
    """Keep items whose mean reward over their samples is within ``band`` (inclusive).

    Args:
        items: the task set (each with an ``id``).
        grades: grade records with ``item_id``, ``sample_index``, ``reward`` and ``status``.
        band: (low, high) bounds of the mean reward.
        min_samples: items with fewer usable samples are dropped (reason ``too_few_samples``).
        errors_as_zero: count errored grades as reward 0 instead of leaving them out.

    Raises:
        ValueError: an empty or inverted band.
    """
    low, high = band
    if not low <= high:
        raise ValueError(f"the band is empty: {low} > {high}")
    rewards: dict[str, dict[int, float]] = {}
    errors: dict[str, int] = {}
    for record in grades:
        item_id = record.get("item_id")
        if item_id is None:
            continue
        key = str(item_id)
        if record.get("status") == "error" and not errors_as_zero:
            errors[key] = errors.get(key, 0) + 1
            continue
        # a re-graded sample replaces its earlier grade instead of counting twice
        rewards.setdefault(key, {})[int(record.get("sample_index", 0))] = float(record.get("reward", 0.0))
    selection = Selection()
    for item in items:
        key = str(item.get("id"))
        got = rewards.get(key, {})
        decision: dict[str, Any] = {"id": key, "samples": len(got), "errors": errors.get(key, 0)}
        if len(got) < min_samples:
            decision.update(mean_reward=None, kept=False, reason="too_few_samples")
        else:
            mean = sum(got.values()) / len(got)
            decision["mean_reward"] = round(mean, 6)
            if mean < low:
                decision.update(kept=False, reason="below_band")
            elif mean > high:
                decision.update(kept=False, reason="above_band")
            else:
                decision.update(kept=True, reason="in_band")
                selection.kept.append(dict(item))
        selection.decisions.append(decision)
    return selection
