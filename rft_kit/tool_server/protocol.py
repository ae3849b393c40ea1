"""The bodies of Azure's agentic RFT protocol (``shared/AGENTIC.md`` section 2), checked field by field.

Tool call (``POST /tools/{name}``)::

    {"type": "function_call", "id": "fc_...", "call_id": "call_...", "name": "...", "arguments": "<JSON string>",
     "trace_id": "...", "item": {... the training row, with its "environment" ...}}

answered ``{"type": "function_call_output", "call_id", "id", "output"}``. Grade (``POST /grade``):
``{"sample", "item", "trace_id"}`` answered ``{"score", ...}``.

A malformed body is the trainer's mistake, answered 400 naming the field. What the *model* got wrong (an unknown
tool, arguments that are not JSON or miss a field) is not a protocol error: the arguments string is passed to the
environment as it came, and the environment's answer is the tool output (200), exactly as in a local rollout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..serving import HTTPError

__all__ = ["MAX_ID_CHARS", "FunctionCall", "GradeRequest", "parse_call", "parse_grade"]

MAX_ID_CHARS: Final = 512


@dataclass(frozen=True)
class FunctionCall:
    """One tool call as the trainer sent it."""

    id: str
    call_id: str
    name: str
    arguments: str
    trace_id: str
    item: Mapping[str, Any]

    @property
    def environment(self) -> Mapping[str, Any]:
        spec = self.item["environment"]
        assert isinstance(spec, Mapping)
        return spec


@dataclass(frozen=True)
class GradeRequest:
    """One ``/grade`` body."""

    sample: Mapping[str, Any] | str
    item: Mapping[str, Any]
    trace_id: str


def _object(body: Any, shape: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise HTTPError(400, f"the body must be a JSON object {shape}, got {type(body).__name__}", "bad_request")
    return body


def _string(body: Mapping[str, Any], key: str, *, empty_ok: bool = False, limit: int | None = MAX_ID_CHARS) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        got = "nothing" if value is None else type(value).__name__
        raise HTTPError(400, f"'{key}' must be a string, got {got}", "bad_request")
    if not value and not empty_ok:
        raise HTTPError(400, f"'{key}' must not be empty", "bad_request")
    if limit is not None and len(value) > limit:
        raise HTTPError(400, f"'{key}' is {len(value)} characters long; the limit is {limit}", "bad_request")
    return value


def _item(body: Mapping[str, Any]) -> Mapping[str, Any]:
    item = body.get("item")
    if not isinstance(item, Mapping):
        got = "nothing" if item is None else type(item).__name__
        raise HTTPError(400, f"'item' must be the training row (an object), got {got}", "bad_request")
    spec = item.get("environment")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
        raise HTTPError(
            400, "'item.environment' must be an object with a 'name' (the row's environment spec)", "bad_request"
        )
    return item


def parse_call(body: Any, path_name: str) -> FunctionCall:
    """A :class:`FunctionCall` from a ``/tools/{path_name}`` body, or a 400."""
    body = _object(body, "{type, id, call_id, name, arguments, trace_id, item}")
    kind = body.get("type")
    if kind != "function_call":
        raise HTTPError(400, f"'type' must be \"function_call\", got {kind!r}", "bad_request")
    name = _string(body, "name")
    if name != path_name:
        raise HTTPError(400, f"the body calls '{name[:80]}' but was posted to /tools/{path_name[:80]}", "bad_request")
    return FunctionCall(
        id=_string(body, "id"),
        call_id=_string(body, "call_id"),
        name=name,
        arguments=_string(body, "arguments", empty_ok=True, limit=None),
        trace_id=_string(body, "trace_id"),
        item=_item(body),
    )


def parse_grade(body: Any) -> GradeRequest:
    """A :class:`GradeRequest` from a ``/grade`` body, or a 400."""
    body = _object(body, "{sample, item, trace_id}")
    sample = body.get("sample")
    if not isinstance(sample, str | Mapping):
        got = "nothing" if sample is None else type(sample).__name__
        raise HTTPError(400, f"'sample' must be a string or a sample object, got {got}", "bad_request")
    return GradeRequest(sample=sample, item=_item(body), trace_id=_string(body, "trace_id"))
