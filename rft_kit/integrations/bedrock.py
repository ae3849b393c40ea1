"""rft-kit graders as AWS Bedrock / Nova RFT reward Lambdas (AGENTIC.md section 3).

Bedrock calls the reward Lambda with a *list* of samples, each the training row with the generated assistant turn
appended to ``messages`` and an ``id`` added::

    [{"id": "123", "messages": [...prompt..., {"role": "assistant", "content": ..., "tool_calls"?: [...]}],
      "reference_answer": {...}, "metadata"?: {...}}]

and expects one result per sample::

    [{"id": "123", "aggregate_reward_score": 0.8,
      "metrics_list": [{"name": "<grader>", "value": 0.8, "type": "Reward"},
                       {"name": "sub/<key>", "value": 1.0, "type": "Metric"}, ...]}]

The item the grader sees is ``reference_answer`` (an object: the row's reference fields, as ``rft export bedrock``
writes them; anything else becomes ``{"reference_answer": value}``) merged over ``metadata``, plus the prompt as
``messages``. The sample is built from the messages after the prompt: the last assistant text is ``output_text``,
every tool call is ``output_tools``. When the item carries an ``environment`` (an agentic row), the tool calls the
model made are replayed on a fresh environment built from it (environments are deterministic, so this is the state
those calls produce), which gives the grader ``final_state`` and the trajectory.

Bedrock's Lambda reward path is single-turn: the model writes one assistant turn and never sees tool results, so an
agentic row is graded on the calls that turn made. Multi-turn training needs SageMaker's delegated rollouts, which
rft-kit does not drive.

One bad sample never fails the batch: a sample that cannot be graded gets 0 with ``grade_error`` 1 and the error
in the log (CloudWatch); a malformed event (not a list of objects) raises, so the job shows the failure instead of
training on zeros.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..environments.episode import play
from ..errors import ConfigError
from ..graders.base import Grader
from ..graders.loading import load_grader
from ..records import Sample
from .trl import completion_sample

__all__ = ["BedrockReward", "item_of", "make_handler", "sample_of"]


def _prompt_length(messages: Sequence[Any]) -> int:
    """Where the generated turns start: after the last user message."""
    last_user = -1
    for index, message in enumerate(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            last_user = index
    return last_user + 1


def item_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The item a grader sees for one Lambda input record."""
    item: dict[str, Any] = {}
    metadata = record.get("metadata")
    if isinstance(metadata, Mapping):
        item.update(metadata)
    reference = record.get("reference_answer")
    if isinstance(reference, Mapping):
        item.update(reference)
    elif reference is not None:
        item["reference_answer"] = reference
    messages = record.get("messages")
    if isinstance(messages, list):
        item["messages"] = messages[: _prompt_length(messages)]
    if "id" in record:
        item.setdefault("id", record["id"])
    return item


def sample_of(record: Mapping[str, Any], item: Mapping[str, Any]) -> Sample:
    """The sample for one record: the generated turns, with the environment replayed for agentic items."""
    messages = record.get("messages")
    generated = messages[_prompt_length(messages) :] if isinstance(messages, list) else []
    sample = completion_sample(generated)
    spec = item.get("environment")
    if not isinstance(spec, Mapping):
        return sample
    calls = [{"name": c["function"]["name"], "arguments": c["function"]["arguments"]} for c in sample.output_tools]
    return Sample.from_obj(play(spec, calls, sample.output_text))


class BedrockReward:
    """The reward Lambda's grading: a list of Bedrock records in, a list of Bedrock results out.

    Args:
        grader: the grader, a grader file or a config dict.
    """

    def __init__(self, grader: Grader | str | Path | Mapping[str, Any]) -> None:
        self.grader = grader if isinstance(grader, Grader) else load_grader(grader, placement="any")
        subs = getattr(self.grader, "graders", None)
        self._sub_keys = list(subs) if isinstance(subs, Mapping) else []

    def __call__(self, event: Any) -> list[dict[str, Any]]:
        """Grade every record of ``event``.

        Raises:
            ConfigError: the event is not a list of objects (nothing Bedrock sends).
        """
        if not isinstance(event, list) or not all(isinstance(r, Mapping) for r in event):
            raise ConfigError(
                f"the reward Lambda expects a list of samples ({{id, messages, reference_answer}}), got "
                f"{type(event).__name__}"
            )
        return [self._one(record) for record in event]

    def _one(self, record: Mapping[str, Any]) -> dict[str, Any]:
        sample_id = record.get("id")
        try:
            item = item_of(record)
            sample = sample_of(record, item)
            result = self.grader.grade(sample, item)
            reward, ok = float(result.reward), result.ok
            subs = {key: float(result.sub_rewards.get(key, 0.0)) for key in self._sub_keys}
            error = None if ok else f"{result.error}"
        except Exception as exc:  # one broken sample scores 0; the batch goes on
            reward, ok, subs, error = 0.0, False, dict.fromkeys(self._sub_keys, 0.0), f"{type(exc).__name__}: {exc}"
        if error is not None:
            print(json.dumps({"id": sample_id, "grade_error": error[:2000]}), file=sys.stderr)
        metrics = [
            {"name": str(self.grader.name), "value": reward, "type": "Reward"},
            *({"name": f"sub/{key}", "value": value, "type": "Metric"} for key, value in subs.items()),
            {"name": "grade_error", "value": 0.0 if ok else 1.0, "type": "Metric"},
        ]
        return {"id": sample_id, "aggregate_reward_score": reward, "metrics_list": metrics}


def make_handler(grader: Grader | str | Path | Mapping[str, Any]) -> Any:
    """A ``lambda_handler(event, context)`` grading with ``grader``."""
    reward = BedrockReward(grader)

    def lambda_handler(event: Any, context: Any) -> list[dict[str, Any]]:
        return reward(event)

    return lambda_handler
