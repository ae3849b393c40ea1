"""Turning an item into a chat completions request, and a completion (or a failure) into a sample record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..records import Sample, parse_json_object
from .params import SamplingParams

__all__ = ["build_request", "error_record", "sample_record"]


def _messages(item: Mapping[str, Any], params: SamplingParams) -> list[dict[str, Any]]:
    messages = item.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("the item has no 'messages' list")
    out = []
    for message in messages:
        if not isinstance(message, Mapping):
            raise ValueError("every entry of 'messages' must be an object")
        copy = dict(message)
        if params.developer_role == "system" and copy.get("role") == "developer":
            copy["role"] = "system"
        out.append(copy)
    return out


def build_request(item: Mapping[str, Any], sample_index: int, params: SamplingParams) -> dict[str, Any]:
    """The keyword arguments of ``chat.completions.create`` for one sample of ``item``.

    The item's ``tools`` and ``response_format`` (reference-free request fields an RFT row may carry) are sent
    along; ``params.response_format`` overrides the item's. For a SIMULATED solver model name only
    (:func:`rft_kit.local_openai.backends.is_solver_model`), the body also carries the item's reference answer in
    ``rft_simulation``, which the simulated solver works from; no other model ever receives it.

    Raises:
        ValueError: the item has no usable ``messages``.
    """
    request: dict[str, Any] = {"model": params.model, "messages": _messages(item, params)}
    response_format = params.response_format or item.get("response_format")
    if response_format:
        request["response_format"] = dict(response_format)
    tools = item.get("tools")
    if isinstance(tools, list) and tools:
        request["tools"] = tools
    if params.temperature is not None:
        request["temperature"] = params.temperature
    if params.top_p is not None:
        request["top_p"] = params.top_p
    if params.max_tokens is not None:
        request["max_completion_tokens"] = params.max_tokens
    if params.seed is not None:
        request["seed"] = params.seed + sample_index
    if params.extra_body:
        request["extra_body"] = dict(params.extra_body)
    simulation = _simulation(item, params.model)
    if simulation is not None:
        request["extra_body"] = {**request.get("extra_body", {}), **simulation}
    return request


def _simulation(item: Mapping[str, Any], model: str) -> dict[str, Any] | None:
    """The ``rft_simulation`` field for a SIMULATED solver model, else ``None``."""
    from ..local_openai.backends import is_solver_model
    from ..local_openai.simulated_solver import SIMULATION_FIELD

    if not is_solver_model(model):
        return None
    from ..tasks.reference import reference_answer

    metadata = item.get("metadata")
    difficulty = metadata.get("difficulty") if isinstance(metadata, Mapping) else None
    payload = {"item_id": str(item["id"]), "answer": reference_answer(item)}
    if isinstance(difficulty, str):
        payload["difficulty"] = difficulty
    return {SIMULATION_FIELD: payload}


def _tool_calls(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    # Arguments stay the JSON string the API returns, as in the hosted sample; templates descend into it.
    return [dict(call) for call in message.get("tool_calls") or [] if isinstance(call, Mapping)]


def sample_record(
    completion: Mapping[str, Any],
    *,
    item_id: str,
    sample_index: int,
    latency_ms: float,
    attempts: int,
) -> dict[str, Any]:
    """The samples.jsonl record of a completion (``completion`` as ``ChatCompletion.model_dump()``).

    ``output_json`` is the content parsed when it is a JSON object or array, else ``None`` (docs/architecture.md,
    the sample record).
    """
    choices = list(completion.get("choices") or [])
    message: Mapping[str, Any] = {}
    if choices and isinstance(choices[0], Mapping):
        message = choices[0].get("message") or {}
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    tools = _tool_calls(message)
    sample = Sample(
        output_text=text,
        output_json=parse_json_object(text),
        output_tools=tools,
        choices=choices,
        item_id=item_id,
        sample_index=sample_index,
        model=completion.get("model"),
        usage=completion.get("usage"),
        latency_ms=round(latency_ms, 3),
    )
    record = sample.to_record()
    record["attempts"] = attempts
    return record


def error_record(
    *,
    item_id: str,
    sample_index: int,
    model: str,
    kind: str,
    message: str,
    status: int | None,
    latency_ms: float,
    attempts: int,
) -> dict[str, Any]:
    """The samples.jsonl record of a failed call: no output, and an ``error`` that graders turn into a ``sample`` error.

    Args:
        kind: ``http`` (the endpoint answered with an error status), ``connection``, ``timeout`` or ``request``
            (the item cannot be sent).
    """
    error: dict[str, Any] = {"kind": kind, "message": message}
    if status is not None:
        error["status"] = status
    sample = Sample(
        item_id=item_id, sample_index=sample_index, model=model, latency_ms=round(latency_ms, 3), error=error
    )
    record = sample.to_record()
    record["attempts"] = attempts
    return record
