"""The tool server against malformed and hostile clients over real sockets: every client mistake is a 4xx with a
JSON body naming it, and the server keeps serving everyone else."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rft_kit.serving import ServeSettings
from rft_kit.tool_server import ToolServer, ToolServerConfig
from tests.rollout.envs import counter_row

from .trainer import Trainer

TOKEN = "s3cret"
ROW = counter_row("r1", [("a", 1)])
AUTH = b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"


def _call(trace: str = "t", **overrides: Any) -> dict[str, Any]:
    body = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "add",
        "arguments": '{"key": "a", "amount": 1}',
        "trace_id": trace,
        "item": ROW,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.fixture(scope="module")
def server() -> Iterator[ToolServer]:
    settings = ServeSettings(
        token=TOKEN, read_timeout_s=0.5, request_timeout_s=2.0, max_body_bytes=64 * 1024, keep_alive_s=3.0
    )
    with ToolServer(ToolServerConfig(workers=0, settings=settings)) as srv:
        yield srv


def _address(server: ToolServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _raw(server: ToolServer, data: bytes, *, wait_s: float = 5.0) -> bytes:
    """Send raw bytes; read until the server closes (or ``wait_s``)."""
    with socket.create_connection(_address(server), timeout=wait_s) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
    return b"".join(chunks)


def _still_serving(server: ToolServer, trace: str = "alive") -> None:
    status, body = Trainer(server.url, TOKEN).post("/tools/add", _call(trace, call_id=f"c{time.monotonic_ns()}"))
    assert status == 200, body


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        pytest.param(b"{not json", 400, "not valid JSON", id="bad-json"),
        pytest.param(b"\xff\xfe", 400, "not valid JSON", id="not-utf8"),
        pytest.param(b"[1, 2]", 400, "must be a JSON object", id="array"),
        pytest.param(_call(trace=None), 400, "'trace_id' must be a string, got nothing", id="no-trace-id"),
        pytest.param(_call(trace_id=17), 400, "'trace_id' must be a string, got int", id="trace-id-int"),
        pytest.param(_call(trace_id=""), 400, "'trace_id' must not be empty", id="trace-id-empty"),
        pytest.param(_call(trace_id="x" * 600), 400, "limit is 512", id="trace-id-long"),
        pytest.param(_call(type="function_call_output"), 400, "'type' must be", id="wrong-type"),
        pytest.param(_call(arguments={"key": "a"}), 400, "'arguments' must be a string", id="arguments-object"),
        pytest.param(_call(call_id=None), 400, "'call_id' must be a string", id="no-call-id"),
        pytest.param(_call(name="get"), 400, "posted to /tools/add", id="name-mismatch"),
        pytest.param(_call(item="row"), 400, "'item' must be the training row", id="item-string"),
        pytest.param(_call(item={"id": "x"}), 400, "'item.environment' must be an object", id="no-environment"),
        pytest.param(json.dumps(_call(item={**ROW, "deep": _nested(200)})).encode(), 400, "levels deep", id="deep"),
        pytest.param(b"[" * 30_000 + b"]" * 30_000, 400, "", id="json-30k-deep"),
        pytest.param(b'{"trace_id": ' + b"7" * 5000 + b"}", 400, "cannot be read", id="int-5000-digits"),
    ],
)
def test_malformed_bodies_get_4xx_and_the_server_goes_on(
    server: ToolServer, body: Any, status: int, fragment: str
) -> None:
    got, payload = Trainer(server.url, TOKEN).post("/tools/add", body)
    assert got == status, payload
    assert fragment in payload["error"]["message"]
    _still_serving(server)


def test_grade_bodies_are_checked_too(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    assert t.post("/grade", {"sample": "x", "item": ROW})[0] in (400, 404)
    status, body = t.post("/grade", {"sample": 5, "item": ROW, "trace_id": "g"})
    assert status in (400, 404), body


def test_auth_is_checked_before_routing(server: ToolServer) -> None:
    assert Trainer(server.url).post("/tools/add", _call())[0] == 401
    assert Trainer(server.url, "wrong").post("/tools/add", _call())[0] == 401
    assert Trainer(server.url, TOKEN[:-1]).post("/tools/add", _call())[0] == 401
    for i in range(150):  # an unauthenticated client is not told which paths exist
        assert Trainer(server.url).get(f"/probe-{i}")[0] == 401
    status, body = Trainer(server.url).get("/health")
    assert status == 200 and "test_counters" in json.loads(body)["environments"]
    status, raw = Trainer(server.url, TOKEN).get("/nowhere")
    assert (status, json.loads(raw)["error"]["kind"]) == (404, "not_found")
    status, raw = Trainer(server.url, TOKEN).get("/tools/add")
    assert (status, json.loads(raw)["error"]["kind"]) == (405, "bad_method")
    status, raw = Trainer(server.url, TOKEN).get("/metrics")
    metrics = json.loads(raw)
    assert set(metrics["requests_by_endpoint"]) <= {"/tools/{name}", "/grade", "/health", "/metrics", "(other)"}
    assert metrics["requests_by_endpoint"]["(other)"] >= 150
    assert metrics["errors_by_kind"]["unauthorized"] >= 153


def test_prometheus_metrics_are_text_with_bounded_labels(server: ToolServer) -> None:
    _still_serving(server)
    status, raw = Trainer(server.url, TOKEN).get("/metrics", {"Accept": "text/plain;version=0.0.4"})
    text = raw.decode()
    assert status == 200 and "# TYPE rft_tools_requests_total counter" in text
    assert 'rft_tools_requests_total{route="/tools/{name}",status="200"}' in text
    assert 'rft_tools_request_duration_seconds_bucket{route="/tools/{name}",le="+Inf"}' in text
    routes = {line.split('route="')[1].split('"')[0] for line in text.splitlines() if 'route="' in line}
    assert routes <= {"/tools/{name}", "/grade", "/health", "/metrics", "(other)"}


def test_an_oversized_body_is_refused_without_reading_it(server: ToolServer) -> None:
    head = b"POST /tools/add HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Content-Length: 100000000\r\n\r\n{"
    reply = _raw(server, head)
    assert reply.startswith(b"HTTP/1.1 413") and b"over the 65536-byte limit" in reply
    _still_serving(server)


def _chunked(body: bytes, size: int = 1000) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"


def test_a_chunked_body_is_read_and_counted(server: ToolServer) -> None:
    head = (
        b"POST /tools/add HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    reply = _raw(server, head + _chunked(json.dumps(_call("chunked")).encode()))
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["output"] == "1"
    big = json.dumps(_call("chunked-big", item={**ROW, "pad": "x" * 100_000})).encode()
    reply = _raw(server, head + _chunked(big, 8192))
    assert reply.startswith(b"HTTP/1.1 413"), reply[:300]
    _still_serving(server)


def test_chunked_with_content_length_is_refused_and_nothing_is_smuggled(server: ToolServer) -> None:
    smuggled = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n"
    chunk = json.dumps(_call("smuggle")).encode()
    body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n0\r\n\r\n" + smuggled
    head = (
        b"POST /tools/add HTTP/1.1\r\nHost: x\r\n" + AUTH + b"Transfer-Encoding: chunked\r\n"
        b"Content-Length: " + str(len(chunk) + 6).encode() + b"\r\n\r\n"
    )
    reply = _raw(server, head + body)
    assert reply[:12] in (b"HTTP/1.1 400", b"HTTP/1.1 411"), reply[:200]
    assert reply.count(b"HTTP/1.1 ") == 1, "a second request was read out of the first one's body"


@pytest.mark.parametrize("length", [b"+27", b" 27, 27", b"2_7", b"0x1b", b"-1"])
def test_a_malformed_content_length_is_refused(server: ToolServer, length: bytes) -> None:
    head = b"POST /tools/add HTTP/1.1\r\nHost: x\r\n" + AUTH
    reply = _raw(server, head + b"Content-Length: " + length + b"\r\n\r\n" + json.dumps(_call()).encode())
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


def test_a_post_without_a_length_is_411(server: ToolServer) -> None:
    reply = _raw(server, b"POST /tools/add HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
    assert reply.startswith(b"HTTP/1.1 411"), reply[:200]


def test_slow_clients_are_cut_off_and_others_are_served(server: ToolServer) -> None:
    address = _address(server)
    stalled_body = socket.create_connection(address, timeout=5)
    stalled_body.sendall(b"POST /tools/add HTTP/1.1\r\nHost: x\r\n" + AUTH + b'Content-Length: 500\r\n\r\n{"type"')
    stalled_headers = socket.create_connection(address, timeout=5)
    stalled_headers.sendall(b"POST /tools/add HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
    silent = socket.create_connection(address, timeout=10)  # connects and never sends a byte
    started = time.perf_counter()
    for _ in range(5):
        _still_serving(server)
    assert time.perf_counter() - started < 2.5
    assert stalled_body.recv(65536).startswith(b"HTTP/1.1 408")
    assert stalled_headers.recv(65536) == b""
    assert silent.recv(65536) == b""  # closed after the keep-alive time
    for sock in (stalled_body, stalled_headers, silent):
        sock.close()
    _still_serving(server)


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_trickling_client_is_cut_at_the_request_deadline(server: ToolServer, phase: str) -> None:
    body = json.dumps(_call("trickle")).encode()
    head = b"POST /tools/add HTTP/1.1\r\nHost: x\r\n" + AUTH + f"Content-Length: {len(body)}\r\n\r\n".encode()
    prefix, trickled = (b"", head + body) if phase == "headers" else (head, body)
    start = time.monotonic()
    cut = False
    with socket.create_connection(_address(server), timeout=10) as sock:
        sock.sendall(prefix)
        try:
            for byte in trickled:  # a byte every 0.2 s: each silence is short, the request never ends in time
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
                if time.monotonic() - start > 15:
                    break
        except (BrokenPipeError, ConnectionResetError):
            cut = True
        if not cut:
            sock.settimeout(2.0)
            try:
                reply = sock.recv(65536)
                cut = reply == b"" or reply.startswith(b"HTTP/1.1 408")
            except ConnectionResetError:
                cut = True
    took = time.monotonic() - start
    assert cut and took < 8.0, f"a trickling client held its connection {took:.1f} s against a 2 s deadline"
    _still_serving(server)


def test_keep_alive_serves_many_requests_on_one_connection(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    for n in range(50):
        status, body = t.post("/tools/add", _call("keepalive", call_id=f"k{n}"))
        assert (status, body["output"]) == (200, str(n + 1))
