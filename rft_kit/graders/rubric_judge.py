"""``rubric_judge`` (rft-kit extension): a judge decides each rubric criterion; points make the score.

HealthBench-style: criteria ``{criterion, points, tags?}`` with positive points for wanted behaviour
and negative points for unwanted behaviour; each is judged with ``{explanation, criteria_met}`` (explanation first);
score = points of met criteria / positive points, clipped to [0, 1] (:mod:`rft_kit.judge.rubric`).

* ``criteria`` in the config, or ``rubric_from: "{{item.rubric}}"`` to read them from each item (a list, or a string
  holding a JSON list).
* ``input``: the conversation the answer replies to (templated messages, shown to the judge as text);
  ``answer``: the graded text (default ``{{sample.output_text}}``).
* ``mode: per_criterion`` (default) makes one call per criterion, concurrently; ``batched`` one call returning
  ``{criteria: [{id, explanation, criteria_met}]}`` for every criterion (cheaper; criteria may influence each other).
* Hardening is ON by default (``rft_options.harden``): this is our own grader type, with no hosted semantics to keep.

A criterion whose call fails or whose reply is unusable makes the whole result an error (a score with a criterion
missing would be meaningless); every per-criterion verdict is in ``metadata.criteria``, per-tag scores in
``metadata.tag_scores``.

Export: :meth:`RubricJudgeGrader.to_hosted` compiles the rubric into a hosted ``score_model`` whose prompt lists the
criteria and asks the judge for the same arithmetic in one call. That keeps the rubric, but not the per-criterion
calls or the exact arithmetic (the hosted model computes the score itself), so local and hosted scores can differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ConfigError, GradeFailure
from ..judge.calls import ChatRequest, JudgeReply
from ..judge.prompt import PromptTemplate
from ..judge.rubric import Criterion, parse_criteria, rubric_score, tag_scores
from ..judge.schemas import criteria_schema, criterion_schema
from ..records import GradeResult, Sample
from ..templating import Template, compile_template, resolve
from .judge_base import JudgeGrader, ReplyError, read_verdict, token_usage

__all__ = ["RubricJudgeGrader"]

SYSTEM_PROMPT = (
    "You are an expert grader. You will see a conversation, a model answer to it, and rubric criteria. For each "
    "criterion decide whether the model answer meets it. A criterion may describe something undesirable (it has "
    "negative points): it is still 'met' when the answer does that undesirable thing. Judge only the model "
    "answer. First write a short explanation, then give criteria_met."
)
_DEFAULT_ANSWER = "{{sample.output_text}}"


def _user_template(config: Mapping[str, Any]) -> str:
    """The judge's user turn: the conversation as text, then the answer (one template)."""
    conversation = "\n".join(f"{m['role']}: {m['content']}" for m in config.get("input") or [])
    answer = config.get("answer", _DEFAULT_ANSWER)
    return f"Conversation:\n{conversation or '(none given)'}\n\nModel answer:\n{answer}"


def _is_criterion_verdict(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("criteria_met"), bool)


