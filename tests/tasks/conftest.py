"""Shared fixtures for the task-generation tests: a local judge endpoint for the rubric template."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rft_kit.local_openai import LocalServer


@pytest.fixture(scope="session")
def judge_server() -> Iterator[LocalServer]:
    """The packaged OpenAI-compatible server; its simulated judge answers the rubric template's grader."""
    with LocalServer() as server:
        yield server


@pytest.fixture
def judge_env(judge_server: LocalServer, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """Point model graders at the local server, with a private judge cache (no cross-test cache hits)."""
    monkeypatch.setenv("OPENAI_BASE_URL", judge_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    monkeypatch.setenv("RFT_KIT_CACHE", str(tmp_path_factory.mktemp("judge-cache")))
    return judge_server
