"""Agentic task templates: rows with ``tools``, an ``environment`` and an oracle plan (DESIGN.md 10).

An agentic generator's draft carries the environment spec (everything needed to rebuild the initial state, never the
answer), the reference fields its grader reads (expected final state, required and forbidden calls, required facts)
and ``oracle_plan``: the tool calls that solve the task and the final answer, derived by the generator from the
scenario it built, independently of the grader. A plan is ``[{"name", "arguments"}, ..., {"final_answer": text}]``;
a step ``{"parallel": [call, ...]}`` is one assistant turn of parallel tool calls.
Reference fields the probes of ``rft check`` use: ``policy_violation`` (one call the row's policy forbids).
``tools`` is exactly the environment's ``tool_schemas(spec)``.

:meth:`AgenticTemplate.reference_sample` plays the oracle plan against the environment and returns the episode as a
rollout sample, so the registry-wide test checks that the plan really reaches the expected state with the maximum
reward.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..environments.episode import play, split_plan
from ..environments.registry import environment_class
from ..records import Item
from .base import C, Draft, TaskGenerator

__all__ = ["AgenticTemplate", "agentic_draft"]


def agentic_draft(
    *,
    messages: list[dict[str, str]],
    environment: dict[str, Any],
    oracle_plan: list[dict[str, Any]],
    reference: dict[str, Any],
    info: dict[str, Any] | None = None,
) -> Draft:
    """A draft with ``tools`` derived from the environment and ``metadata.kind = "agentic"``."""
    tools = environment_class(environment["name"]).tool_schemas(environment)
    return Draft(
        messages=messages,
        reference={"environment": environment, **reference, "oracle_plan": oracle_plan},
        tools=tools,
        info={"kind": "agentic", **(info or {})},
    )


class AgenticTemplate(TaskGenerator[C]):
    """Base of agentic templates: ``kind = "agentic"`` and a reference sample that plays the oracle plan."""

    kind: ClassVar[str] = "agentic"

    def reference_sample(self, item: Item) -> dict[str, Any]:
        calls, answer = split_plan(item["oracle_plan"])
        return play(item["environment"], calls, answer)
