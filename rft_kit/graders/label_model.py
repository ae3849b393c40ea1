"""``label_model``: a judge model picks one of ``labels``; reward 1 when it is in ``passing_labels`` (3.4).

The judge is asked for ``{steps: [{description, conclusion}], result: <one of labels>}`` (Structured Outputs with an
enum). A label outside ``labels`` (compared exactly) is a ``model_grader_parse_error``, not a fail. RFT accepts this
grader only inside ``multi``. Hardening is off by default, as for ``score_model``. Metadata: ``sampled_model_name``,
``steps``, ``label`` (the verdict), ``passed``, ``cached``, ``structured_output``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..errors import GradeFailure
from ..judge.calls import JudgeReply
from ..judge.schemas import label_schema
from ..records import GradeResult, Sample
from .judge_base import ReplyError, SingleVerdictJudge, read_verdict, token_usage

__all__ = ["LabelModelGrader"]


class LabelModelGrader(SingleVerdictJudge):
    """A model-labelled grader; see the module docstring."""

    type: ClassVar[str] = "label_model"
    top_level: ClassVar[bool] = False
    schema_name: ClassVar[str] = "label_verdict"

    def __init__(self, config: Mapping[str, Any], *, path: str = "") -> None:
        super().__init__(config, path=path)
        self.labels: tuple[str, ...] = tuple(self._config["labels"])
        self.passing: frozenset[str] = frozenset(self._config["passing_labels"])
        self._schema = label_schema(self.labels)

    def _is_label(self, obj: dict[str, Any]) -> bool:
        return isinstance(obj.get("result"), str) and obj["result"] in self.labels

    def _conclude(
        self, sample: Sample, item: Mapping[str, Any], outcomes: list[JudgeReply | GradeFailure]
    ) -> GradeResult:
        reply = self._single(outcomes)
        try:
            verdict = read_verdict(reply, self._is_label, f"a 'result' among {list(self.labels)}")
        except ReplyError as exc:
            return self._unusable(reply, exc)
        label = str(verdict["result"])
        passed = label in self.passing
        metadata = self._reply_metadata(reply)
        metadata.update(steps=verdict.get("steps"), label=label, passed=passed)
        return GradeResult(reward=1.0 if passed else 0.0, metadata=metadata, token_usage=token_usage([reply]))
