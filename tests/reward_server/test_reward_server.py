"""The reward server: protocol, auth, limits, hostile clients, and a bounded load test."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rft_kit import load_grader
from rft_kit.reward_server import RewardServer, RewardSettings
from rft_kit.reward_server.loadgen import run_load

GRADERS = Path(__file__).resolve().parents[2] / "graders"
TOKEN = "s3cret"


@pytest.fixture(scope="module")
def server() -> Iterator[RewardServer]:
    settings = RewardSettings(token=TOKEN, max_body_bytes=64 * 1024, read_timeout_s=0.5, max_batch_pairs=100)
    with RewardServer(load_grader(GRADERS / "tool_call.yaml"), workers=2, settings=settings) as srv:
        yield srv


def _request(
    server: RewardServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = TOKEN,
    raw: bytes | None = None,
) -> tuple[int, Any]:
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    conn.request(method, path, data, headers)
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    return response.status, payload


def _tool_sample(name: str, args: dict[str, Any]) -> dict[str, Any]:
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
    return {"output_text": "", "output_tools": [call]}


ITEM = {"function": "get_forecast", "arguments": {"city": "Lisbon", "days": 3}}


def test_score_matches_local_grading(server):
    status, body = _request(
        server,
        "POST",
        "/score",
        {"item": ITEM, "sample": _tool_sample("get_forecast", {"city": "Lisbon", "days": 3.0})},
    )
    assert status == 200
    assert body == {
        "score": 1.0,
        "status": "scored",
        "error": None,
        "sub_rewards": {"function": 1.0, "city": 1.0, "days": 1.0},
    }
    status, body = _request(
        server, "POST", "/score", {"item": ITEM, "sample": _tool_sample("get_weather", {"city": "Lisbon", "days": 3})}
    )
    assert (status, body["score"], body["sub_rewards"]["function"]) == (200, 0.5, 0.0)


def test_grading_error_is_reported_not_hidden(server):
    status, body = _request(server, "POST", "/score", {"item": ITEM, "sample": "no tool call"})
    assert status == 200
    assert body["score"] == 0.0 and body["status"] == "error"
    assert body["error"]["kind"] == "template" and body["error"]["flag"] == "invalid_variable_error"


def test_score_batch(server):
    samples = [_tool_sample("get_forecast", {"city": "Lisbon", "days": d}) for d in (3, 4)] + ["plain text"]
    status, body = _request(server, "POST", "/score_batch", {"items": [ITEM] * 3, "samples": samples})
    assert status == 200
    assert [r["score"] for r in body["results"]] == [1.0, 0.75, 0.0]
    assert [r["status"] for r in body["results"]] == ["scored", "scored", "error"]


def test_auth(server):
    assert _request(server, "POST", "/score", {"item": ITEM, "sample": "x"}, token=None)[0] == 401
    assert _request(server, "POST", "/score", {"item": ITEM, "sample": "x"}, token="wrong")[0] == 401
    assert _request(server, "GET", "/metrics", token=None)[0] == 401
    status, body = _request(server, "GET", "/health", token=None)
    assert status == 200 and body["grader"] == {"name": "tool_call", "type": "multi"}


@pytest.mark.parametrize(
    ("path", "body", "raw", "status", "fragment"),
    [
        ("/score", None, b"{not json", 400, "not valid JSON"),
        ("/score", None, b"\xff\xfe", 400, "not valid JSON"),
        ("/score", [1, 2], None, 400, "JSON object"),
        ("/score", {"item": "x", "sample": "y"}, None, 400, "item must be an object"),
        ("/score", {"item": {}, "sample": 42}, None, 400, "sample must be a string or a sample object"),
        ("/score", {"item": {}}, None, 400, "got nothing"),
        ("/score", {"item": {}, "sample": {"output_text": 5}}, None, 200, "sample_parse_error"),
        ("/score_batch", {"items": [{}], "samples": []}, None, 400, "differ in length"),
        ("/score_batch", {"items": {}, "samples": []}, None, 400, "must both be lists"),
        ("/score_batch", {"items": [{}] * 101, "samples": ["x"] * 101}, None, 413, "limit is 100"),
        ("/nope", {}, None, 404, "no route"),
    ],
)
def test_malformed_requests_get_4xx(server, path, body, raw, status, fragment):
    got, payload = _request(server, "POST", path, body, raw=raw)
    assert got == status
    assert fragment in json.dumps(payload)


def test_wrong_method(server):
    assert _request(server, "GET", "/score")[0] == 405


def test_huge_body_is_refused_without_reading_it(server):
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + TOKEN.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"
        )
        chunks = []
        while chunk := sock.recv(65536):  # the server closes the connection after a 413
            chunks.append(chunk)
        reply = b"".join(chunks).decode()
    assert reply.startswith("HTTP/1.1 413") and "over the 65536-byte limit" in reply


def test_missing_content_length(server):
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 411")


def test_slow_clients_are_cut_off_and_others_are_served(server):
    host, port = server.url.removeprefix("http://").split(":")
    stalled_body = socket.create_connection((host, int(port)), timeout=5)
    stalled_body.sendall(
        b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b'\r\nContent-Length: 500\r\n\r\n{"item"'
    )
    stalled_headers = socket.create_connection((host, int(port)), timeout=5)
    stalled_headers.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
    # While both stall, others are served at once.
    started = time.perf_counter()
    for _ in range(5):
        assert _request(server, "POST", "/score", {"item": ITEM, "sample": "x"})[0] == 200
    assert time.perf_counter() - started < 0.5 * 5
    # The server answers the stalled body with 408 and closes; the stalled headers are just closed.
    reply = stalled_body.recv(65536)
    assert reply.startswith(b"HTTP/1.1 408")
    assert stalled_headers.recv(65536) == b""
    stalled_body.close()
    stalled_headers.close()
    assert _request(server, "GET", "/health")[0] == 200


def test_metrics_count_requests_errors_and_latency(server):
    _request(server, "POST", "/score", raw=b"garbage")
    status, metrics = _request(server, "GET", "/metrics")
    assert status == 200
    assert metrics["requests"] > 0 and metrics["workers"] == 2
    assert metrics["errors_by_kind"]["bad_json"] >= 1
    assert metrics["latency_ms"]["p50"] is not None and metrics["latency_ms"]["p99"] >= metrics["latency_ms"]["p50"]


def test_in_process_mode_and_no_auth():
    with RewardServer(load_grader(GRADERS / "exact_answer.yaml"), workers=0) as srv:
        status, body = _request(srv, "POST", "/score", {"item": {"answer": "4"}, "sample": "4"}, token=None)
    assert (status, body["score"]) == (200, 1.0)


@pytest.mark.slow
def test_load_2000_requests_at_concurrency_32(server, capsys):
    bodies = [
        {"item": ITEM, "sample": _tool_sample("get_forecast", {"city": "Lisbon", "days": d})} for d in range(1, 9)
    ] + [{"item": ITEM, "sample": "no call"}]
    before = json.loads(json.dumps(server.metrics.snapshot()))
    result = run_load(
        server.url, bodies, total=2000, concurrency=32, deadline_s=60, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    summary = result.summary()
    with capsys.disabled():
        print(f"\nreward server load: {summary}")
    assert result.requests == 2000 and result.transport_errors == 0
    assert set(result.statuses) == {200}, summary
    assert result.duration_s < 60
    after = server.metrics.snapshot()
    assert after["pairs_graded"] - before["pairs_graded"] == 2000


def test_a_killed_worker_is_replaced():
    import os
    import signal

    with RewardServer(load_grader(GRADERS / "exact_answer.yaml"), workers=1) as srv:
        scorer = srv._scorer
        assert scorer is not None
        (pid,) = scorer.worker_pids()
        os.kill(pid, signal.SIGKILL)
        statuses = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, _ = _request(srv, "POST", "/score", {"item": {"answer": "1"}, "sample": "1"}, token=None)
            statuses.append(status)
            if status == 200:
                break
        assert statuses[-1] == 200, statuses
        assert set(statuses[:-1]) <= {500}
        assert scorer.restarts == 1 and scorer.worker_pids() != [pid]
