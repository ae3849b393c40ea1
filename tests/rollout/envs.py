"""A small environment for the rollout engine's tests: a key-value counter store with tools that misbehave on
purpose (one raises inside the tool, one breaks the environment, one is slow)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

from rft_kit.environments import Environment, EnvironmentFailure, tool

__all__ = ["CounterStore", "counter_row"]


class CounterStore(Environment):
    """Named integer counters."""

    name: ClassVar[str] = "test_counters"

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        if spec.get("broken"):
            raise EnvironmentFailure("this test environment was asked to fail at build time")
        self.values: dict[str, int] = {str(k): int(v) for k, v in dict(spec.get("start", {})).items()}
        self.log: list[str] = []

    @tool
    def get(self, key: str) -> int:
        """Read a counter.

        Args:
            key: the counter's name.
        """
        return self.values.get(key, 0)

    @tool
    def add(self, key: str, amount: int) -> int:
        """Add to a counter and return its new value.

        Args:
            key: the counter's name.
            amount: how much to add.
        """
        self.values[key] = self.values.get(key, 0) + amount
        self.log.append(f"add {key} {amount}")
        return self.values[key]

    @tool
    def explode(self, reason: str) -> str:
        """A tool that raises inside (the model gets a tool error).

        Args:
            reason: the message of the exception.
        """
        raise ValueError(reason)

    @tool
    def break_environment(self) -> str:
        """A tool whose environment breaks (the episode ends with env_error)."""
        raise EnvironmentFailure("the counter store lost its backing file")

    @tool
    def slow(self, ms: int) -> str:
        """Sleep, as a sandboxed tool would take time.

        Args:
            ms: milliseconds to sleep.
        """
        time.sleep(ms / 1000)
        return "done"

    def snapshot(self) -> dict[str, Any]:
        return {"values": dict(sorted(self.values.items())), "log": list(self.log)}


def counter_row(item_id: str, adds: list[tuple[str, int]], *, parallel: bool = False, **env: Any) -> dict[str, Any]:
    """An agentic row whose oracle plan adds ``adds`` (as one parallel turn when ``parallel``) and reads them back."""
    calls = [{"name": "add", "arguments": {"key": k, "amount": a}} for k, a in adds]
    plan: list[Any] = [{"parallel": calls}] if parallel else list(calls)
    plan.append({"final_answer": f"done {item_id}"})
    return {
        "id": item_id,
        "metadata": {"kind": "agentic", "template": "test_counters", "difficulty": "easy"},
        "messages": [{"role": "user", "content": f"Add {adds} to the counters."}],
        "tools": CounterStore.tool_schemas(),
        "environment": {"name": "test_counters", **env},
        "oracle_plan": plan,
    }
