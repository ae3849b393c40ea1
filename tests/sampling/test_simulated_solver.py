"""The SIMULATED solver: works from the item's reference answer, deterministic, skill-ordered, varied across samples,
independent of a prompt's wording, and honest about what it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from rft_kit.graders.loading import load_grader
from rft_kit.local_openai import LocalServer
from rft_kit.local_openai.backends import CHAT_BACKENDS, chat_backend, is_solver_model
from rft_kit.local_openai.errors import ApiError
from rft_kit.local_openai.simulated_solver import (
    DIFFICULTY_PENALTY,
    SOLVER_MODELS,
    complete,
    item_ease,
    success_probability,
)
from rft_kit.openai_client import sync_client
from rft_kit.sampling import SamplingParams
from rft_kit.sampling.request import build_request

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def _items() -> list[dict[str, Any]]:
    return [json.loads(line) for line in (QUICKSTART / "items.jsonl").read_text().splitlines() if line.strip()]


def _body(item: dict[str, Any], model: str = "sim-base", **fields: Any) -> dict[str, Any]:
    """The body the sampler sends for ``item`` (extra_body merged in, as the SDK does)."""
    request = build_request(item, fields.pop("sample_index", 0), SamplingParams(model=model, **fields))
    extra = request.pop("extra_body", {})
    return {**request, **extra}


def _content(body: dict[str, Any]) -> str:
    content: str = complete(body)["choices"][0]["message"]["content"]
    return content


def test_the_sampler_sends_the_reference_answer_to_solver_models_only() -> None:
    item = _items()[0]
    body = _body(item, "sim-base", seed=0)
    assert body["rft_simulation"] == {
        "item_id": item["id"],
        "answer": json.dumps({"name": item["name"], "email": item["email"], "total": item["total"]}),
        "difficulty": "easy",
    }
    for other in ("gpt-4.1-mini", "sim-judge", "my-model"):
        assert "extra_body" not in build_request(item, 0, SamplingParams(model=other))


def test_same_request_same_reply_and_seeds_vary() -> None:
    item = _items()[3]
    body = _body(item, "sim-weak")
    assert complete({**body, "seed": 5}) == complete({**body, "seed": 5})
    replies = {_content({**body, "seed": seed}) for seed in range(12)}
    assert len(replies) > 1  # samples differ: there is something to learn from


def test_the_prompt_wording_does_not_matter() -> None:
    # The solver works from rft_simulation: rewording a template's prompt cannot change (or break) the answers.
    item = _items()[5]
    reworded = {**item, "messages": [{"role": "user", "content": "Completely different wording, same item."}]}
    for seed in range(8):
        assert _content(_body(item, "sim-base", seed=seed)) == _content(_body(reworded, "sim-base", seed=seed))


def test_temperature_zero_ignores_the_seed() -> None:
    body = _body(_items()[3], "sim-weak", temperature=0)
    assert len({_content({**body, "seed": s}) for s in range(8)}) == 1


def test_n_gives_the_choices_of_consecutive_seeds() -> None:
    body = _body(_items()[0])
    many = complete({**body, "n": 3, "seed": 10})
    singles = [_content({**body, "seed": 10 + i}) for i in range(3)]
    assert [c["message"]["content"] for c in many["choices"]] == singles
    assert [c["index"] for c in many["choices"]] == [0, 1, 2]


def test_skill_orders_the_models_and_no_model_is_perfect_or_hopeless() -> None:
    grader = load_grader(QUICKSTART / "grader.yaml", placement="any")
    items = _items()
    means = {}
    for model in SOLVER_MODELS:
        rewards = [
            grader.grade(_content(_body(it, model, seed=s, sample_index=s)), it).reward
            for it in items
            for s in range(4)
        ]
        means[model] = sum(rewards) / len(rewards)
    assert means["sim-weak"] < means["sim-base"] < means["sim-strong"]
    assert all(0.2 < m < 0.99 for m in means.values()), means


def test_intact_answers_are_the_reference_and_wrong_ones_follow_the_noise_model() -> None:
    grader = load_grader(QUICKSTART / "grader.yaml", placement="any")
    for item in _items()[:10]:
        body = _body(item, "sim-base")
        p = success_probability("sim-base", item["id"], "easy")
        for seed in range(6):
            reply = _content({**body, "seed": seed})
            if reply == body["rft_simulation"]["answer"]:
                assert p > 0 and grader.grade(reply, item).reward == 1.0
            else:
                assert p < 1 and grader.grade(reply, item).reward < 1.0


def test_some_items_give_no_signal_and_some_vary() -> None:
    probabilities = [success_probability("sim-base", it["id"], "easy") for it in _items()]
    assert any(p in (0.0, 1.0) for p in probabilities)
    assert any(0.2 < p < 0.8 for p in probabilities)
    # the item's ease does not depend on the model: hard items are hard for everyone
    assert item_ease("x") == item_ease("x") != item_ease("y")
    assert (
        success_probability("sim-base", "x", "hard")
        == pytest.approx(max(0.0, success_probability("sim-base", "x", "easy") - DIFFICULTY_PENALTY["hard"]))
        or success_probability("sim-base", "x", "easy") == 1.0
    )


def test_tool_call_answers_come_back_as_tool_calls() -> None:
    answer = {
        "output_text": "",
        "output_tools": [
            {"id": "c", "type": "function", "function": {"name": "get_forecast", "arguments": '{"city": "Lisbon"}'}}
        ],
    }
    item_id = next(f"t{i}" for i in range(100) if 0.3 < success_probability("sim-base", f"t{i}") < 0.7)
    body = {
        "model": "sim-base",
        "messages": [{"role": "user", "content": "weather?"}],
        "rft_simulation": {"item_id": item_id, "answer": answer},
    }
    calls = [complete({**body, "seed": s})["choices"][0] for s in range(20)]
    assert all(c["finish_reason"] == "tool_calls" and c["message"]["content"] is None for c in calls)
    arguments = [json.loads(c["message"]["tool_calls"][0]["function"]["arguments"]) for c in calls]
    assert {"city": "Lisbon"} in arguments and any(a != {"city": "Lisbon"} for a in arguments)


def test_max_tokens_truncates_with_finish_reason_length() -> None:
    reply = complete({**_body(_items()[0], "sim-strong"), "max_tokens": 3})
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 3


_SIM = {"rft_simulation": {"item_id": "i", "answer": "1"}}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], **_SIM}, 404),
        ({"model": "sim-base", "messages": [], **_SIM}, 400),
        ({"model": "sim-base", "messages": [{"role": "user", "content": "hi"}], "n": 0, **_SIM}, 400),
        ({"model": "sim-base", "messages": [{"role": "user", "content": "hi"}], "seed": "x", **_SIM}, 400),
        ({"model": "sim-base", "messages": [{"role": "user", "content": "hi"}], "stream": True, **_SIM}, 400),
        ({"model": "sim-base", "messages": [{"role": "user", "content": "hi"}]}, 400),  # no reference answer
        (
            {"model": "sim-base", "messages": [{"role": "user", "content": "hi"}], "rft_simulation": {"answer": "1"}},
            400,
        ),
    ],
)
def test_bad_requests_are_api_errors(body: dict[str, Any], status: int) -> None:
    with pytest.raises(ApiError) as caught:
        complete(body)
    assert caught.value.status == status


def test_the_registry_names_every_simulated_chat_model_once() -> None:
    assert all(chat_backend(name) is complete for name in SOLVER_MODELS)
    assert chat_backend("sim-judge+refuse") is CHAT_BACKENDS["sim-judge"] is not complete
    assert is_solver_model("sim-base") and not is_solver_model("sim-judge") and not is_solver_model(None)
    with pytest.raises(ApiError) as caught:
        chat_backend("no-such-model")
    assert caught.value.status == 404 and "sim-base" in caught.value.message


def test_served_over_tcp_and_in_process_alike() -> None:
    item = _items()[2]
    messages = item["messages"]
    extra = _body(item)["rft_simulation"]
    expected = _content({**_body(item), "seed": 4})
    with LocalServer() as server:
        tcp = openai.OpenAI(base_url=server.base_url, api_key="local", max_retries=0)
        for client in (tcp, sync_client("local", None)):
            reply = client.chat.completions.create(
                model="sim-base", messages=messages, seed=4, extra_body={"rft_simulation": extra}
            )
            assert reply.system_fingerprint == "rft-kit-simulated-solver"
            assert reply.choices[0].message.content == expected
            with pytest.raises(openai.NotFoundError):
                client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
