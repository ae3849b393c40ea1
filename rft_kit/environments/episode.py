"""Play a fixed list of tool calls against an environment and record the episode as a rollout sample.

This is the rollout without a model: the oracle plan of an agentic row executed directly (the registry-wide test and
``reference_sample``), and the hand-built trajectories of ``rft check``'s agentic probes. The record has the fields
of a rollout Sample (``output_text``, ``output_tools``, ``trajectory``, ``final_state``, ``stop_reason``, ``turns``,
``tool_errors``), one assistant turn per call, and call ids ``call_1``, ``call_2``, ... so that the same plan gives a
byte-identical record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .registry import build_environment

__all__ = ["initial_snapshot", "play", "split_plan"]


def split_plan(plan: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The calls of an oracle plan and its final answer (``""`` when the plan has none)."""
    calls: list[dict[str, Any]] = []
    answer = ""
    for step in plan:
        if "final_answer" in step:
            answer = str(step["final_answer"])
        else:
            calls.append({"name": step["name"], "arguments": step.get("arguments", {})})
    return calls, answer


def _arguments_text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def play(spec: Mapping[str, Any], calls: Iterable[Mapping[str, Any]], final_answer: str) -> dict[str, Any]:
    """Execute ``calls`` (``{"name", "arguments"}``; arguments an object or a raw string) and answer ``final_answer``.

    Raises:
        EnvironmentFailure: the environment itself broke.
    """
    env = build_environment(spec)
    try:
        output_tools: list[dict[str, Any]] = []
        trajectory: list[dict[str, Any]] = []
        errors: dict[str, int] = {}
        for number, call in enumerate(calls, start=1):
            name, arguments = str(call["name"]), _arguments_text(call.get("arguments", {}))
            tool_call: dict[str, Any] = {
                "id": f"call_{number}",
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
            result = env.call(name, arguments)
            if result.error is not None:
                errors[result.error] = errors.get(result.error, 0) + 1
            output_tools.append(tool_call)
            trajectory.append({"role": "assistant", "content": None, "tool_calls": [tool_call]})
            trajectory.append({"role": "tool", "tool_call_id": tool_call["id"], "content": result.output})
        trajectory.append({"role": "assistant", "content": final_answer})
        return {
            "output_text": final_answer,
            "output_tools": output_tools,
            "trajectory": trajectory,
            "final_state": env.snapshot(),
            "stop_reason": "final_answer",
            "turns": len(output_tools) + 1,
            "tool_errors": errors,
        }
    finally:
        env.close()


def initial_snapshot(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot of a fresh environment (what an episode that changed nothing ends with)."""
    env = build_environment(spec)
    try:
        return env.snapshot()
    finally:
        env.close()
