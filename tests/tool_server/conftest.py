"""Fixtures: the rollout tests' counter environment registered, and a tool server on 127.0.0.1 serving it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rft_kit.environments import registry


@pytest.fixture(scope="module", autouse=True)
def counters_env() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(registry.BUILTIN, "test_counters", "tests.rollout.envs:CounterStore")
        registry.environment_class.cache_clear()
        yield
    registry.environment_class.cache_clear()
