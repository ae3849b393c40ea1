"""``multi``: named sub-graders combined by a ``calculate_output`` formula (docs/hosted-semantics.md: multi).

``graders`` is a map from key to grader; the keys are the formula's variables and name the ``sub_rewards``. Any grader
type but ``multi`` may be nested.

What happens when a sub-grader fails is undocumented upstream. Default (``rft_options.sub_error: error``): the multi
result is an error with reward 0 and every sub-grader error recorded, the way a hosted invalid sample scores 0.
``sub_error: zero`` instead lets the failed sub-grader count as 0 in the formula (its error is still recorded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..errors import GradeFailure
from ..records import GradeError, GradeResult, Sample
from ..templating import Template
from .base import Grader, SampleLike
from .formula import Formula

__all__ = ["MultiGrader"]


class MultiGrader(Grader):
    """Combine sub-grader rewards with a formula such as ``(name + email) / 2``."""

    type: ClassVar[str] = "multi"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        from ..graders.loading import build_grader

        prefix = f"{path}.graders" if path else "graders"
        self.graders: dict[str, Grader] = {
            key: build_grader(sub, path=f"{prefix}.{key}") for key, sub in self._config["graders"].items()
        }
        field = f"{path}.calculate_output" if path else "calculate_output"
        self.formula = Formula(self._config["calculate_output"], self.graders.keys(), field=field)
        options = self._config.get("rft_options") or {}
        self.zero_failed_subs: bool = options.get("sub_error", "error") == "zero"
        self.parallel_inside = any(g.parallel_inside for g in self.graders.values())

    @property
    def templates(self) -> tuple[Template, ...]:
        return tuple(t for g in self.graders.values() for t in g.templates)

    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        sub_rewards: dict[str, float] = {}
        errors: list[GradeError] = []
        details: dict[str, Any] = {}
        token_usage: dict[str, Any] | None = None
        for key, grader in self.graders.items():
            sub = grader.grade(sample, item)
            sub_rewards[key] = sub.reward
            for err in sub.errors:
                errors.append(GradeError(err.kind, err.flag, err.message, key))
            if sub.metadata:
                details[key] = sub.metadata
            if sub.token_usage:
                token_usage = _merge_usage(token_usage, sub.token_usage)
        metadata: dict[str, Any] = {"sub_results": details} if details else {}
        if errors and not self.zero_failed_subs:
            result = GradeResult(reward=0.0, status="error", error=errors[0], errors=errors)
        else:
            try:
                reward = self.formula.evaluate(sub_rewards)
            except GradeFailure as failure:
                err = GradeError(failure.kind, failure.flag, failure.message, self.name)
                # the formula failure is what made the result an error, so it leads (to_dict relies on errors[0])
                result = GradeResult(reward=0.0, status="error", error=err, errors=[err, *errors])
            else:
                result = GradeResult(reward=reward, errors=errors)
        result.sub_rewards = sub_rewards
        result.metadata = metadata
        result.token_usage = token_usage
        return result

    def _score_batch(self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any]]) -> list[float] | None:
        columns: dict[str, list[float]] = {}
        for key, grader in self.graders.items():
            rewards = grader.rewards(samples, items)
            if rewards is None:
                return None
            columns[key] = rewards
        keys = list(columns)
        evaluate = self.formula.evaluate
        return [evaluate(dict(zip(keys, row, strict=True))) for row in zip(*columns.values(), strict=True)]

    def grade_batch(
        self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]
    ) -> list[GradeResult]:
        """Like :meth:`Grader.grade_batch`, keeping ``sub_rewards`` on every result."""
        if len(samples) != len(items):
            raise ValueError(f"a batch needs as many items as samples ({len(samples)} != {len(items)})")
        its = [i if i is not None else {} for i in items]
        columns: dict[str, list[float]] = {}
        for key, grader in self.graders.items():
            rewards = grader.rewards(samples, its)
            if rewards is None:
                return [self.grade(s, i) for s, i in zip(samples, its, strict=True)]
            columns[key] = rewards
        keys = list(columns)
        out: list[GradeResult] = []
        for n, row in enumerate(zip(*columns.values(), strict=True)):
            env = dict(zip(keys, row, strict=True))
            try:
                reward = self.formula.evaluate(env)
            except GradeFailure:
                out.append(self.grade(samples[n], its[n]))
                continue
            out.append(GradeResult(reward=reward, sub_rewards=env, grader_name=self.name, grader_type=self.type))
        return out


def _merge_usage(total: dict[str, Any] | None, usage: dict[str, Any]) -> dict[str, Any]:
    """Sum token usage across sub-graders, per model and overall."""
    merged: dict[str, Any] = {"total": {}, "per_model": {}} if total is None else total
    for key, value in (usage.get("total") or {}).items():
        if isinstance(value, int | float):
            merged["total"][key] = merged["total"].get(key, 0) + value
    for model, counts in (usage.get("per_model") or {}).items():
        slot = merged["per_model"].setdefault(model, {})
        for key, value in counts.items():
            if isinstance(value, int | float):
                slot[key] = slot.get(key, 0) + value
    return merged
