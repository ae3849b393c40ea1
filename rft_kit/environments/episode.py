"""Play a fixed list of tool calls against an environment and record the episode as a rollout sample.

This is the rollout without a model: the oracle plan of an agentic row executed directly (the registry-wide test and
``reference_sample``), and the hand-built trajectories of ``rft check``'s agentic probes. The record has the fields
of a rollout Sample (``output_text``, ``output_tools``, ``trajectory``, ``final_state``, ``stop_reason``, ``turns``,
``tool_errors``), one assistant turn per call (a call marked ``"parallel": true`` joins the previous call's turn, as
parallel tool calls do), and call ids ``call_1``, ``call_2``, ... so that the same plan gives a byte-identical
record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from .registry import build_environment

__all__ = ["initial_snapshot", "play", "split_plan"]


def split_plan(plan: Iterable[Any]) -> tuple[list[dict[str, Any]], str]:
    """The calls of an oracle plan and its final answer (``""`` when the plan has none).

    Steps are ``{"name", "arguments"}`` (one call, one turn), ``{"parallel": [call, ...]}`` or a list of calls (one
    turn of parallel calls), and ``{"final_answer": text}``. In the returned list, every call of a parallel turn but
    the first carries ``"parallel": True`` (what :func:`play` groups by).
    """
    calls: list[dict[str, Any]] = []
    answer = ""
    for step in plan:
        if isinstance(step, Mapping) and "final_answer" in step:
            answer = str(step["final_answer"])
            continue
        group = step if isinstance(step, list) else step.get("parallel") if isinstance(step, Mapping) else None
        members = group if isinstance(group, list) else [step]
        for position, member in enumerate(members):
            call = {"name": member["name"], "arguments": member.get("arguments", {})}
            if position:
                call["parallel"] = True
            calls.append(call)
    return calls, answer


def _arguments_text(arguments: Any) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


def play(spec: Mapping[str, Any], calls: Iterable[Mapping[str, Any]], final_answer: str) -> dict[str, Any]:
    """Execute ``calls`` (``{"name", "arguments"}``; arguments an object or a raw string) and answer ``final_answer``.

    Raises:
        EnvironmentFailure: the environment itself broke.
    """
    turns: list[list[Mapping[str, Any]]] = []
    for call in calls:
        if call.get("parallel") and turns:
            turns[-1].append(call)
        else:
            turns.append([call])
    env = build_environment(spec)
    try:
        output_tools: list[dict[str, Any]] = []
        trajectory: list[dict[str, Any]] = []
        errors: dict[str, int] = {}
        for turn in turns:
            tool_calls: list[dict[str, Any]] = []
            results: list[dict[str, Any]] = []
            for call in turn:
                name, arguments = str(call["name"]), _arguments_text(call.get("arguments", {}))
                call_id = f"call_{len(output_tools) + 1}"
                tool_call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
                result = env.call(name, arguments)
                if result.error is not None:
                    errors[result.error] = errors.get(result.error, 0) + 1
                output_tools.append(tool_call)
                tool_calls.append(tool_call)
                results.append({"role": "tool", "tool_call_id": call_id, "content": result.output})
            trajectory.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
            trajectory.extend(results)
        trajectory.append({"role": "assistant", "content": final_answer})
        return {
            "output_text": final_answer,
            "output_tools": output_tools,
            "trajectory": trajectory,
            "final_state": env.snapshot(),
            "stop_reason": "final_answer",
            "turns": len(turns) + 1,
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