class RubricJudgeGrader(JudgeGrader):
    """A rubric-scored grader; see the module docstring."""

    type: ClassVar[str] = "rubric_judge"
    harden_default: ClassVar[bool] = True

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        at = f"{path}." if path else ""
        self.mode: str = self._config.get("mode", "per_criterion")
        self.criteria: list[Criterion] | None = None
        if "criteria" in self._config:
            try:
                self.criteria = parse_criteria(self._config["criteria"])
            except ValueError as exc:
                raise ConfigError(str(exc), path=f"{at}criteria") from None
        self.rubric_from: Template | None = None
        if "rubric_from" in self._config:
            self.rubric_from = compile_template(
                self._config["rubric_from"], field=f"{at}rubric_from", options=self.render_options
            )
        user = _user_template(self._config)
        # The system prompt is a literal; the user turn is one template (criteria are appended after rendering, so
        # that braces in criterion text are never read as template variables).
        self.prompt = PromptTemplate(
            [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}],
            field=f"{at}input",
            options=self.render_options,
        )

    @property
    def templates(self) -> tuple[Template, ...]:
        own = (self.rubric_from,) if self.rubric_from is not None else ()
        return (*self.prompt.templates, *own)

    def _criteria_for(self, sample: Sample, item: Mapping[str, Any]) -> list[Criterion]:
        if self.criteria is not None:
            return self.criteria
        assert self.rubric_from is not None  # the schema requires criteria or rubric_from
        value = resolve(self.rubric_from.refs[0], {"sample": sample.namespace(), "item": item}, self.render_options)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise GradeFailure(
                    "config", "invalid_variable_error", f"{self.rubric_from.source} is a string that is not JSON"
                ) from None
        try:
            return parse_criteria(value)
        except ValueError as exc:
            raise GradeFailure("config", "invalid_variable_error", f"{self.rubric_from.source}: {exc}") from None

    def _requests(self, sample: Sample, item: Mapping[str, Any]) -> list[ChatRequest]:
        criteria = self._criteria_for(sample, item)
        base = self.prompt.render(sample.namespace(), item, harden=self.options.harden)
        if self.mode == "batched":
            listing = "\n".join(f"[{n}] ({c.points:g} points) {c.criterion}" for n, c in enumerate(criteria, 1))
            return [self._request(base, f"Criteria:\n{listing}", "criteria_verdicts", criteria_schema())]
        return [
            self._request(
                base, f"Criterion:\n({c.points:g} points) {c.criterion}", "criterion_verdict", criterion_schema()
            )
            for c in criteria
        ]

    def _request(self, base: list[dict[str, Any]], tail: str, name: str, schema: dict[str, Any]) -> ChatRequest:
        messages = [*base[:-1], {**base[-1], "content": f"{base[-1]['content']}\n\n{tail}"}]
        return ChatRequest(self.model, messages, name, schema, self.params, self.options.structured_output)

    def _conclude(
        self, sample: Sample, item: Mapping[str, Any], outcomes: list[JudgeReply | GradeFailure]
    ) -> GradeResult:
        criteria = self._criteria_for(sample, item)
        replies = [o for o in outcomes if isinstance(o, JudgeReply)]
        failure = next((o for o in outcomes if isinstance(o, GradeFailure)), None)
        if failure is not None:
            return self._error(failure.flag, failure.message, replies)
        try:
            verdicts = self._verdicts(criteria, replies)
        except ReplyError as exc:
            return self._error(exc.flag, exc.message, replies, {"sampled_model_name": replies[0].model})
        met = [bool(v["criteria_met"]) for v in verdicts]
        score = rubric_score(criteria, met)
        assert score is not None  # parse_criteria guarantees a positive criterion
        details = [
            {**c.to_dict(), "met": ok, "explanation": v.get("explanation")}
            for c, ok, v in zip(criteria, met, verdicts, strict=True)
        ]
        metadata: dict[str, Any] = {
            "sampled_model_name": replies[0].model,
            "criteria": details,
            "achieved_points": sum(c.points for c, ok in zip(criteria, met, strict=True) if ok),
            "possible_points": sum(c.points for c in criteria if c.points > 0),
            "tag_scores": tag_scores(criteria, met),
            "cached": all(r.cached for r in replies),
        }
        return GradeResult(reward=score, metadata=metadata, token_usage=token_usage(replies))

    def _verdicts(self, criteria: list[Criterion], replies: list[JudgeReply]) -> list[dict[str, Any]]:
        if self.mode != "batched":
            return [read_verdict(r, _is_criterion_verdict, "a boolean 'criteria_met'") for r in replies]
        wanted = set(range(1, len(criteria) + 1))

        def complete(obj: dict[str, Any]) -> bool:
            items = obj.get("criteria")
            if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
                return False
            ids = [i.get("id") for i in items]
            return len(ids) == len(wanted) and set(ids) == wanted and all(_is_criterion_verdict(dict(i)) for i in items)

        verdict = read_verdict(replies[0], complete, f"a 'criteria' list with ids 1..{len(criteria)}")
        by_id = {int(i["id"]): dict(i) for i in verdict["criteria"]}
        return [by_id[n] for n in range(1, len(criteria) + 1)]

    def to_hosted(self) -> dict[str, Any]:
        """This grader as a hosted ``score_model`` with the rubric in its prompt (see the module docstring)."""
        if self.criteria is not None:
            rubric = "\n".join(f"- ({c.points:g} points) {c.criterion}" for c in self.criteria)
        else:
            rubric = self._config["rubric_from"]  # rendered by the hosted service as the criteria's JSON
        system = (
            f"{SYSTEM_PROMPT}\n\nRubric (criterion, points):\n{rubric}\n\nAdd the points of every met criterion "
            "(negative points subtract), divide by the sum of the positive points, clip to [0, 1], and return that "
            "number in `result`; list each criterion's decision in `steps`."
        )
        user = _user_template(self._config)
        hosted: dict[str, Any] = {
            "type": "score_model",
            "name": self.name,
            "model": self.model,
            "input": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "range": [0, 1],
        }
        if self._config.get("sampling_params"):
            hosted["sampling_params"] = dict(self._config["sampling_params"])
        return hosted
