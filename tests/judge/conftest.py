"""Fixtures for judge tests: one local server per module (the SIMULATED judge), a fresh cache per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rft_kit import load_grader
from rft_kit.graders.base import Grader
from rft_kit.local_openai import LocalServer
from rft_kit.local_openai.routes.chat import ChatControls, chat_controls

CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(default_embedding_model="hashing-embed-256") as srv:
        yield srv


@pytest.fixture
def controls(server: LocalServer) -> ChatControls:
    return chat_controls(server.state)


@pytest.fixture(autouse=True)
def fresh(server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets an empty cache directory and a server without faults or counts."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("RFT_KIT_CACHE", str(cache))
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    server.configure_faults()
    server.stats.reset()
    chat_controls(server.state).reset()
    return cache


def chat_requests(server: LocalServer) -> int:
    return server.stats.requests("POST", CHAT)


@pytest.fixture
def make(server: LocalServer) -> Callable[..., Grader]:
    """Build a grader whose judge is the local server (``rft_options`` merged over the given ones)."""

    def build(config: dict[str, Any], placement: str = "any", **options: Any) -> Grader:
        merged = {**config, "rft_options": {"base_url": server.base_url, **config.get("rft_options", {}), **options}}
        return load_grader(merged, placement=placement)  # type: ignore[arg-type]

    return build


def score_config(
    system: str = "Score 1 for an exact match, 0.5 for similar meaning, else 0.", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "score_model",
        "name": "judge",
        "model": "sim-judge",
        "input": [
            {"role": "system", "content": system},
            {"role": "user", "content": "Reference: {{item.reference_answer}}. Model answer: {{sample.output_text}}"},
        ],
        **extra,
    }


def label_config(**extra: Any) -> dict[str, Any]:
    return {
        "type": "label_model",
        "name": "tone",
        "model": "sim-judge",
        "input": [
            {"role": "user", "content": "Classify the sentiment of the answer. Statement: {{sample.output_text}}"}
        ],
        "labels": ["positive", "neutral", "negative"],
        "passing_labels": ["positive"],
        **extra,
    }
