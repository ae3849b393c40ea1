"""Hypothesis: the pieces of a rollout never raise on arbitrary input.

The SIMULATED agents answer any request body with a completion or a 4xx ApiError; the report's episode counter
reads any samples.jsonl record; the engine's tool-call normaliser turns anything an endpoint returns into the
hosted ``tool_calls`` shape.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rft_kit.local_openai.errors import ApiError
from rft_kit.local_openai.sim_agents import agent_reply
from rft_kit.report.agentic import EpisodeStats, agentic_section
from rft_kit.rollout.episode import _reply, _tool_call

from ..strategies import attempt, json_values

_messages = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"role": st.sampled_from(["user", "assistant", "tool", "system"]), "content": json_values}
        ),
        json_values,
    ),
    max_size=6,
)
_steps = st.one_of(
    st.fixed_dictionaries({"name": st.text(max_size=8), "arguments": json_values}),
    st.fixed_dictionaries({"final_answer": json_values}),
    st.fixed_dictionaries({"parallel": st.lists(json_values, max_size=3)}),
    st.lists(json_values, max_size=3),
    json_values,
)
_references = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": json_values, "oracle_plan": st.one_of(st.lists(_steps, max_size=6), json_values)},
        optional={"policy_violation": json_values},
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    model=st.sampled_from(
        ["sim-agent-oracle", "sim-agent-base", "sim-agent-strong+never-stop", "sim-agent-base+bad-calls"]
    ),
    messages=_messages,
    reference=_references,
    tools=st.one_of(json_values, st.lists(json_values, max_size=3)),
    seed=st.one_of(st.none(), st.integers(-5, 5), json_values),
)
# found by hypothesis: an empty parallel group in the plan (IndexError, or an assistant message of no calls)
@example("sim-agent-base", [{"role": "user", "content": None}], {"oracle_plan": [{"parallel": []}]}, [], 1)
@example("sim-agent-base+bad-calls", [{"role": "user", "content": None}], {"oracle_plan": [[]]}, [], 1)
@example("sim-agent-oracle", [{"role": "user", "content": None}], {"oracle_plan": [{"parallel": []}]}, [], None)
def test_simulated_agents_answer_or_refuse_with_a_4xx(
    model: str, messages: Any, reference: Any, tools: Any, seed: Any
) -> None:
    body = {"model": model, "messages": messages, "rft_reference": reference, "tools": tools, "seed": seed}
    reply, error = attempt(lambda: agent_reply(body), ApiError)
    if error is not None:
        assert isinstance(error, ApiError) and 400 <= error.status < 500
        return
    message = reply["choices"][0]["message"]
    json.dumps(reply)  # the server can send it
    for call in message.get("tool_calls") or []:
        assert isinstance(call["function"]["arguments"], str) and isinstance(call["function"]["name"], str)
    assert message.get("tool_calls") or isinstance(message["content"], str)


@settings(max_examples=150, deadline=None)
@given(records=st.lists(st.one_of(json_values, st.dictionaries(st.sampled_from(
    ["item_id", "sample_index", "turns", "output_tools", "usage", "stop_reason", "tool_errors", "trajectory"]
), json_values)), max_size=5))  # fmt: skip
def test_the_report_counts_any_episode_record(records: list[Any]) -> None:
    stats = EpisodeStats()
    for record in records:
        if isinstance(record, dict):
            stats.add(record)
    section = attempt(lambda: agentic_section(stats, {}))[0]
    if section is not None:
        json.dumps(section)
        assert section["episodes"] == sum(isinstance(r, dict) for r in records)


@given(raw=st.dictionaries(st.sampled_from(["id", "type", "function"]), json_values), turn=st.integers(0, 50))
def test_tool_calls_are_normalised_to_the_hosted_shape(raw: dict[str, Any], turn: int) -> None:
    call = _tool_call(raw, turn, 0)
    assert call["type"] == "function" and isinstance(call["id"], str) and call["id"]
    assert isinstance(call["function"]["name"], str) and isinstance(call["function"]["arguments"], str)


_raw_calls = st.lists(st.dictionaries(st.sampled_from(["id", "function", "type"]), json_values), max_size=3)
_raw_messages = st.dictionaries(st.sampled_from(["content", "tool_calls", "role"]), st.one_of(json_values, _raw_calls))
_raw_choices = st.lists(st.one_of(json_values, st.fixed_dictionaries({"message": _raw_messages})), max_size=2)
_completions = st.one_of(
    st.dictionaries(st.sampled_from(["choices", "model", "usage"]), json_values),
    st.fixed_dictionaries({"choices": _raw_choices}),
)


@settings(max_examples=200, deadline=None)
@given(completion=_completions)
def test_any_completion_body_gives_a_reply_or_none(completion: dict[str, Any]) -> None:
    reply = _reply(completion, 1)
    if reply is not None:
        _, content, calls = reply
        assert content is None or isinstance(content, str)
        assert all(c["type"] == "function" and isinstance(c["function"]["arguments"], str) for c in calls)
