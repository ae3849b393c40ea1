"""Fixtures for rollout tests: the test environment registered, and a local server reached through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rft_kit.environments import registry
from rft_kit.local_openai import LocalServer


@pytest.fixture(autouse=True)
def counters_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(registry.BUILTIN, "test_counters", "tests.rollout.envs:CounterStore")
    registry.environment_class.cache_clear()
    yield
    registry.environment_class.cache_clear()


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def base_url(server: LocalServer) -> str:
    server.configure_faults()
    return server.base_url
