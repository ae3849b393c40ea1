"""An episode's trajectory as a readable transcript, for judges (``{{sample.trajectory}}`` renders through this).

The trajectory is every message after the prompt in chat-completions shape: assistant turns (``content`` and
``tool_calls``) and tool messages (``tool_call_id``, ``content``). The transcript numbers the calls and pairs each
result with its call. Long tool outputs are cut to :data:`MAX_TOOL_OUTPUT` characters, with a note saying how much
was cut, so that a judge never receives a silently truncated or over-long prompt (a transcript too long for the
judge is a known way of getting a silent zero, AGENTIC.md section 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["MAX_TOOL_OUTPUT", "render_transcript"]

MAX_TOOL_OUTPUT: Final = 2000


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]} [... {len(text) - limit} more characters cut]"


def _content(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return "" if content is None else json.dumps(content, ensure_ascii=False)


def render_transcript(trajectory: Any, *, max_tool_output: int = MAX_TOOL_OUTPUT) -> str:
    """The transcript text of ``trajectory`` (anything that is not a list of messages is rendered as best it can).

    >>> print(render_transcript([
    ...     {"role": "assistant", "content": None, "tool_calls": [
    ...         {"id": "c1", "type": "function",
    ...          "function": {"name": "get_order", "arguments": '{"order_id": "O-1"}'}}]},
    ...     {"role": "tool", "tool_call_id": "c1", "content": '{"status": "delivered"}'},
    ...     {"role": "assistant", "content": "Your order was delivered."}]))
    [call 1] get_order({"order_id": "O-1"})
    [result 1] {"status": "delivered"}
    [assistant] Your order was delivered.
    """
    if not isinstance(trajectory, list):
        return json.dumps(trajectory, ensure_ascii=False, default=str)
    lines: list[str] = []
    numbers: dict[str, int] = {}
    for message in trajectory:
        if not isinstance(message, Mapping):
            lines.append(f"[?] {json.dumps(message, ensure_ascii=False, default=str)}")
            continue
        role = str(message.get("role", "?"))
        if role == "tool":
            call_id = str(message.get("tool_call_id", ""))
            number = numbers.get(call_id)
            label = f"result {number}" if number is not None else f"result for {call_id or 'unknown call'}"
            lines.append(f"[{label}] {_clip(_content(message), max_tool_output)}")
            continue
        text = _content(message)
        if text.strip():
            lines.append(f"[{role}] {text}")
        calls = message.get("tool_calls") or []
        for call in calls if isinstance(calls, list) else []:
            if not isinstance(call, Mapping):
                continue
            raw = call.get("function")
            function: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            number = len(numbers) + 1
            numbers[str(call.get("id", f"#{number}"))] = number
            arguments = function.get("arguments", "")
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False, default=str)
            lines.append(f"[call {number}] {function.get('name', '?')}({_clip(arguments, max_tool_output)})")
    return "\n".join(lines)
