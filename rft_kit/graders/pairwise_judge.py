"""``pairwise_judge`` (rft-kit extension): the sample against a reference output, judged in BOTH orders.

Config: ``model``, ``criteria`` (text) and ``reference``: a template of the output compared against, such as
``{{item.reference_answer}}`` or a baseline run's sample (``{{item.baseline_output}}``, which
``rft grade --baseline SAMPLES`` sets: :mod:`rft_kit.judge.baseline`).
Optional ``task`` (default: the item's ``prompt``/``question``/``messages``) and ``answer`` (default
``{{sample.output_text}}``). Two calls per pair: the sample shown as answer A, then as answer B; each returns
``{steps, winner: A | B | tie}``.

Reward (:func:`rft_kit.judge.relative.pairwise_outcome`): 1 the sample wins in both orders, 0 the reference wins in
both, 0.5 a tie; 0.75 / 0.25 when one order wins and the other ties. A verdict that flips with the order (the
judge prefers whichever answer is shown first, or second) is scored as a tie and flagged
``metadata.position_inconsistent: true``; ``rft report`` shows the position-consistency rate of a grades file.

Hardening is ON by default; ``rft_options.ensemble`` and ``context_budget`` work as for every model grader.

Export: refused (:meth:`to_hosted` raises with the reason): a hosted ``score_model`` makes one call, so the two-order
consistency check, which is the point of this grader, cannot be expressed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import ConfigError, GradeFailure
from ..judge.calls import ChatRequest, JudgeReply
from ..judge.prompt import PromptTemplate
from ..judge.relative import WINNERS, pairwise_outcome, pairwise_schema
from ..records import GradeResult, Sample
from ..templating import Template, compile_template
from .judge_base import JudgeGrader, ReplyError, read_verdict, token_usage
from .ranking_judge import task_text

__all__ = ["PairwiseJudgeGrader"]

SYSTEM_PROMPT = (
    "You are an expert evaluator. You will see a task, the criteria to judge by, and two answers to it, A and B. "
    "Decide which answer is better by the criteria, or 'tie' when neither is better. The order in which the answers "
    "are shown says nothing about their quality. First list short reasoning steps, then give the winner."
)


def _is_verdict(obj: dict[str, Any]) -> bool:
    return obj.get("winner") in WINNERS


class PairwiseJudgeGrader(JudgeGrader):
    """A two-order pairwise judge; see the module docstring."""

    type: ClassVar[str] = "pairwise_judge"
    harden_default: ClassVar[bool] = True

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        at = f"{path}." if path else ""
        answer = str(self._config.get("answer", "{{sample.output_text}}"))
        reference = str(self._config["reference"])
        self.task: Template | None = (
            compile_template(str(self._config["task"]), field=f"{at}task", options=self.render_options)
            if "task" in self._config
            else None
        )
        self._prompts = tuple(
            PromptTemplate(
                [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": f"Answer A:\n{first}\n\nAnswer B:\n{second}"},
                ],
                field=f"{at}reference",
                options=self.render_options,
            )
            for first, second in ((answer, reference), (reference, answer))
        )
        self.criteria = str(self._config["criteria"])
        self._schema = pairwise_schema()

    @property
    def templates(self) -> tuple[Template, ...]:
        return (*self._prompts[0].templates, *((self.task,) if self.task is not None else ()))

    def _requests(self, sample: Sample, item: Mapping[str, Any]) -> list[ChatRequest]:
        requests = []
        for prompt in self._prompts:
            messages = prompt.render(sample.namespace(), item, harden=self.options.harden)
            last = messages[-1]
            # task and criteria are added after rendering so that braces in them are never template variables
            task = self.task.render({}, item) if self.task is not None else task_text(item)
            content = f"Task:\n{task}\n\nJudging criteria:\n{self.criteria}\n\n{last['content']}"
            messages = [*messages[:-1], {**last, "content": content}]
            requests.append(
                ChatRequest(
                    self.model, messages, "pairwise_verdict", self._schema, self.params, self.options.structured_output
                )
            )
        return requests

    def _conclude(
        self, sample: Sample, item: Mapping[str, Any], outcomes: list[JudgeReply | GradeFailure]
    ) -> GradeResult:
        replies = [o for o in outcomes if isinstance(o, JudgeReply)]
        failure = next((o for o in outcomes if isinstance(o, GradeFailure)), None)
        if failure is not None:
            return self._error(failure.flag, failure.message, replies)
        try:
            first, second = (str(read_verdict(r, _is_verdict, "a 'winner' of A, B or tie")["winner"]) for r in replies)
        except ReplyError as exc:
            return self._error(exc.flag, exc.message, replies, {"sampled_model_name": replies[0].model})
        outcome = pairwise_outcome(first, second)
        metadata: dict[str, Any] = {
            "sampled_model_name": replies[0].model,
            "verdicts": {"sample_as_A": first, "sample_as_B": second},
            "position_inconsistent": outcome.position_inconsistent,
            "cached": all(r.cached for r in replies),
        }
        return GradeResult(reward=outcome.reward, metadata=metadata, token_usage=token_usage(replies))

    def to_hosted(self) -> dict[str, Any] | None:
        """Refused, with the reason (see the module docstring).

        Raises:
            ConfigError: always.
        """
        raise ConfigError(
            "pairwise_judge judges each sample twice, in both orders, and ties a verdict that flips with the order; a "
            "hosted score_model makes one call per sample and cannot run that check. For OpenAI use a score_model that "
            "shows the reference (absolute scores); keep pairwise_judge for TRL, verl and rft grade"
        )
