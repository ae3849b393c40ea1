"""Prompts for open-source trainers: RFT rows' ``messages`` as the plain chat lists TRL and verl expect.

Open chat templates know ``system``, ``user``, ``assistant`` and ``tool``; OpenAI's ``developer`` role becomes
``system``. List contents keep their text parts only (the trainers' text pipelines take strings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["check_prompt", "reference_field", "to_chat"]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return "" if content is None else str(content)


def to_chat(messages: Any) -> list[dict[str, str]]:
    """``[{"role", "content"}]`` with ``developer`` mapped to ``system`` and contents as strings."""
    if not isinstance(messages, list):
        return []
    chat = []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role = str(message.get("role", "user"))
        chat.append({"role": "system" if role == "developer" else role, "content": _text(message.get("content"))})
    return chat


def reference_field(templates: Any) -> str | None:
    """The first ``{{item.<field>}}`` a grader reads (its reference answer, by convention), or ``None``."""
    for template in templates:
        for ref in template.refs:
            if ref.namespace == "item" and ref.path and isinstance(ref.path[0], str) and ref.path[0] != "messages":
                return ref.path[0]
    return None


def check_prompt(row: Any, where: str, issues: Any) -> None:
    """Record a row that open-source trainers cannot prompt with: no messages, or a prompt ending on the answer.

    Unlike the hosted checks, any chat role is fine here (``system`` included).
    """
    messages = row.get("messages") if isinstance(row, Mapping) else None
    if not isinstance(messages, list) or not messages:
        issues.error(where, "needs a non-empty 'messages' list to use as the prompt")
        return
    if any(not isinstance(m, Mapping) or "role" not in m for m in messages):
        issues.error(f"{where}: messages", "every message needs a role and a content")
        return
    if messages[-1].get("role") == "assistant":
        issues.error(f"{where}: messages", "the prompt ends with an assistant message (the answer?)")
