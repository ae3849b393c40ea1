"""The base class of model graders: sync :class:`~rft_kit.graders.base.Grader` API over the async judge engine.

A subclass says which calls a pair needs (:meth:`JudgeGrader._requests`) and how replies become a result
(:meth:`JudgeGrader._conclude`). This class runs them:

* :meth:`grade` makes the pair's calls on the engine's loop and waits.
* :meth:`grade_batch` first sends every call of the batch concurrently (bounded by ``concurrency``), then grades each
  pair through the very same :meth:`grade` path, which finds its replies already fetched: results are identical to
  per-pair grading by construction.
* Inside a ``multi`` grader, the batch hook (:meth:`Grader.rewards`) is where a batch arrives; a judge cannot give a
  bare reward list (its results carry token usage and reasoning), so it prefetches the batch's calls there and
  declines, and the multi's per-pair path then finds the replies. Only the first judge of a multi is prefetched
  this way (``multi`` stops asking at the first sub-grader that declines).

Replies that cannot be used are *errors*, never wrong answers (reward 0, ``status: error``), with the hosted flags:
a refusal (or content filter) ``model_grader_refusal_error``, ``finish_reason: length``
``model_grader_exceeded_max_tokens_error``, no acceptable JSON verdict ``model_grader_parse_error``, and a call that
failed ``model_grader_server_error``. Token usage is recorded on every result that made or reused a call.
"""

from __future__ import annotations

import dataclasses
import json
import math
import threading
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ..errors import ConfigError, GradeFailure, HostedFlag
from ..judge import budget
from ..judge.calls import ChatRequest, JudgeReply
from ..judge.engine import CacheMode, EngineSettings, JudgeEngine
from ..judge.ensemble import Reducer, parse_ensemble, reduce_rewards
from ..judge.ledger import Ledger, price_for
from ..judge.options import JudgeOptions, sampling_params
from ..judge.parse import last_object
from ..judge.prompt import PromptTemplate
from ..judge.runner import engine_for, run
from ..records import GradeError, GradeResult, Sample
from ..templating import Template
from .base import Grader, NotVectorizable, SampleLike, as_sample

__all__ = ["JudgeGrader", "ReplyError", "is_number", "read_verdict", "token_usage"]

_SHOWN_REPLY_CHARS = 300


class ReplyError(Exception):
    """A judge reply that cannot be used; becomes a ``model_api`` error with ``flag``."""

    def __init__(self, flag: HostedFlag, message: str) -> None:
        super().__init__(message)
        self.flag: HostedFlag = flag
        self.message = message


