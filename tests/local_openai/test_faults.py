"""Injected latency and failures, auth, and settings validation."""

from __future__ import annotations

import time

import openai
import pytest

from rft_kit.local_openai import LocalServer, ServerConfig


def test_the_sdk_retries_through_the_first_failures(server: LocalServer, client: openai.OpenAI) -> None:
    server.configure_faults(fail_first=2, fail_status=500)
    response = client.with_options(max_retries=2).embeddings.create(model="hashing-embed-256", input="x")
    assert len(response.data) == 1
    assert server.stats.faults == 2
    assert server.stats.requests("POST", "/v1/embeddings") == 3


def test_a_429_without_retries_is_a_rate_limit_error(server: LocalServer, client: openai.OpenAI) -> None:
    server.configure_faults(fail_first=1, fail_status=429)
    with pytest.raises(openai.RateLimitError):
        client.embeddings.create(model="hashing-embed-256", input="x")
    # Only the first request fails.
    assert client.embeddings.create(model="hashing-embed-256", input="x").data


def test_fail_all_fails_every_request(server: LocalServer, client: openai.OpenAI) -> None:
    server.configure_faults(fail_first="all", fail_status=503)
    for _ in range(3):
        with pytest.raises(openai.InternalServerError) as caught:
            client.embeddings.create(model="hashing-embed-256", input="x")
        assert caught.value.status_code == 503
        assert caught.value.code == "injected_fault"


def test_latency_is_added_to_each_request(server: LocalServer, client: openai.OpenAI) -> None:
    server.configure_faults(latency_s=0.2)
    start = time.perf_counter()
    client.embeddings.create(model="hashing-embed-256", input="x")
    assert time.perf_counter() - start >= 0.2


def test_api_key_is_checked_when_configured() -> None:
    with LocalServer(api_key="sesame", default_embedding_model="hashing-embed-256") as server:
        wrong = openai.OpenAI(base_url=server.base_url, api_key="nope", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.embeddings.create(model="hashing-embed-256", input="x")
        right = openai.OpenAI(base_url=server.base_url, api_key="sesame", max_retries=0)
        assert right.embeddings.create(model="hashing-embed-256", input="x").data


@pytest.mark.parametrize(
    "settings",
    [{"latency_s": -1.0}, {"fail_first": -1}, {"fail_first": "some"}, {"fail_status": 200}, {"retry_after_ms": -5}],
)
def test_invalid_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        ServerConfig(**settings)  # type: ignore[arg-type]


def test_an_uninstalled_default_model_is_refused() -> None:
    with pytest.raises(ValueError, match="not installed"):
        LocalServer(default_embedding_model="no-such-model")
