"""LocalServer lifecycle, concurrency and the route table."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from rft_kit.local_openai import LocalServer
from rft_kit.local_openai.routes import match_route
from rft_kit.local_openai.routes.models import retrieve_model


def test_base_url_points_at_v1_on_the_bound_port() -> None:
    with LocalServer() as server:
        assert server.port > 0
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url
    server.stop()  # idempotent


def test_start_twice_is_an_error() -> None:
    with LocalServer() as server, pytest.raises(RuntimeError, match="already started"):
        server.start()


def test_concurrent_requests_all_succeed(server: LocalServer, client: openai.OpenAI) -> None:
    def embed(i: int) -> list[float]:
        return client.embeddings.create(model="hashing-embed-256", input=f"text {i % 4}").data[0].embedding

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(embed, range(32)))
    assert all(results[i] == results[i % 4] for i in range(32))
    assert server.stats.requests("POST", "/v1/embeddings") == 32


def test_route_patterns_bind_parameters() -> None:
    assert match_route("GET", "/v1/models/text-embedding-3-large") == (
        retrieve_model,
        {"model": "text-embedding-3-large"},
    )
    assert match_route("POST", "/v1/models/x") is None
    assert match_route("GET", "/v1/models/a/b") is None
