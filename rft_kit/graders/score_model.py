"""``score_model``: a judge model reads templated messages and returns a score (docs/hosted-semantics.md: score_model).

The judge is asked for ``{steps: [{description, conclusion}], result: number}`` through Structured Outputs; the
reward is ``result`` clamped to ``range`` (default ``[0, 1]``), not rescaled. Errors follow the hosted flags (see
:mod:`rft_kit.graders.judge_base`); the engine options live in ``rft_options``
(:class:`~rft_kit.judge.options.JudgeOptions`).

Hardening (``rft_options.harden``) is OFF by default here: the hosted grader renders templates verbatim, and a local
grade should mean what the hosted one means. Turn it on to delimit sample text as data (:mod:`rft_kit.judge.harden`),
e.g. while probing a grader for prompt injection; the rubric judge, our own extension, has it on by default.

Metadata: ``sampled_model_name``, ``steps`` (the judge's reasoning), ``result`` (the raw verdict before clamping),
``cached`` and ``structured_output`` (how the schema was obtained).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import GradeFailure
from ..judge.calls import JudgeReply
from ..judge.schemas import score_schema
from ..records import GradeResult, Sample
from .judge_base import ReplyError, SingleVerdictJudge, is_number, read_verdict, token_usage

__all__ = ["ScoreModelGrader"]


def _has_score(obj: dict[str, Any]) -> bool:
    return is_number(obj.get("result"))


class ScoreModelGrader(SingleVerdictJudge):
    """A model-scored grader; see the module docstring."""

    type: ClassVar[str] = "score_model"
    schema_name: ClassVar[str] = "score_verdict"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        low, high = self._config.get("range") or [0, 1]
        self.low, self.high = float(low), float(high)
        self._schema = score_schema()

    def _conclude(
        self, sample: Sample, item: Mapping[str, Any], outcomes: list[JudgeReply | GradeFailure]
    ) -> GradeResult:
        reply = self._single(outcomes)
        try:
            verdict = read_verdict(reply, _has_score, "a numeric 'result'")
        except ReplyError as exc:
            return self._unusable(reply, exc)
        raw = float(verdict["result"])
        metadata = self._reply_metadata(reply)
        metadata.update(steps=verdict.get("steps"), result=verdict["result"])
        return GradeResult(
            reward=min(self.high, max(self.low, raw)), metadata=metadata, token_usage=token_usage([reply])
        )
