"""The SIMULATED solver: deterministic, skill-ordered, varied across samples, honest about what it is."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest

from rft_kit.graders.loading import load_grader
from rft_kit.local_openai import LocalServer
from rft_kit.local_openai.errors import ApiError
from rft_kit.local_openai.simulated_solver import (
    SOLVER_MODELS,
    ensure_solver_route,
    item_ease,
    solve,
    success_probability,
    with_solver,
)

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def _items() -> list[dict]:
    return [json.loads(line) for line in (QUICKSTART / "items.jsonl").read_text().splitlines() if line.strip()]


def _content(body: dict) -> str:
    return solve(body)["choices"][0]["message"]["content"]


def test_same_request_same_reply_and_seeds_vary() -> None:
    item = _items()[3]
    body = {"model": "sim-weak", "messages": item["messages"], "seed": 5}
    assert solve(body) == solve(dict(body))
    replies = {_content({**body, "seed": seed}) for seed in range(12)}
    assert len(replies) > 1  # samples differ: there is something to learn from


def test_temperature_zero_ignores_the_seed() -> None:
    item = _items()[3]
    replies = {
        _content({"model": "sim-weak", "messages": item["messages"], "seed": s, "temperature": 0}) for s in range(8)
    }
    assert len(replies) == 1


def test_n_gives_the_choices_of_consecutive_seeds() -> None:
    item = _items()[0]
    many = solve({"model": "sim-base", "messages": item["messages"], "n": 3, "seed": 10})
    singles = [_content({"model": "sim-base", "messages": item["messages"], "seed": 10 + i}) for i in range(3)]
    assert [c["message"]["content"] for c in many["choices"]] == singles
    assert [c["index"] for c in many["choices"]] == [0, 1, 2]


def test_skill_orders_the_models_and_no_model_is_perfect_or_hopeless() -> None:
    grader = load_grader(QUICKSTART / "grader.yaml", placement="any")
    items = _items()
    means = {}
    for model in SOLVER_MODELS:
        rewards = [
            grader.grade(_content({"model": model, "messages": it["messages"], "seed": s}), it).reward
            for it in items
            for s in range(4)
        ]
        means[model] = sum(rewards) / len(rewards)
    assert means["sim-weak"] < means["sim-base"] < means["sim-strong"]
    assert all(0.2 < m < 0.99 for m in means.values()), means


def test_some_items_give_no_signal_and_some_vary() -> None:
    items = _items()
    probabilities = [success_probability("sim-base", "\n".join(m["content"] for m in it["messages"])) for it in items]
    assert any(p in (0.0, 1.0) for p in probabilities)
    assert any(0.2 < p < 0.8 for p in probabilities)
    # the item's ease does not depend on the model: hard items are hard for everyone
    assert item_ease("x") == item_ease("x") != item_ease("y")


def test_arithmetic_and_word_problems_are_solved_exactly() -> None:
    body = {
        "model": "sim-strong",
        "messages": [{"role": "user", "content": "What is 12 * (3 + 4) - 5? Use \\boxed{}."}],
    }
    draws = [_content({**body, "seed": s}) for s in range(20)]
    assert "\\boxed{79}" in draws
    story = (
        "A bakery starts the morning with 30 kilograms of flour in its storeroom. "
        "Then 6 kilograms are used for bread. Next, the head baker uses 1/4 of what remains for cakes. "
        "Later, a supplier sends a top-up, adding 2 kilograms. "
        "Finally, what is left is divided equally among 4 shelves. How many kilograms of flour does each share receive?"
    )
    messages = [
        {"role": "developer", "content": "End with a final line 'Answer: <value>'."},
        {"role": "user", "content": story},
    ]
    answers = [_content({"model": "sim-strong", "messages": messages, "seed": s}).splitlines()[-1] for s in range(20)]
    assert "Answer: 5" in answers  # ((30 - 6) * 3/4 + 2) / 4 = 5


def test_labels_tools_and_json_mode() -> None:
    label_messages = [
        {"role": "developer", "content": "Reply with the queue name only: refund, billing, faq or escalation."},
        {"role": "user", "content": "I was charged twice on my card for one invoice."},
    ]
    labels = {_content({"model": "sim-strong", "messages": label_messages, "seed": s}) for s in range(20)}
    assert "billing" in labels and labels <= {"refund", "billing", "faq", "escalation"}

    tools = [
        {
            "type": "function",
            "function": {"name": "book_table", "description": "reserve a restaurant", "parameters": {}},
        },
        {
            "type": "function",
            "function": {
                "name": "get_forecast",
                "description": "weather forecast for a city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                },
            },
        },
    ]
    weather = [{"role": "user", "content": "What will the weather be in Lisbon over the next 3 days?"}]
    calls = [
        solve({"model": "sim-strong", "messages": weather, "tools": tools, "seed": s})["choices"][0] for s in range(20)
    ]
    assert all(c["finish_reason"] == "tool_calls" and c["message"]["content"] is None for c in calls)
    arguments = [json.loads(c["message"]["tool_calls"][0]["function"]["arguments"]) for c in calls]
    assert {"city": "Lisbon", "days": 3} in arguments

    schema = {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"email": {}}}},
    }
    doc = [{"role": "user", "content": "Contact: Ada Lovelace <ada@example.com>"}]
    outputs = [
        _content({"model": "sim-strong", "messages": doc, "response_format": schema, "seed": s}) for s in range(20)
    ]
    assert '{"email": "ada@example.com"}' in outputs


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    item = _items()[0]
    reply = solve({"model": "sim-strong", "messages": item["messages"], "max_tokens": 3})
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 3


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}, 404),
        ({"model": "sim-base", "messages": []}, 400),
        ({"model": "sim-base", "messages": [{"role": "user", "content": "hi"}], "n": 0}, 400),
        ({"model": "sim-base", "messages": [{"role": "user", "content": "hi"}], "seed": "x"}, 400),
        ({"model": "sim-base", "messages": [{"role": "user", "content": "hi"}], "stream": True}, 400),
    ],
)
def test_bad_requests_are_api_errors(body: dict, status: int) -> None:
    with pytest.raises(ApiError) as caught:
        solve(body)
    assert caught.value.status == status


def test_route_hook_serves_solver_models_and_leaves_others_alone() -> None:
    ensure_solver_route()
    ensure_solver_route()  # idempotent
    with LocalServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="local", max_retries=0)
        messages = [{"role": "user", "content": "What is 2 + 3?"}]
        reply = client.chat.completions.create(model="sim-base", messages=messages, seed=4)  # type: ignore[arg-type]
        assert reply.system_fingerprint == "rft-kit-simulated-solver"
        assert reply.choices[0].message.content == _content({"model": "sim-base", "messages": messages, "seed": 4})
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])


def test_with_solver_wraps_once() -> None:
    def handler(state: object, request: object) -> str:
        return "inner"

    wrapped = with_solver(handler)
    assert with_solver(wrapped) is wrapped
    assert wrapped(None, type("R", (), {"body": {"model": "other"}})()) == "inner"  # type: ignore[arg-type]
