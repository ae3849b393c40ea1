"""rft-kit graders as TRL ``GRPOTrainer`` reward functions.

TRL calls each reward function once per batch as ``f(prompts=..., completions=..., completion_ids=..., **columns)``,
where every dataset column arrives as a keyword list (one value per completion) plus ``trainer_state``. A completion
is a string (standard format) or a list of ``{"role", "content"}`` messages (conversational). It expects one
``float | None`` per completion; ``None`` means "no reward for this one" and TRL leaves it out.

Here a grading *error* (a missing template variable, an unparsable sample, a crashed sandbox) returns ``None``, so a
broken sample is skipped instead of being trained on as a confident 0. Functions are callable objects (not closures)
so that they pickle for multi-process training; the grader inside pickles by its config.

Items are rebuilt from the ``item`` column (the exact task row as JSON, written by ``rft export trl``), else from
the dataset columns themselves (with ``prompt`` as ``messages``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from ..graders.base import Grader
from ..graders.loading import load_grader

__all__ = ["GraderReward", "reward_funcs"]

# Keyword arguments TRL passes that are not dataset columns.
_NOT_COLUMNS: Final = frozenset({"trainer_state", "completion_ids", "log_extra", "log_metric", "prompts"})


def _completion_text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion:
        last = completion[-1]
        content = last.get("content") if isinstance(last, Mapping) else last
        if isinstance(content, list):
            return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
        return "" if content is None else str(content)
    return ""


class GraderReward:
    """One TRL reward function backed by a grader (optionally one sub-grader of a ``multi``).

    Args:
        grader: the grader, or a grader file / config dict.
        sub_grader: key of a ``multi`` sub-grader: reward only that part (for per-component logging).
        name: the function name TRL logs (``rewards/<name>/mean``); default ``rft_<grader name>``.
    """

    def __init__(
        self, grader: Grader | str | Path | Mapping[str, Any], *, sub_grader: str | None = None, name: str | None = None
    ) -> None:
        full = grader if isinstance(grader, Grader) else load_grader(grader, placement="any")
        if sub_grader is not None:
            subs = getattr(full, "graders", None)
            if not isinstance(subs, Mapping) or sub_grader not in subs:
                raise KeyError(f"{full.name!r} has no sub-grader {sub_grader!r}")
            self.grader: Grader = subs[sub_grader]
        else:
            self.grader = full
        self.__name__ = name or (f"rft_{full.name}" if sub_grader is None else f"rft_{full.name}_{sub_grader}")

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Any = None, **kwargs: Any
    ) -> list[float | None]:
        """Grade a batch: one reward per completion, ``None`` where grading failed."""
        items = _items(len(completions), prompts, kwargs)
        samples = [_completion_text(c) for c in completions]
        results = self.grader.grade_batch(samples, items)
        return [r.reward if r.ok else None for r in results]

    def __repr__(self) -> str:
        return f"<GraderReward {self.__name__} grader={self.grader.name!r}>"


def _items(n: int, prompts: Sequence[Any], columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    exact = columns.get("item")
    if isinstance(exact, Sequence) and len(exact) == n and all(isinstance(v, str) for v in exact):
        return [json.loads(v) for v in exact]
    items: list[dict[str, Any]] = [{} for _ in range(n)]
    for key, values in columns.items():
        if key in _NOT_COLUMNS or not isinstance(values, Sequence) or isinstance(values, str) or len(values) != n:
            continue
        for item, value in zip(items, values, strict=True):
            item["messages" if key == "prompt" else key] = value
    for item, prompt in zip(items, prompts, strict=False):
        item.setdefault("messages", prompt)
    return items


def reward_funcs(
    grader: Grader | str | Path | Mapping[str, Any], *, per_sub_grader: bool = False
) -> list[GraderReward]:
    """Reward functions for ``GRPOTrainer(reward_funcs=...)``.

    Args:
        grader: the grader, a grader file or a config dict.
        per_sub_grader: for a ``multi``, one function per sub-grader instead of one for the whole formula. Each
            grades only its own sub-grader; set ``GRPOConfig.reward_weights`` to the formula's coefficients when the
            formula is a weighted sum (TRL adds weighted rewards), otherwise keep the single function.
    """
    full = grader if isinstance(grader, Grader) else load_grader(grader, placement="any")
    subs = getattr(full, "graders", None)
    if per_sub_grader and isinstance(subs, Mapping):
        return [GraderReward(full, sub_grader=key) for key in subs]
    return [GraderReward(full)]
