"""``ranking_judge`` (rft-kit extension): ONE judge call scores all samples of an item relative to each other.

RULER-style group judging: the judge sees the task, the ``criteria`` and every distinct sample of the group, and
returns ``{steps, scores: [{id, score in [0, 1]}]}``. Config: ``model`` and ``criteria`` (a text) are all it needs;
``task`` (template; default: the item's ``prompt``/``question``/``messages`` when present), ``answer`` (default
``{{sample.output_text}}``), ``reference`` (optional template shown as a reference), ``seed`` (shuffle seed,
default 0), ``rft_options`` as for every model grader (hardening ON by default; ``ensemble``, ``context_budget``).

Groups: ``grade_batch`` groups pairs by item (:mod:`rft_kit.graders.grouping`); ``rft grade`` keeps the samples of
an item in one batch, and TRL batches hold whole groups. ``grade`` of a single pair is a group of one.

Guarantees (:mod:`rft_kit.judge.relative`):

* identical samples (same rendered answer) are shown once and get identical scores;
* the shown order is shuffled per call with a seed and undone exactly;
* a reply with the wrong number of scores, a wrong/repeated id or a score outside [0, 1] is an error
  (``model_grader_parse_error``) for every sample of the group, never a guess;
* a group whose prompt is over ``context_budget`` has each candidate cut in the middle (final answer kept), or is
  an error with ``overflow: error`` (:mod:`rft_kit.judge.budget`).

Export: refused (:meth:`to_hosted` raises with the reason): a hosted grader scores one sample at a time and never
sees the group, so no hosted grader computes a relative score.

Limits: inside a ``multi`` grader (which is not group-aware) each sample is ranked alone, as a group of one; so is a
single ``grade`` call, e.g. the cases of ``rft check`` (use labelled cases and ``check.agreement``, which grade the
labelled cases of one item as one group).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ConfigError, GradeFailure
from ..judge import budget
from ..judge import harden as hardening
from ..judge.calls import ChatRequest, JudgeReply
from ..judge.ensemble import reduce_rewards
from ..judge.relative import has_scores, order_for, ranking_schema, read_scores, unshuffle
from ..records import GradeError, GradeResult, Sample
from ..templating import Template, compile_template
from .base import SampleLike, as_sample
from .grouping import group_indices
from .judge_base import JudgeGrader, ReplyError, read_verdict, token_usage

__all__ = ["RankingJudgeGrader", "task_text"]

SYSTEM_PROMPT = (
    "You are an expert evaluator. You will see a task, the criteria to judge by, and several candidate answers to "
    "the same task. Score EVERY candidate relative to the others on a scale from 0 (worst) to 1 (best): better "
    "answers get higher scores; equally good answers get equal scores. Return one entry per candidate, with the "
    "candidate's id exactly as shown, and nothing else. First list short reasoning steps, then the scores."
)
_TASK_FIELDS = ("prompt", "question", "messages", "input")


def task_text(item: Mapping[str, Any]) -> str:
    """What the task was, from common item fields (a chat transcript becomes ``role: content`` lines)."""
    for key in _TASK_FIELDS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list) and value:
            lines = [
                f"{m.get('role', 'user')}: {m.get('content')}" if isinstance(m, Mapping) else str(m) for m in value
            ]
            return "\n".join(lines)
    return "(not given)"


@dataclass
class _Plan:
    """One group on its way: per-sample early results, the distinct answers and the calls to make."""

    size: int
    results: list[GradeResult | None]
    texts: list[str] = field(default_factory=list)  # distinct answers
    index_of: list[int] = field(default_factory=list)  # per sample: index into texts (-1: early result)
    orders: list[list[int]] = field(default_factory=list)  # per model
    requests: list[ChatRequest] = field(default_factory=list)  # per model
    truncated: dict[str, Any] | None = None
    start: float = 0.0


class RankingJudgeGrader(JudgeGrader):
    """A group-relative judge; see the module docstring."""

    type: ClassVar[str] = "ranking_judge"
    group_aware: ClassVar[bool] = True
    harden_default: ClassVar[bool] = True

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self.criteria = str(self._config["criteria"])
        self.seed = int(self._config.get("seed", 0))
        self.answer: Template = self._template_or("answer", "{{sample.output_text}}")
        self.task: Template | None = self._template_or("task", None) if "task" in self._config else None
        self.reference: Template | None = self._template_or("reference", None) if "reference" in self._config else None
        self._schema = ranking_schema()

    def _template_or(self, key: str, default: str | None) -> Template:
        at = f"{self.path}.{key}" if self.path else key
        return compile_template(str(self._config.get(key, default)), field=at, options=self.render_options)

    @property
    def templates(self) -> tuple[Template, ...]:
        return tuple(t for t in (self.answer, self.task, self.reference) if t is not None)

    # -- JudgeGrader hooks (a single pair is a group of one) -------------------------------------------------------
    def _requests(self, sample: Sample, item: Mapping[str, Any]) -> list[ChatRequest]:
        return self._plan([sample], item).requests

    def _conclude(
        self, sample: Sample, item: Mapping[str, Any], outcomes: list[JudgeReply | GradeFailure]
    ) -> GradeResult:
        plan = self._plan([sample], item)
        return self._finish(plan, outcomes)[0]

    def grade(self, sample: SampleLike, item: Mapping[str, Any] | None = None) -> GradeResult:
        return self.grade_group([sample], item)[0]

    def grade_group(self, samples: Sequence[SampleLike], item: Mapping[str, Any] | None = None) -> list[GradeResult]:
        return self._grade_plans([self._safe_plan(samples, item or {})])[0]

    def _all_requests(self, sample: Sample, item: Mapping[str, Any]) -> list[ChatRequest]:
        return self._requests(sample, item)  # a plan already holds one call per ensemble model

    def _safe_plan(self, samples: Sequence[SampleLike], item: Mapping[str, Any]) -> _Plan:
        """:meth:`_plan`, with a bug recorded on every sample of the group instead of raised."""
        try:
            return self._plan(samples, item)
        except Exception as exc:
            plan = _Plan(size=len(samples), results=[self._internal_error(exc) for _ in samples])
            plan.index_of = [-1] * len(samples)
            plan.start = time.perf_counter()
            return plan

    def grade_batch(
        self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]
    ) -> list[GradeResult]:
        """Grade every group of the batch, all groups' calls made concurrently."""
        if len(samples) != len(items):
            raise ValueError(f"a batch needs as many items as samples ({len(samples)} != {len(items)})")
        groups = group_indices(items)
        plans = [self._safe_plan([samples[i] for i in g], items[g[0]] or {}) for g in groups]
        out: list[GradeResult] = [GradeResult(reward=0.0)] * len(samples)
        for indices, results in zip(groups, self._grade_plans(plans), strict=True):
            for index, result in zip(indices, results, strict=True):
                out[index] = result
        return out

    def _grade_plans(self, plans: list[_Plan]) -> list[list[GradeResult]]:
        calls = [r for p in plans for r in p.requests]
        try:
            outcomes = self._fetch(calls) if calls else []
        except Exception as exc:  # a bug must not kill the run: every pair of these groups records it
            failure = GradeFailure("internal", "other_error", f"{type(exc).__name__}: {exc} (a bug in rft-kit)")
            outcomes = [failure] * len(calls)
        finished: list[list[GradeResult]] = []
        position = 0
        for plan in plans:
            own = outcomes[position : position + len(plan.requests)]
            position += len(plan.requests)
            try:
                results = self._finish(plan, own)
            except Exception as exc:
                results = [self._internal_error(exc) for _ in range(plan.size)]
            duration = (time.perf_counter() - plan.start) * 1000.0
            for result in results:
                result.grader_name, result.grader_type = self.name, self.type
                result.duration_ms = duration
            finished.append(results)
        return finished

    # -- planning ------------------------------------------------------------------------------------------------
    def _plan(self, samples: Sequence[SampleLike], item: Mapping[str, Any]) -> _Plan:
        plan = _Plan(size=len(samples), results=[None] * len(samples), start=time.perf_counter())
        seen: dict[str, int] = {}
        for n, raw in enumerate(samples):
            try:
                sample = as_sample(raw)
                if sample.error:
                    raise GradeFailure(
                        "sample", "other_error", f"the sample carries a sampling error: {sample.error.get('message')}"
                    )
                text = self.answer.render(sample.namespace(), item)
            except GradeFailure as failure:
                plan.results[n] = self._failed(failure)
                plan.index_of.append(-1)
                continue
            except (TypeError, ValueError) as exc:
                plan.results[n] = self._failed(GradeFailure("parse", "sample_parse_error", f"bad sample: {exc}"))
                plan.index_of.append(-1)
                continue
            plan.index_of.append(seen.setdefault(text, len(seen)))
        plan.texts = list(seen)
        if not plan.texts:
            return plan
        try:
            header = self._header(item)
            texts, plan.truncated = self._fit_group(header, plan.texts)
        except GradeFailure as failure:
            self._fail_group(plan, failure)
            return plan
        for model in self.models:
            order = order_for(plan.texts, seed=self.seed, model=model)
            plan.orders.append(order)
            plan.requests.append(self._request(model, header, [texts[i] for i in order]))
        return plan

    def _header(self, item: Mapping[str, Any]) -> str:
        task = self.task.render({}, item) if self.task is not None else task_text(item)
        parts = [f"Task:\n{task}", f"Judging criteria:\n{self.criteria}"]
        if self.reference is not None:
            parts.append(f"Reference:\n{self.reference.render({}, item)}")
        return "\n\n".join(parts)

    def _messages(self, header: str, shown: Sequence[str]) -> list[dict[str, Any]]:
        tag = hardening.tag_for(shown) if self.options.harden else None
        blocks = [
            f"Candidate {k}:\n{hardening.wrap(text, tag) if tag is not None else text}"
            for k, text in enumerate(shown, 1)
        ]
        user = f"{header}\n\nCandidates ({len(shown)}; ids 1..{len(shown)}):\n\n" + "\n\n".join(blocks)
        messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM_PROMPT}]
        if tag is not None:
            messages.insert(0, {"role": "system", "content": hardening.system_instruction(tag)})
        messages.append({"role": "user", "content": user})
        return messages

    def _request(self, model: str, header: str, shown: Sequence[str]) -> ChatRequest:
        return ChatRequest(
            model,
            self._messages(header, shown),
            "ranking_verdict",
            self._schema,
            self.params,
            self.options.structured_output,
        )

    def _fit_group(self, header: str, texts: list[str]) -> tuple[list[str], dict[str, Any] | None]:
        limit = self.options.context_budget
        if limit is None:
            return texts, None
        used = budget.messages_tokens(self._messages(header, texts))
        if used <= limit:
            return texts, None
        if self.options.overflow == "error":
            raise budget.over_budget_failure(used, limit, "rft_options.overflow is 'error'")
        current = list(texts)
        for _ in range(6):
            excess = used - limit
            sizes = [budget.estimate_tokens(t) for t in current]
            total = sum(sizes) or 1
            keeps = [s - -(-excess * s // total) - 8 for s in sizes]
            if min(keeps) < 24 and any(s > 24 for s in sizes):
                keeps = [max(k, 24) for k in keeps]
            current = [budget.cut_middle(t, k) for t, k in zip(current, keeps, strict=True)]
            new_used = budget.messages_tokens(self._messages(header, current))
            if new_used <= limit:
                return current, {"policy": "truncate", "prompt_tokens_before": used, "after": new_used}
            if new_used >= used:
                break
            used = new_used
        raise budget.over_budget_failure(used, limit, f"the group's {len(texts)} answers cannot be cut enough")

    # -- results -------------------------------------------------------------------------------------------------
    def _failed(self, failure: GradeFailure) -> GradeResult:
        return GradeResult.failed(GradeError(failure.kind, failure.flag, failure.message, self.name))

    def _fail_group(self, plan: _Plan, failure: GradeFailure, replies: Sequence[JudgeReply] = ()) -> None:
        for n, index in enumerate(plan.index_of):
            if index >= 0:
                result = self._failed(failure)
                result.token_usage = token_usage(replies) if n == self._first_member(plan) else None
                plan.results[n] = result

    @staticmethod
    def _first_member(plan: _Plan) -> int:
        return next((n for n, i in enumerate(plan.index_of) if i >= 0), -1)

    def _finish(self, plan: _Plan, outcomes: Sequence[JudgeReply | GradeFailure]) -> list[GradeResult]:
        if plan.requests and all(r is None for n, r in enumerate(plan.results) if plan.index_of[n] >= 0):
            replies = [o for o in outcomes if isinstance(o, JudgeReply)]
            per_model: list[list[float]] = []
            problem: GradeFailure | None = None
            for model, order, outcome in zip(self.models, plan.orders, outcomes, strict=True):
                if isinstance(outcome, GradeFailure):
                    problem = outcome
                    break
                try:
                    verdict = read_verdict(outcome, has_scores, "a 'scores' list")
                    shown = read_scores(verdict, len(plan.texts))
                except ReplyError as exc:
                    problem = GradeFailure("model_api", exc.flag, exc.message)
                    break
                except ValueError as exc:
                    problem = GradeFailure(
                        "model_api",
                        "model_grader_parse_error",
                        f"unusable ranking from {model!r} for a group of {len(plan.texts)} distinct answers: {exc}; "
                        "the whole group is an error (scores are never guessed)",
                    )
                    break
                per_model.append(unshuffle(shown, order))
            if problem is not None:
                self._fail_group(plan, problem, replies)
            else:
                self._score_members(plan, per_model, replies)
        return [
            r if r is not None else self._failed(GradeFailure("internal", "other_error", "ungraded"))
            for r in plan.results
        ]

    def _score_members(self, plan: _Plan, per_model: list[list[float]], replies: Sequence[JudgeReply]) -> None:
        scores: list[float] = []
        disagreement: list[float] = []
        for k in range(len(plan.texts)):
            reward, spread = reduce_rewards([m[k] for m in per_model], self.reducer)
            scores.append(reward)
            disagreement.append(spread)
        first = self._first_member(plan)
        for n, index in enumerate(plan.index_of):
            if index < 0:
                continue
            metadata: dict[str, Any] = {
                "sampled_model_name": replies[0].model if replies else self.model,
                "group_size": plan.size,
                "distinct_answers": len(plan.texts),
                "candidate": index,
                "shown_as": [order.index(index) + 1 for order in plan.orders],
                "cached": all(r.cached for r in replies),
            }
            if len(self.models) > 1:
                metadata["ensemble"] = {
                    "reducer": self.reducer,
                    "members": [{"model": m, "reward": s[index]} for m, s in zip(self.models, per_model, strict=True)],
                    "disagreement": disagreement[index],
                }
            if plan.truncated is not None:
                metadata["truncated"] = plan.truncated
            # the group's calls are charged once, to its first sample, so sums over results count each call once
            usage = token_usage(replies) if n == first else None
            plan.results[n] = GradeResult(reward=scores[index], metadata=metadata, token_usage=usage)

    def _fit(self, sample: Sample, item: Mapping[str, Any]) -> tuple[Sample, dict[str, Any] | None]:
        return sample, None  # the group is fitted as a whole in _plan

    def to_hosted(self) -> dict[str, Any] | None:
        """Refused, with the reason (see the module docstring).

        Raises:
            ConfigError: always.
        """
        raise ConfigError(
            "ranking_judge scores the samples of an item relative to each other in one judge call; a hosted grader "
            "sees one sample at a time, so no hosted grader computes this reward. For OpenAI use a score_model with "
            "the same criteria (absolute scores); keep ranking_judge for TRL, verl and rft grade"
        )
