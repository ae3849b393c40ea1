"""GET /v1/models and /v1/models/{model}."""

from __future__ import annotations

import openai
import pytest


def test_list_names_local_models_and_openai_aliases(client: openai.OpenAI) -> None:
    ids = {model.id for model in client.models.list()}
    assert {"hashing-embed-256", "text-embedding-3-large", "text-embedding-3-small"} <= ids


def test_an_alias_says_it_is_a_local_stand_in(client: openai.OpenAI) -> None:
    model = client.models.retrieve("text-embedding-3-large")
    assert "hashing-embed-256" in model.owned_by
    assert "not OpenAI" in model.owned_by


def test_retrieving_an_unknown_model_is_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-99")
