"""The data model shared by every stage: Item, Sample, GradeResult (docs/architecture.md).

An *item* is one row of an RFT prompt set, kept as a plain ``dict`` (exactly the JSONL row: ``messages`` plus reference
fields, plus our reserved ``id`` and ``metadata``). A *sample* is one model output in OpenAI's ``sample`` namespace. A
*grade result* is what a grader returns for one (sample, item) pair; ``GradeResult.envelope()`` renders it in the shape
of the hosted ``/fine_tuning/alpha/graders/run`` response so local and hosted results can be diffed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .errors import ERROR_KINDS as _ERROR_KINDS
from .errors import HOSTED_ERROR_FLAGS as _HOSTED_ERROR_FLAGS
from .errors import ErrorKind, HostedFlag, error_kind, hosted_flag

__all__ = [
    "EPISODE_FIELDS",
    "ERROR_KINDS",
    "HOSTED_ERROR_FLAGS",
    "STOP_REASONS",
    "ErrorKind",
    "GradeError",
    "GradeResult",
    "HostedFlag",
    "Item",
    "Sample",
    "json_problem",
    "parse_json_object",
]

Item = dict[str, Any]
"""One task row: ``{"messages": [...], <reference fields>..., "id": ..., "metadata": {...}}``."""

ERROR_KINDS: Final = _ERROR_KINDS
"""Coarse error categories used by reports (the values of :data:`~rft_kit.errors.ErrorKind`)."""

HOSTED_ERROR_FLAGS: Final = _HOSTED_ERROR_FLAGS
"""The boolean flags of the hosted ``RunGraderResponse.metadata.errors`` (the values of
:data:`~rft_kit.errors.HostedFlag`)."""

# Hosted flags that come with a sibling "<flag>_details" string in the envelope.
_DETAIL_FIELDS: Final = {
    "python_grader_runtime_error": "python_grader_runtime_error_details",
    "model_grader_server_error": "model_grader_server_error_details",
    "model_grader_refusal_error": "model_grader_refusal_error_details",
    "model_grader_parse_error": "model_grader_parse_error_details",
    "invalid_variable_error": "invalid_variable_error_details",
    "sample_parse_error": "sample_parse_error_details",
}


EPISODE_FIELDS: Final = ("trajectory", "final_state", "stop_reason", "turns", "tool_errors")
"""Sample keys only an episode has (DESIGN.md section 10); written only when set."""

STOP_REASONS: Final = ("final_answer", "max_turns", "token_budget", "model_error", "env_error")
"""Why an episode ended: the model answered; it was still calling tools after ``max_turns`` turns; its tokens reached
the budget; a model call failed for good; the environment itself broke."""


def parse_json_object(text: str) -> Any | None:
    """Parse ``text`` as JSON and return it if it is an object or an array, else ``None``.

    This is how the hosted ``/graders/run`` fills ``sample.output_json`` from a plain string sample. Scalars (``"42"``,
    ``"true"``) are not "model output parsed as a JSON object", so they give ``None``.
    """
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[":
        return None
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested past the interpreter's limit
        return None
    return value if isinstance(value, dict | list) else None


@dataclass(slots=True)
class Sample:
    """One model output, in OpenAI's ``sample`` namespace, plus bookkeeping.

    Build one with :meth:`from_text` (a plain string, as ``/graders/run`` takes it) or :meth:`from_obj` (a full sample
    object or a JSONL record of ``rft sample``).
    """

    output_text: str = ""
    output_json: Any | None = None
    output_tools: list[Any] = field(default_factory=list)
    choices: list[Any] = field(default_factory=list)
    output_audio: Any | None = None
    # bookkeeping (not visible to templates)
    item_id: str | None = None
    sample_index: int = 0
    model: str | None = None
    usage: dict[str, Any] | None = None
    latency_ms: float | None = None
    error: dict[str, Any] | None = None
    # episode fields of a rollout sample (DESIGN.md 10); None for a single-turn sample. ``trajectory`` and
    # ``final_state`` are visible to templates as {{sample.trajectory}} / {{sample.final_state.*}}.
    trajectory: list[dict[str, Any]] | None = None
    final_state: dict[str, Any] | None = None
    stop_reason: str | None = None
    turns: int | None = None
    tool_errors: dict[str, Any] | None = None

    @classmethod
    def from_text(cls, text: str, **bookkeeping: Any) -> Sample:
        """A sample from a plain string: ``output_text``, plus ``output_json`` when the string is a JSON object."""
        output_json = parse_json_object(text)
        return cls(
            output_text=text,
            output_json=output_json,
            choices=[
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": text},
                }
            ],
            **bookkeeping,
        )

    @classmethod
    def from_obj(cls, obj: Mapping[str, Any] | str) -> Sample:
        """A sample from a full sample object (or a plain string).

        Accepted keys: ``output_text``, ``output_json``, ``output_tools``, ``choices``, ``output_audio``, the
        bookkeeping keys ``item_id``, ``sample_index``, ``model``, ``usage``, ``latency_ms``, ``error``, and the
        episode keys of a rollout (:data:`EPISODE_FIELDS`). When
        ``output_text`` is absent it is taken from ``choices[0].message.content`` (and ``output_tools`` from its
        ``tool_calls``). When ``output_json`` is absent (not ``null``) it is parsed from the text as ``/graders/run``
        does.

        Raises:
            TypeError / ValueError: when a field has the wrong type; the message names the field.
        """
        if isinstance(obj, str):
            return cls.from_text(obj)
        if not isinstance(obj, Mapping):
            raise TypeError(f"a sample must be a string or an object, got {type(obj).__name__}")
        choices = obj.get("choices") or []
        if not isinstance(choices, list):
            raise TypeError("sample.choices must be a list")
        message: Mapping[str, Any] = {}
        if choices and isinstance(choices[0], Mapping):
            msg = choices[0].get("message")
            if isinstance(msg, Mapping):
                message = msg
        text = obj.get("output_text")
        if text is None:
            content = message.get("content")
            text = content if isinstance(content, str) else ""
        if not isinstance(text, str):
            raise TypeError(f"sample.output_text must be a string, got {type(text).__name__}")
        tools = obj.get("output_tools")
        if tools is None:
            tools = message.get("tool_calls") or []
        if not isinstance(tools, list):
            raise TypeError("sample.output_tools must be a list of tool calls")
        # an explicit null is kept: the sampler knows whether a response_format was used
        output_json = obj["output_json"] if "output_json" in obj else parse_json_object(text)
        if not choices:
            choices = [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]
        sample_index = obj.get("sample_index", 0)
        if not isinstance(sample_index, int) or isinstance(sample_index, bool):
            raise TypeError("sample.sample_index must be an integer")
        item_id = obj.get("item_id")
        error = obj.get("error")
        trajectory = obj.get("trajectory")
        if trajectory is not None and not isinstance(trajectory, list):
            raise TypeError("sample.trajectory must be a list of messages")
        final_state = obj.get("final_state")
        if final_state is not None and not isinstance(final_state, dict):
            raise TypeError("sample.final_state must be an object")
        turns = obj.get("turns")
        if turns is not None and (not isinstance(turns, int) or isinstance(turns, bool)):
            raise TypeError("sample.turns must be an integer")
        stop_reason = obj.get("stop_reason")
        tool_errors = obj.get("tool_errors")
        return cls(
            output_text=text,
            output_json=output_json,
            output_tools=list(tools),
            choices=list(choices),
            output_audio=obj.get("output_audio"),
            item_id=None if item_id is None else str(item_id),
            sample_index=sample_index,
            model=obj.get("model"),
            usage=obj.get("usage"),
            latency_ms=obj.get("latency_ms"),
            error=error if isinstance(error, dict) or error is None else {"message": str(error)},
            trajectory=trajectory,
            final_state=final_state,
            stop_reason=None if stop_reason is None else str(stop_reason),
            turns=turns,
            tool_errors=tool_errors if isinstance(tool_errors, dict) else None,
        )

    @property
    def is_episode(self) -> bool:
        """Whether this sample is a rollout episode (it has a trajectory)."""
        return self.trajectory is not None

    def namespace(self) -> dict[str, Any]:
        """The ``sample`` namespace templates see: the hosted keys, plus ``trajectory`` and ``final_state`` when
        the sample is an episode (a rollout)."""
        ns = self.hosted_namespace()
        if self.trajectory is not None:
            ns["trajectory"] = self.trajectory
        if self.final_state is not None:
            ns["final_state"] = self.final_state
        return ns

    def hosted_namespace(self) -> dict[str, Any]:
        """Exactly the keys the hosted service gives ``sample`` (what a python grader sees)."""
        return {
            "choices": self.choices,
            "output_text": self.output_text,
            "output_json": self.output_json,
            "output_tools": self.output_tools,
            "output_audio": self.output_audio,
        }

    def to_record(self) -> dict[str, Any]:
        """The JSONL record of this sample (the format ``rft sample`` writes and ``rft grade`` reads)."""
        record: dict[str, Any] = {"item_id": self.item_id, "sample_index": self.sample_index}
        record.update(self.namespace())
        for key in ("model", "usage", "latency_ms", "error", "stop_reason", "turns", "tool_errors"):
            value = getattr(self, key)
            if value is not None:
                record[key] = value
        return record


def json_problem(text: str) -> str:
    """Why ``text`` gives no ``output_json`` (for a precise ``sample_parse_error`` message)."""
    stripped = text.strip()
    if not stripped:
        return "the output is empty"
    try:
        value = json.loads(stripped)
    except ValueError as exc:
        return f"the output is not valid JSON ({exc})"
    except RecursionError:
        return "the output nests JSON too deeply to parse"
    if isinstance(value, dict | list):
        return "the sample record set output_json to null"
    return f"the output is JSON but not an object or array (got {type(value).__name__})"


@dataclass(slots=True, frozen=True)
class GradeError:
    """Why a sample could not be graded.

    Attributes:
        kind: coarse category, one of :data:`ERROR_KINDS`.
        flag: the hosted ``metadata.errors`` flag it sets (``invalid_variable_error``, ...).
        message: what went wrong, in words a user can act on.
        grader: name (or multi key path) of the grader that failed, for compound graders.
    """

    kind: ErrorKind
    flag: HostedFlag
    message: str
    grader: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "flag": self.flag, "message": self.message}
        if self.grader is not None:
            data["grader"] = self.grader
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeError:
        return cls(
            kind=error_kind(data.get("kind", "internal")),
            flag=hosted_flag(data.get("flag", "other_error")),
            message=str(data.get("message", "")),
            grader=data.get("grader"),
        )


Status = Literal["scored", "error"]


@dataclass(slots=True)
class GradeResult:
    """What one grader returned for one (sample, item) pair.

    ``reward`` is what a trainer receives. An error yields reward 0 as the hosted grader does, but ``status`` is
    ``"error"`` and reports count it separately from wrong answers.
    """

    reward: float
    status: Status = "scored"
    error: GradeError | None = None
    sub_rewards: dict[str, float] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    token_usage: dict[str, Any] | None = None
    grader_name: str = ""
    grader_type: str = ""
    # every error seen while grading (a multi grader can collect several); ``error`` is the first one
    errors: list[GradeError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "scored"

    @classmethod
    def failed(cls, error: GradeError, *, name: str = "", type_: str = "", duration_ms: float = 0.0) -> GradeResult:
        return cls(
            reward=0.0,
            status="error",
            error=error,
            errors=[error],
            duration_ms=duration_ms,
            grader_name=name,
            grader_type=type_,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``grades.jsonl`` record body)."""
        return {
            "reward": self.reward,
            "status": self.status,
            "error": None if self.error is None else self.error.to_dict(),
            # the full list only when it says more than ``error`` (a multi can record errors it tolerated)
            "errors": [] if self.errors == ([self.error] if self.error else []) else [e.to_dict() for e in self.errors],
            "sub_rewards": self.sub_rewards,
            "metadata": self.metadata,
            "duration_ms": round(self.duration_ms, 4),
            "token_usage": self.token_usage,
            "grader": {"name": self.grader_name, "type": self.grader_type},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeResult:
        error = GradeError.from_dict(data["error"]) if data.get("error") else None
        listed = [GradeError.from_dict(e) for e in data.get("errors") or []]
        errors = listed or ([error] if error else [])
        grader = data.get("grader") or {}
        return cls(
            reward=float(data["reward"]),
            status="error" if data.get("status") == "error" else "scored",
            error=error,
            errors=errors,
            sub_rewards=dict(data.get("sub_rewards") or {}),
            metadata=dict(data.get("metadata") or {}),
            duration_ms=float(data.get("duration_ms") or 0.0),
            token_usage=data.get("token_usage"),
            grader_name=str(grader.get("name", "")),
            grader_type=str(grader.get("type", "")),
        )

    def envelope(self) -> dict[str, Any]:
        """This result in the shape of the hosted ``RunGraderResponse`` (``/fine_tuning/alpha/graders/run``).

        ``metadata.errors`` has every documented flag (``False`` unless set) and the ``*_details`` strings;
        ``metadata.execution_time`` is in seconds. ``metadata.scores`` mirrors ``sub_rewards`` for multi graders.
        """
        errors: dict[str, Any] = dict.fromkeys(HOSTED_ERROR_FLAGS, False)
        errors["python_grader_server_error_type"] = None
        for detail in _DETAIL_FIELDS.values():
            errors[detail] = None
        for err in self.errors:
            errors[err.flag] = True
            detail_key = _DETAIL_FIELDS.get(err.flag)
            if detail_key is not None and errors.get(detail_key) is None:
                errors[detail_key] = err.message
            if err.flag == "python_grader_server_error":
                errors["python_grader_server_error_type"] = err.kind
            if err.flag in ("other_error", "formula_parse_error", "unresponsive_reward_error"):
                errors.setdefault(f"{err.flag}_details", err.message)
        usage_per_model: dict[str, Any] = {}
        if self.token_usage:
            usage_per_model = dict(self.token_usage.get("per_model") or {})
        return {
            "reward": self.reward,
            "metadata": {
                "name": self.grader_name,
                "type": self.grader_type,
                "errors": errors,
                "execution_time": self.duration_ms / 1000.0,
                "scores": dict(self.sub_rewards),
                "token_usage": None if not self.token_usage else self.token_usage.get("total"),
                "sampled_model_name": self.metadata.get("sampled_model_name"),
                "details": self.metadata,
            },
            "sub_rewards": dict(self.sub_rewards),
            "model_grader_token_usage_per_model": usage_per_model,
        }
