"""The chat completions route and the SIMULATED model's documented rules, through the real SDK."""

from __future__ import annotations

import json

import openai
import pytest

from rft_kit.judge.schemas import criteria_schema, fallback_instruction, label_schema, response_format, score_schema
from rft_kit.local_openai import LocalServer
from rft_kit.local_openai.simulated_judge import count_tokens


@pytest.fixture
def client(server: LocalServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)


def ask(client: openai.OpenAI, text: str, schema: dict | None = None, **kwargs):
    if schema is not None:
        kwargs["response_format"] = response_format("verdict", schema)
    return client.chat.completions.create(
        model=kwargs.pop("model", "sim-judge"), messages=[{"role": "user", "content": text}], **kwargs
    )


def test_score_rule_and_usage(client: openai.OpenAI) -> None:
    text = "Reference: a b c d. Model answer: a b"
    response = ask(client, text, score_schema())
    verdict = json.loads(response.choices[0].message.content)
    assert list(verdict) == ["steps", "result"]  # reasoning first
    assert verdict["result"] == pytest.approx(0.6667)  # P 1, R 0.5
    assert response.usage.prompt_tokens == count_tokens(text) + 4
    assert response.usage.completion_tokens == count_tokens(response.choices[0].message.content)
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens
    assert response.model == "sim-judge" and response.choices[0].finish_reason == "stop"


def test_label_rules(client: openai.OpenAI) -> None:
    schema = label_schema(["spam", "ham"])
    assert json.loads(ask(client, "Model answer: this is spam", schema).choices[0].message.content)["result"] == "spam"
    assert (
        json.loads(ask(client, "Model answer: hello", schema).choices[0].message.content)["result"] == "spam"
    )  # first


def test_batched_criteria_rule(client: openai.OpenAI) -> None:
    text = 'Model answer: use "salt"\n\nCriteria:\n[1] mentions "salt"\n[2] mentions "pepper"'
    verdict = json.loads(ask(client, text, criteria_schema()).choices[0].message.content)
    assert [(c["id"], c["criteria_met"]) for c in verdict["criteria"]] == [(1, True), (2, False)]


def test_plain_text_mode_reads_the_schema_from_the_prompt(client: openai.OpenAI) -> None:
    text = "Reference: x y. Model answer: x y\n\n" + fallback_instruction("score_verdict", score_schema())
    content = ask(client, text).choices[0].message.content
    assert content.startswith("Here is my evaluation.") and '"result": 1.0' in content


def test_plain_chat_without_a_schema(client: openai.OpenAI) -> None:
    assert ask(client, "hello there").choices[0].message.content == "SIMULATED reply: hello there"


def test_refusals_and_aliases(client: openai.OpenAI) -> None:
    message = ask(client, "x", score_schema(), model="gpt-4o-2024-08-06+refuse").choices[0].message
    assert message.content is None and "SIMULATED" in message.refusal


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"model": "gpt-9"}, openai.NotFoundError),
        ({"model": "sim-judge+explode"}, openai.BadRequestError),
        ({"stream": True}, openai.BadRequestError),
        ({"n": 2}, openai.BadRequestError),
        ({"model": "gpt-4o", "reasoning_effort": "low"}, openai.BadRequestError),
        ({"model": "o4-mini", "temperature": 0}, openai.BadRequestError),
        (
            {"model": "sim-judge+no-json-schema", "response_format": response_format("v", score_schema())},
            openai.BadRequestError,
        ),
        ({"model": "sim-judge+no-response-format", "response_format": {"type": "json_object"}}, openai.BadRequestError),
    ],
)
def test_what_the_api_would_refuse(client: openai.OpenAI, kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        ask(client, "Reference: a. Model answer: a", **kwargs)


def test_max_tokens_truncates_with_finish_reason_length(client: openai.OpenAI) -> None:
    response = ask(client, "Reference: a. Model answer: a", score_schema(), max_completion_tokens=3)
    assert response.choices[0].finish_reason == "length" and response.usage.completion_tokens == 3
