"""The SIMULATED agents through the real openai SDK: deterministic, labelled, and making each kind of mistake."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import openai
import pytest

from rft_kit.rollout import rollout

from .envs import counter_row


def _episodes(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _rows(count: int) -> list[dict[str, Any]]:
    rows = []
    for k in range(count):
        row = counter_row(f"m{k}", [("x", 1), ("y", 2), ("x", 3), ("z", 4)])
        row["policy_violation"] = {"name": "add", "arguments": {"key": "forbidden", "amount": 1}}
        rows.append(row)
    return rows


def test_replies_are_labelled_and_requests_without_a_plan_are_refused(base_url: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="local", max_retries=0)
    row = counter_row("a", [("x", 1)])
    reference = {k: v for k, v in row.items() if k not in ("messages", "tools", "environment")}
    reply = client.chat.completions.create(
        model="sim-agent-oracle", messages=row["messages"], tools=row["tools"], extra_body={"rft_reference": reference}
    )
    assert reply.system_fingerprint == "rft-kit-simulated-agent" and reply.model == "sim-agent-oracle"
    assert reply.choices[0].finish_reason == "tool_calls" and reply.usage is not None
    call = reply.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "add" and json.loads(call.function.arguments) == {"key": "x", "amount": 1}  # type: ignore[union-attr]
    with pytest.raises(openai.BadRequestError, match="rft_reference"):
        client.chat.completions.create(model="sim-agent-base", messages=row["messages"])
    with pytest.raises(openai.BadRequestError, match="unknown behaviour flag 'fly'"):
        client.chat.completions.create(
            model="sim-agent-oracle+fly", messages=row["messages"], extra_body={"rft_reference": reference}
        )


def test_episodes_are_deterministic_and_differ_between_samples(base_url: str, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        rollout(_rows(20), out, model="sim-agent-base", base_url=base_url, n=3, max_turns=12)

    def key(records: list[dict[str, Any]]) -> list[Any]:
        return sorted((r["item_id"], r["sample_index"], r["trajectory"], r["final_state"]) for r in records)

    a, b = _episodes(first), _episodes(second)
    assert key(a) == key(b)
    by_item: dict[str, set[str]] = {}
    for record in a:
        by_item.setdefault(record["item_id"], set()).add(json.dumps(record["trajectory"]))
    assert any(len(trajectories) > 1 for trajectories in by_item.values())


def test_base_makes_every_kind_of_mistake_and_more_often_than_strong(base_url: str, tmp_path: Path) -> None:
    mistakes: dict[str, Counter[str]] = {}
    for model in ("sim-agent-base", "sim-agent-strong"):
        out = tmp_path / f"{model}.jsonl"
        rollout(_rows(60), out, model=model, base_url=base_url, n=2, max_turns=12)
        seen: Counter[str] = Counter()
        for record in _episodes(out):
            names = [c["function"]["name"] for c in record["output_tools"]]
            seen["wrong_tool"] += sum(name != "add" for name in names)
            seen["bad_arguments"] += record["tool_errors"]["by_kind"].get("bad_arguments", 0)
            seen["bad_json"] += record["tool_errors"]["by_kind"].get("bad_json", 0)
            seen["policy_violation"] += "forbidden" in record["final_state"]["values"]
            done = record["final_state"]["values"]
            seen["stopped_early"] += record["stop_reason"] == "final_answer" and done.get("z") != 4
        mistakes[model] = seen
    base, strong = mistakes["sim-agent-base"], mistakes["sim-agent-strong"]
    assert all(
        base[kind] > 0 for kind in ("wrong_tool", "bad_arguments", "bad_json", "policy_violation", "stopped_early")
    )
    assert sum(base.values()) > 2 * sum(strong.values()) > 0
