"""rft-kit graders as verl reward functions.

verl loads ``reward.custom_reward_function.path`` (verl >= 0.7.1; the top-level ``custom_reward_function.path``
in 0.7.0 and earlier, see :mod:`rft_kit.export.verl`) as a module and calls ``compute_score(data_source, solution_str,
ground_truth, extra_info=None, **kwargs)`` per response. It accepts a float or a dict with ``score`` whose other keys
become metrics; every call must return the same keys. Here the dict carries ``score``, ``grade_error`` (1.0 when the
grader failed: the score is then 0, as hosted) and one ``sub/<key>`` per ``multi`` sub-grader.

The item is ``extra_info["item"]`` (the exact task row as JSON, written by ``rft export verl``); without it the item
is ``{reference_field: ground_truth}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..graders.base import Grader
from ..graders.loading import load_grader

__all__ = ["ComputeScore", "make_compute_score"]


class ComputeScore:
    """A picklable ``compute_score`` for one grader.

    Args:
        grader: the grader, a grader file or a config dict.
        reference_field: item field that ``ground_truth`` fills when ``extra_info`` has no item.
    """

    def __init__(self, grader: Grader | str | Path | Mapping[str, Any], *, reference_field: str = "answer") -> None:
        self.grader = grader if isinstance(grader, Grader) else load_grader(grader, placement="any")
        self.reference_field = reference_field
        subs = getattr(self.grader, "graders", None)
        self._sub_keys = list(subs) if isinstance(subs, Mapping) else []

    def __call__(
        self, data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, **kwargs: Any
    ) -> dict[str, float]:
        item: Any = None
        if isinstance(extra_info, Mapping) and isinstance(extra_info.get("item"), str):
            item = json.loads(extra_info["item"])
        if not isinstance(item, Mapping):
            item = {self.reference_field: ground_truth}
        result = self.grader.grade(solution_str if isinstance(solution_str, str) else str(solution_str), item)
        out = {"score": float(result.reward), "grade_error": 0.0 if result.ok else 1.0}
        for key in self._sub_keys:
            out[f"sub/{key}"] = float(result.sub_rewards.get(key, 0.0))
        return out


def make_compute_score(
    grader: Grader | str | Path | Mapping[str, Any], *, reference_field: str = "answer"
) -> Callable[..., dict[str, float]]:
    """A verl ``compute_score`` function for ``grader``."""
    return ComputeScore(grader, reference_field=reference_field)
