"""Groups for group-aware graders: which samples of a batch belong to the same item.

A group is the samples of one item: pairs whose item has the same ``id`` (else the same content, compared as
canonical JSON, which is what TRL batches give: one item dict per completion built from the dataset row). Groups
keep the order of their first sample; results come back in input order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..records import GradeResult

if TYPE_CHECKING:
    from .base import Grader, SampleLike

__all__ = ["grade_by_group", "group_indices", "group_key"]


def group_key(item: Mapping[str, Any] | None) -> str:
    """The key pairs of one group share: the item's ``id``, else its canonical JSON."""
    if not item:
        return "{}"
    if "id" in item and item["id"] is not None:
        return f"id:{item['id']}"
    try:
        return "json:" + json.dumps(item, sort_keys=True, default=str, separators=(",", ":"))
    except (TypeError, ValueError):  # a circular item: never grouped with another
        return f"obj:{id(item)}"


def group_indices(items: Sequence[Mapping[str, Any] | None]) -> list[list[int]]:
    """Indices of each group, groups in order of their first pair."""
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(group_key(item), []).append(index)
    return list(groups.values())


def grade_by_group(
    grader: Grader, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]
) -> list[GradeResult]:
    """Grade a batch group by group through ``grader.grade_group``; results in input order."""
    if len(samples) != len(items):
        raise ValueError(f"a batch needs as many items as samples ({len(samples)} != {len(items)})")
    out: list[GradeResult | None] = [None] * len(samples)
    for indices in group_indices(items):
        results = grader.grade_group([samples[i] for i in indices], items[indices[0]])
        for index, result in zip(indices, results, strict=True):
            out[index] = result
    assert all(r is not None for r in out)
    return [r for r in out if r is not None]
