"""The in-process transport (``base_url: local``) and the TCP server answer through one code path, and a grader on
``local`` starts no server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from rft_kit.graders.loading import load_grader
from rft_kit.local_openai import LocalApp, LocalServer, ServerConfig
from rft_kit.local_openai.transport import LocalTransport, httpx
from rft_kit.openai_client import sync_client
from rft_kit.similarity.cosine import CosineMetric


@pytest.fixture
def pair() -> Iterator[tuple[LocalServer, httpx.Client, httpx.Client]]:
    """One app, reached over TCP and in-process."""
    with LocalServer(default_embedding_model="hashing-embed-256") as server:
        tcp = httpx.Client(base_url=server.url)
        inproc = httpx.Client(base_url="http://rft-kit.local", transport=LocalTransport(server.app))
        yield server, tcp, inproc
        tcp.close()
        inproc.close()


def _strip(response: httpx.Response) -> tuple[int, Any, str | None]:
    return response.status_code, response.json(), response.headers.get("retry-after-ms")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/models", None),
        ("GET", "/v1/models/text-embedding-3-large", None),
        ("GET", "/v1/models/nope", None),
        ("POST", "/v1/embeddings", {"model": "hashing-embed-256", "input": ["a cat", "a dog"]}),
        ("POST", "/v1/embeddings", {"model": "hashing-embed-256", "input": []}),
        ("POST", "/v1/chat/completions", {"model": "sim-judge", "messages": [{"role": "user", "content": "hi"}]}),
        ("POST", "/v1/chat/completions", {"model": "nope", "messages": [{"role": "user", "content": "hi"}]}),
        ("POST", "/v1/fine_tuning/jobs", {"model": "x"}),  # no fake fine-tuning API on the real app
        ("GET", "/v1/nothing/here", None),
    ],
)
def test_same_answer_over_tcp_and_in_process(
    pair: tuple[LocalServer, httpx.Client, httpx.Client], method: str, path: str, body: Any
) -> None:
    _, tcp, inproc = pair
    over_tcp = _strip(tcp.request(method, path, json=body))
    in_process = _strip(inproc.request(method, path, json=body))
    assert over_tcp == in_process
    if path.startswith(("/v1/fine_tuning", "/v1/nothing")):
        assert over_tcp[0] == 404


def test_bad_json_faults_and_counters_are_shared(pair: tuple[LocalServer, httpx.Client, httpx.Client]) -> None:
    server, tcp, inproc = pair
    raw = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}
    assert _strip(tcp.post("/v1/embeddings", **raw)) == _strip(inproc.post("/v1/embeddings", **raw))
    server.configure_faults(fail_first=2, fail_status=429, retry_after_ms=7)
    first, second = inproc.get("/v1/models"), tcp.get("/v1/models")
    assert first.status_code == second.status_code == 429
    assert first.headers["retry-after-ms"] == second.headers["retry-after-ms"] == "7"
    assert inproc.get("/v1/models").status_code == 200  # the third request of the same app
    assert server.stats.snapshot()["faults"] == 2


def test_auth_is_the_apps() -> None:
    app = LocalApp.from_config(ServerConfig(api_key="secret", default_embedding_model="hashing-embed-256"))
    client = openai.OpenAI(
        base_url="http://rft-kit.local/v1",
        api_key="wrong",
        max_retries=0,
        http_client=httpx.Client(transport=LocalTransport(app)),
    )
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was bound or connected")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


def test_a_judge_on_local_grades_without_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_sockets(monkeypatch)
    grader = load_grader(
        {
            "type": "score_model",
            "name": "judge",
            "model": "sim-judge",
            "input": [{"role": "user", "content": "Reference: {{item.answer}}. Model answer: {{sample.output_text}}"}],
            "rft_options": {"base_url": "local", "cache": False},
        },
        placement="any",
    )
    assert grader.grade("the mitochondria", {"answer": "the mitochondria"}).reward == pytest.approx(1.0)
    assert grader.grade("a ribosome", {"answer": "the mitochondria"}).reward == 0.0
    assert not [t for t in threading.enumerate() if t.name.startswith("rft-kit-server")]


def test_cosine_and_the_sdk_on_local_need_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_sockets(monkeypatch)
    cosine = CosineMetric({"embedding_base_url": "local"})
    assert 0.0 < cosine.score("the cat sat on the mat", "the cat sat on a mat") < 1.0
    assert cosine.describe()["served_model"] == "hashing-embed-256"
    assert "in-process" in cosine.describe()["backend"]
    models = sync_client("local", None).models.list()
    assert "hashing-embed-256" in {m.id for m in models}
