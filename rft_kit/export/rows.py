"""Check RFT training rows the way the hosted service does (docs/hosted-semantics.md: training rows).

A row is ``{"messages": [...], "tools"?: [...], <reference fields>...}``. ``messages`` and ``tools`` are reserved:
they must have the hosted shape even when a grader never reads them. Roles are ``developer``, ``user``, ``assistant``
and ``tool`` (``system`` is rejected: use ``developer``). The prompt must end on the user's turn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from .issues import Issues

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_TRAIN_ROWS",
    "MAX_VALID_ROWS",
    "RESERVED_KEYS",
    "check_row",
    "check_sizes",
]

MAX_TRAIN_ROWS: Final = 50_000
MAX_VALID_ROWS: Final = 1_000
MAX_FILE_BYTES: Final = 512 * 1024 * 1024
RESERVED_KEYS: Final = ("messages", "tools")
ROLES: Final = ("developer", "user", "assistant", "tool")
# Content parts the fine-tuning schema accepts: text and images only (no audio or files).
CONTENT_PARTS: Final = ("text", "image_url")
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_row(row: Any, where: str, issues: Issues) -> None:
    """Record every problem of one row; ``where`` is its place (``train.jsonl row 3``)."""
    if not isinstance(row, Mapping):
        issues.error(where, f"a row must be a JSON object, got {type(row).__name__}")
        return
    messages = row.get("messages")
    if messages is None:
        issues.error(where, "missing required field 'messages'", "add the prompt as a list of {role, content} messages")
        return
    if not isinstance(messages, list) or not messages:
        issues.error(f"{where}: messages", "must be a non-empty list of messages ('messages' is a reserved key)")
        return
    for index, message in enumerate(messages):
        _check_message(message, f"{where}: messages[{index}]", issues)
    last = messages[-1]
    role = last.get("role") if isinstance(last, Mapping) else None
    at = f"{where}: messages[{len(messages) - 1}].role"
    if role == "assistant":
        issues.error(
            at,
            "the prompt ends with an assistant message; the model would have nothing to answer",
            "end the prompt with the user's turn (drop the answer and keep it as a reference field)",
        )
    elif role in ("developer", "tool"):
        issues.warn(at, f"the prompt ends with a {role} message; Azure requires the last message to be the user's")
    if "tools" in row:
        _check_tools(row["tools"], f"{where}: tools", issues)


def _check_message(message: Any, where: str, issues: Issues) -> None:
    if not isinstance(message, Mapping):
        issues.error(where, f"a message must be an object with role and content, got {type(message).__name__}")
        return
    role = message.get("role")
    if role == "system":
        issues.error(f"{where}.role", "role 'system' is not accepted in RFT rows", "use 'developer' instead")
    elif role not in ROLES:
        issues.error(f"{where}.role", f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if "content" not in message:
        if role == "assistant" and message.get("tool_calls"):
            return
        issues.error(f"{where}.content", "missing required field 'content'")
        return
    content = message["content"]
    if isinstance(content, str):
        return
    if not isinstance(content, list):
        issues.error(f"{where}.content", f"must be a string or a list of content parts, got {type(content).__name__}")
        return
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind not in CONTENT_PARTS:
            issues.error(
                f"{where}.content[{j}]",
                f"content part type {kind!r} is not accepted; RFT rows take {' or '.join(CONTENT_PARTS)} parts only",
            )


def _check_tools(tools: Any, where: str, issues: Issues) -> None:
    if not isinstance(tools, list):
        issues.error(where, "'tools' is a reserved key and must be a list of function tools", "rename your field")
        return
    for i, tool in enumerate(tools):
        at = f"{where}[{i}]"
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            issues.error(at, "each tool must be {type: function, function: {name, description?, parameters?}}")
            continue
        function = tool.get("function")
        if not isinstance(function, Mapping):
            issues.error(f"{at}.function", "missing the function object")
            continue
        name = function.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            issues.error(f"{at}.function.name", f"{name!r} must be 1-64 characters of a-z, A-Z, 0-9, _ or -")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, Mapping):
            issues.error(f"{at}.function.parameters", "must be a JSON Schema object")


def check_sizes(name: str, rows: int, size_bytes: int, max_rows: int, issues: Issues) -> None:
    """Record a problem when a file is over the hosted row or byte limit."""
    if rows == 0:
        issues.error(name, "has no rows")
    if rows > max_rows:
        issues.error(name, f"has {rows:,} rows; the hosted limit is {max_rows:,}", "sample a subset of the tasks")
    if size_bytes > MAX_FILE_BYTES:
        issues.error(name, f"is {size_bytes / 2**20:,.0f} MB; the hosted upload limit is 512 MB")
