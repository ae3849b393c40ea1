"""The reward server against hostile clients, over real sockets: every parse-level failure a 4xx, bounded metrics,
auth before routing, a whole-request deadline, and a bad request that fails alone inside a merged batch."""

from __future__ import annotations

import concurrent.futures as cf
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

GRADERS = Path(__file__).resolve().parents[2] / "graders"
TOKEN = "s3cret"
PAIR = {"item": {"answer": "4"}, "sample": "4"}


def _settings(**overrides: Any) -> RewardSettings:
    base: dict[str, Any] = {"token": TOKEN, "read_timeout_s": 0.5, "request_timeout_s": 2.0}
    return RewardSettings(**{**base, **overrides})


@pytest.fixture(scope="module")
def server() -> Iterator[RewardServer]:
    with RewardServer(load_grader(GRADERS / "exact_answer.yaml"), workers=1, settings=_settings()) as srv:
        yield srv


def _address(server: RewardServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _post(server: RewardServer, path: str, body: bytes, *, token: str | None = TOKEN) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(*_address(server), timeout=30)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body, headers)
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    return response.status, payload


def _raw(server: RewardServer, data: bytes, *, wait_s: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or ``wait_s``)."""
    with socket.create_connection(_address(server), timeout=wait_s) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def test_unknown_paths_share_one_metrics_label_and_need_auth(server: RewardServer) -> None:
    for i in range(200):
        conn = http.client.HTTPConnection(*_address(server), timeout=10)
        conn.request("GET", f"/probe-{i}")
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == 401  # auth first: an unauthenticated client is not told which paths exist
    conn = http.client.HTTPConnection(*_address(server), timeout=10)
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    metrics = json.loads(conn.getresponse().read())
    labels = set(metrics["requests_by_endpoint"])
    assert labels <= {"/score", "/score_batch", "/health", "/metrics", "(other)"}, labels
    assert metrics["requests_by_endpoint"]["(other)"] >= 200


def test_health_stays_open_without_a_token(server: RewardServer) -> None:
    conn = http.client.HTTPConnection(*_address(server), timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(json.dumps({"item": _nested(900), "sample": "4"}).encode(), id="item-900-deep"),
        pytest.param(b'{"item": ' + b"[" * 100_000 + b"]" * 100_000 + b', "sample": "4"}', id="json-100k-deep"),
        pytest.param(b'{"item": {"answer": ' + b"7" * 5000 + b'}, "sample": "4"}', id="int-5000-digits"),
        pytest.param(b'{"item": {"answer": "4"}, "sample": "\xff"}', id="not-utf8"),
    ],
)
def test_parse_level_failures_answer_4xx(server: RewardServer, body: bytes) -> None:
    status, payload = _post(server, "/score", body)
    assert 400 <= status < 500, (status, payload)
    assert _post(server, "/score", json.dumps(PAIR).encode())[0] == 200  # and the server still serves


def test_a_bad_request_fails_alone_in_a_merged_batch() -> None:
    # Depth check off, so the 900-deep item reaches the grading workers and cannot be pickled there: only the
    # request carrying it may fail, never the normal requests merged into the same batch.
    settings = _settings(max_json_depth=10_000, request_timeout_s=30.0)
    with RewardServer(load_grader(GRADERS / "exact_answer.yaml"), workers=1, settings=settings) as srv:
        deep = json.dumps({"item": _nested(900), "sample": "4"}).encode()
        good = json.dumps(PAIR).encode()
        bodies = [deep if i % 8 == 0 else good for i in range(400)]
        with cf.ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(lambda b: _post(srv, "/score", b)[0], bodies))
    good_statuses = [s for s, b in zip(statuses, bodies, strict=True) if b is good]
    bad_statuses = [s for s, b in zip(statuses, bodies, strict=True) if b is deep]
    assert good_statuses.count(200) == len(good_statuses), sorted(set(good_statuses))
    assert all(400 <= s < 500 for s in bad_statuses), sorted(set(bad_statuses))


def test_a_trickling_client_is_cut_at_the_request_deadline(server: RewardServer) -> None:
    request = (
        b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + TOKEN.encode()
        + b"\r\nContent-Length: 2000\r\n\r\n"
    )
    start = time.monotonic()
    cut = False
    with socket.create_connection(_address(server), timeout=10) as sock:
        try:
            for byte in request + b" " * 2000:  # one byte every 0.2 s: each read is quick, the request never ends
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
                if time.monotonic() - start > 15:
                    break
        except (BrokenPipeError, ConnectionResetError):
            cut = True
        if not cut:
            sock.settimeout(1.0)
            try:
                cut = sock.recv(65536) is not None
            except (TimeoutError, ConnectionResetError):
                cut = False
    took = time.monotonic() - start
    assert cut and took < 8.0, f"a trickling client held its connection {took:.1f} s against a 2 s deadline"


def test_chunked_with_content_length_is_refused_and_nothing_is_smuggled(server: RewardServer) -> None:
    smuggled = b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n\r\n"
    chunk = b'{"item": {}, "sample": "4"}'
    body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n" + smuggled
    head = (
        b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Length: " + str(len(chunk) + 6).encode() + b"\r\n\r\n"
    )
    reply = _raw(server, head + body)
    assert reply.startswith(b"HTTP/1.1 411"), reply[:200]
    assert reply.count(b"HTTP/1.1 ") == 1, "a second request was read out of the first one's body"


@pytest.mark.parametrize("form", ["+{n}", "{head}_{tail}", "{n}, {n}", "0x{n:x}"])
def test_a_malformed_content_length_is_refused(server: RewardServer, form: str) -> None:
    # int() reads "+40" and "4_0" as 40; a proxy in front may frame the body differently, so neither is a length
    body = json.dumps(PAIR).encode()
    n = len(body)
    length = form.format(n=n, head=str(n)[:-1], tail=str(n)[-1]).encode()
    head = b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
    reply = _raw(server, head + b"Content-Length: " + length + b"\r\n\r\n" + body)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


def test_two_content_length_headers_are_refused(server: RewardServer) -> None:
    body = json.dumps(PAIR).encode()
    head = b"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() + b"\r\n"
    lengths = f"Content-Length: {len(body)}\r\nContent-Length: 5\r\n\r\n".encode()
    reply = _raw(server, head + lengths + body)
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


def test_a_surrogate_quoted_in_a_reply_is_sent_as_strict_json() -> None:
    grader = load_grader(
        {
            "type": "string_check",
            "name": "t",
            "input": "{{sample.output_json.answer}}",
            "reference": "{{item.answer}}",
            "operation": "eq",
        }
    )
    with RewardServer(grader, workers=0, settings=_settings()) as srv:
        # the sample text is a JSON object whose key is the escape \ud800: the grade error lists that key
        body = json.dumps({"item": {"answer": "x"}, "sample": '{"\\ud800": 1}'}).encode()
        status, payload = _post(srv, "/score", body)
    assert status == 200 and payload["status"] == "error"
    text = json.dumps(payload, ensure_ascii=False)
    text.encode("utf-8")  # a lone surrogate in the reply would make this raise (and strict parsers refuse it)
    assert "\\\\ud800" in json.dumps(payload)
