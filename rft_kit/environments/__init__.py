"""Tool environments of agentic tasks (DESIGN.md section 10).

>>> from rft_kit.environments import build_environment
>>> env = build_environment({"name": "support_store", "customers": [], "orders": []})
>>> env.call("get_order", '{"order_id": "O-1"}').error
'tool_error'
"""

from __future__ import annotations

from .base import Environment, EnvironmentFailure, ToolError, ToolErrorKind, ToolResult, tool
from .registry import build_environment, environment_class, known_environments

__all__ = [
    "Environment",
    "EnvironmentFailure",
    "ToolError",
    "ToolErrorKind",
    "ToolResult",
    "build_environment",
    "environment_class",
    "known_environments",
    "tool",
]
