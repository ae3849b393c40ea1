"""Fixtures for the local server tests: one server per module, reached through the real openai SDK."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from rft_kit.local_openai import LocalServer


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    # The simulated model stands in for OpenAI ids here, so results do not depend on the embeddings extra.
    with LocalServer(default_embedding_model="hashing-embed-256") as srv:
        yield srv


@pytest.fixture
def client(server: LocalServer) -> openai.OpenAI:
    server.configure_faults()
    server.stats.reset()
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