def is_number(value: Any) -> bool:
    """A JSON number that is a usable score (not a boolean, finite)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def read_verdict(reply: JudgeReply, accept: Callable[[dict[str, Any]], bool], wanted: str) -> dict[str, Any]:
    """The verdict object of a reply.

    Raises:
        ReplyError: a refusal, a reply cut at the token limit, or no JSON object with ``wanted`` in it.
    """
    if reply.refusal or reply.finish_reason == "content_filter":
        why = reply.refusal or "the reply was stopped by the content filter"
        raise ReplyError("model_grader_refusal_error", f"the judge refused: {why}")
    if reply.finish_reason == "length":
        raise ReplyError(
            "model_grader_exceeded_max_tokens_error",
            f"the judge reply was cut at the token limit ({reply.usage.completion_tokens} completion tokens); raise "
            "sampling_params.max_completions_tokens",
        )
    verdict = last_object(reply.content or "", accept)
    if verdict is None:
        shown = (reply.content or "")[:_SHOWN_REPLY_CHARS]
        raise ReplyError("model_grader_parse_error", f"no JSON object with {wanted} in the judge reply: {shown!r}")
    return verdict


def token_usage(replies: Sequence[JudgeReply]) -> dict[str, Any] | None:
    """``{"total": {...}, "per_model": {model: {...}}}`` summed over replies (``None`` without any)."""
    if not replies:
        return None
    total: dict[str, int] = {}
    per_model: dict[str, dict[str, int]] = {}
    for reply in replies:
        counts = reply.usage.to_dict()
        slot = per_model.setdefault(reply.model, {})
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
            slot[key] = slot.get(key, 0) + value
    return {"total": total, "per_model": per_model}


class JudgeGrader(Grader):
    """Shared machinery of ``score_model``, ``label_model`` and ``rubric_judge``; see the module docstring.

    Attributes:
        options: the parsed judge ``rft_options``.
        ledger: tokens, cost, retries and cache hits of this grader's calls (per process), with its budget.
        cache_mode: ``use`` (default with ``cache: true``), ``refresh`` (call anyway, overwrite) or ``off``.
    """

    parallel_inside: bool = True

    harden_default: ClassVar[bool] = False

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        at = f"{path}.rft_options" if path else "rft_options"
        self.options = JudgeOptions.from_config(
            self._config.get("rft_options") or {}, harden_default=self.harden_default, path=at
        )
        self.model = str(self._config["model"])
        self.params = sampling_params(self._config.get("sampling_params"))
        if self.options.budget_usd is not None and price_for(self.model, self.options.prices) is None:
            raise ConfigError(
                f"a USD budget needs the price of {self.model!r}, which is not in the built-in table; add it to "
                "rft_options.prices or set budget.tokens instead",
                path=f"{at}.budget.usd",
            )
        self.ledger = Ledger(
            max_tokens=self.options.budget_tokens, max_usd=self.options.budget_usd, prices=self.options.prices
        )
        self.cache_mode: CacheMode = "use" if self.options.cache else "off"
        ensemble = parse_ensemble((self._config.get("rft_options") or {}).get("ensemble"), f"{at}.ensemble")
        self.models: tuple[str, ...] = ensemble[0] if ensemble else (self.model,)
        self.reducer: Reducer = ensemble[1] if ensemble else "mean"
        self._prefetched: dict[str, JudgeReply | GradeFailure] = {}
        self._prefetch_lock = threading.Lock()

    @property
    def engine(self) -> JudgeEngine:
        """The process's engine for this grader's endpoint settings."""
        opts = self.options
        return engine_for(
            EngineSettings(
                base_url=opts.base_url,
                api_key_env=opts.api_key_env,
                concurrency=opts.concurrency,
                max_retries=opts.max_retries,
                timeout_s=opts.timeout_s,
                max_reply_bytes=opts.max_reply_bytes,
                cache_path=opts.cache_path if opts.cache else None,
            )
        )

    # -- what subclasses say -------------------------------------------------------------------------------------
    @abstractmethod
    def _requests(self, sample: Sample, item: Mapping[str, Any]) -> list[ChatRequest]:
        """The judge calls one pair needs. Raise :class:`GradeFailure` for a pair that cannot be asked about."""

    @abstractmethod
    def _conclude(
        self, sample: Sample, item: Mapping[str, Any], outcomes: list[JudgeReply | GradeFailure]
    ) -> GradeResult:
        """Turn the pair's call outcomes (in :meth:`_requests` order) into a result."""

    # -- running -------------------------------------------------------------------------------------------------
    def _score(self, sample: Sample, item: Mapping[str, Any]) -> GradeResult:
        fitted, truncated = self._fit(sample, item)
        requests = self._requests(fitted, item)
        if len(self.models) == 1:
            result = self._conclude(fitted, item, self._fetch(requests))
        else:
            result = self._ensemble(fitted, item, requests)
        if truncated is not None:
            result.metadata["truncated"] = truncated
        return result

    def _all_requests(self, sample: Sample, item: Mapping[str, Any]) -> list[ChatRequest]:
        """Every call of a pair: its requests after the context budget, once per ensemble model."""
        requests = self._requests(self._fit(sample, item)[0], item)
        if len(self.models) == 1:
            return requests
        return [dataclasses.replace(r, model=m) for m in self.models for r in requests]

    def _ensemble(self, sample: Sample, item: Mapping[str, Any], requests: list[ChatRequest]) -> GradeResult:
        per_model = [[dataclasses.replace(r, model=m) for r in requests] for m in self.models]
        outcomes = self._fetch([r for group in per_model for r in group])
        results: list[GradeResult] = []
        for n in range(len(self.models)):
            own = outcomes[n * len(requests) : (n + 1) * len(requests)]
            failure = next((o for o in own if isinstance(o, GradeFailure)), None)
            results.append(
                GradeResult.failed(GradeError(failure.kind, failure.flag, failure.message, self.name))
                if failure is not None
                else self._conclude(sample, item, own)
            )
        replies = [o for o in outcomes if isinstance(o, JudgeReply)]
        members = [
            {"model": m, "reward": r.reward, "status": r.status, "metadata": r.metadata}
            | ({"error": r.error.message} if r.error else {})
            for m, r in zip(self.models, results, strict=True)
        ]
        failed = next(((m, r) for m, r in zip(self.models, results, strict=True) if r.status == "error"), None)
        if failed is not None:
            model, bad = failed
            assert bad.error is not None
            return self._error(
                bad.error.flag,
                f"ensemble member {model!r} failed: {bad.error.message}",
                replies,
                {"ensemble": {"reducer": self.reducer, "members": members}},
            )
        reward, disagreement = reduce_rewards([r.reward for r in results], self.reducer)
        metadata: dict[str, Any] = {
            "ensemble": {"reducer": self.reducer, "members": members, "disagreement": disagreement},
            "cached": all(r.cached for r in replies),
        }
        return GradeResult(reward=reward, metadata=metadata, token_usage=token_usage(replies))

    def _fit(self, sample: Sample, item: Mapping[str, Any]) -> tuple[Sample, dict[str, Any] | None]:
        """The sample cut to the context budget (:mod:`rft_kit.judge.budget`), and what was cut.

        Raises:
            GradeFailure: ``truncated_observation_error`` when the pair cannot fit (or ``overflow: error``).
        """
        limit = self.options.context_budget
        if limit is None:
            return sample, None
        used = max((budget.messages_tokens(r.messages) for r in self._requests(sample, item)), default=0)
        if used <= limit:
            return sample, None
        if self.options.overflow == "error":
            raise budget.over_budget_failure(used, limit, "rft_options.overflow is 'error'")
        original = used
        current = sample
        for _ in range(6):  # each round removes at least the measured excess; hardening escapes may add a little
            excess = used - limit
            shorter = None
            if current.trajectory and len(current.trajectory) > 2:
                turns = list(current.trajectory)
                removed = 0
                # middle turns go until about the excess is gone: the task (first) and the final answer (last) stay
                while len(turns) > 2 and removed < excess:
                    removed += budget.estimate_tokens(json.dumps(turns.pop(len(turns) // 2), default=str))
                shorter = dataclasses.replace(current, trajectory=turns)
                if max(budget.messages_tokens(r.messages) for r in self._requests(shorter, item)) >= used:
                    shorter = None  # the prompt does not show the trajectory: cut the text instead
            if shorter is not None:
                current = shorter
            else:
                have = budget.estimate_tokens(current.output_text)
                keep = have - excess - 8
                if keep < 24:
                    raise budget.over_budget_failure(
                        used, limit, "even with the graded text cut to its final words the prompt does not fit"
                    )
                current = dataclasses.replace(current, output_text=budget.cut_middle(current.output_text, keep))
            used = max((budget.messages_tokens(r.messages) for r in self._requests(current, item)), default=0)
            if used <= limit:
                info: dict[str, Any] = {"policy": "truncate", "prompt_tokens_before": original, "after": used}
                if sample.trajectory is not None and current.trajectory is not None:
                    info["turns_dropped"] = len(sample.trajectory) - len(current.trajectory)
                return current, info
        raise budget.over_budget_failure(used, limit, "truncating the graded text did not make it fit")

    def _fetch(self, requests: list[ChatRequest]) -> list[JudgeReply | GradeFailure]:
        with self._prefetch_lock:
            found = [self._prefetched.get(r.fingerprint) for r in requests]
        missing = [r for r, f in zip(requests, found, strict=True) if f is None]
        fetched = iter(
            run(self.engine.complete_many(missing, ledger=self.ledger, cache=self.cache_mode)) if missing else []
        )
        return [f if f is not None else next(fetched) for f in found]

    def prefetch(self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]) -> None:
        """Make every judge call of a batch concurrently and keep the outcomes for the per-pair path."""
        requests: dict[str, ChatRequest] = {}
        for sample, item in zip(samples, items, strict=True):
            try:
                smp = as_sample(sample)
                if smp.error:
                    continue
                for request in self._all_requests(smp, item if item is not None else {}):
                    requests.setdefault(request.fingerprint, request)
            except Exception:  # the per-pair path records this pair's error itself
                continue
        outcomes = run(self.engine.complete_many(list(requests.values()), ledger=self.ledger, cache=self.cache_mode))
        with self._prefetch_lock:
            self._prefetched = dict(zip(requests, outcomes, strict=True))

    def grade_batch(
        self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any] | None]
    ) -> list[GradeResult]:
        """Grade many pairs with their judge calls made concurrently; results equal per-pair :meth:`grade`."""
        if len(samples) != len(items):
            raise ValueError(f"a batch needs as many items as samples ({len(samples)} != {len(items)})")
        self.prefetch(samples, items)
        try:
            return [self.grade(s, i) for s, i in zip(samples, items, strict=True)]
        finally:
            with self._prefetch_lock:
                self._prefetched = {}

    def _score_batch(self, samples: Sequence[SampleLike], items: Sequence[Mapping[str, Any]]) -> list[float] | None:
        # The hook multi uses for batches: fetch concurrently now, then decline so the per-pair path runs.
        self.prefetch(samples, items)
        raise NotVectorizable

    # -- results -------------------------------------------------------------------------------------------------
    def _error(
        self, flag: HostedFlag, message: str, replies: Sequence[JudgeReply], metadata: dict[str, Any] | None = None
    ) -> GradeResult:
        error = GradeError("model_api", flag, message, self.name)
        return GradeResult(
            reward=0.0,
            status="error",
            error=error,
            errors=[error],
            metadata=metadata or {},
            token_usage=token_usage(replies),
        )

    def _reply_metadata(self, reply: JudgeReply) -> dict[str, Any]:
        return {"sampled_model_name": reply.model, "cached": reply.cached, "structured_output": reply.mode}

    def _single(self, outcomes: list[JudgeReply | GradeFailure]) -> JudgeReply:
        outcome = outcomes[0]
        if isinstance(outcome, GradeFailure):
            raise outcome
        return outcome

    def _unusable(self, reply: JudgeReply, exc: ReplyError) -> GradeResult:
        metadata = self._reply_metadata(reply)
        metadata["reply"] = (reply.content or reply.refusal or "")[:_SHOWN_REPLY_CHARS]
        return self._error(exc.flag, exc.message, [reply], metadata)


class SingleVerdictJudge(JudgeGrader):
    """A judge that asks one question per pair: the hosted ``score_model`` and ``label_model``.

    The messages come from the config's ``input``; subclasses set ``schema_name`` and ``_schema`` (the structured
    verdict they ask for) and implement :meth:`JudgeGrader._conclude`.
    """

    schema_name: ClassVar[str]
    _schema: dict[str, Any]

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self.prompt = PromptTemplate(
            self._config["input"], field=f"{path}.input" if path else "input", options=self.render_options
        )

    @property
    def templates(self) -> tuple[Template, ...]:
        return self.prompt.templates

    def _requests(self, sample: Sample, item: Mapping[str, Any]) -> list[ChatRequest]:
        messages = self.prompt.render(sample.namespace(), item, harden=self.options.harden)
        return [
            ChatRequest(
                self.model, messages, self.schema_name, self._schema, self.params, self.options.structured_output
            )
        ]
