"""Graceful shutdown of the shared HTTP stack: a request sent on an idle keep-alive connection just as the server
begins to stop is answered, not reset; a connection that stays idle is closed after the grace; a request in hand
finishes."""

from __future__ import annotations

import asyncio
import http.client
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rft_kit.serving import BackgroundServer, ServerMetrics, ServeSettings, json_response, make_app


async def _echo(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params.get("sleep", "0")))
    return json_response({"ok": True})


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    settings = ServeSettings()
    metrics = ServerMetrics(["/echo"], timed=["/echo"], prefix="test")
    app = make_app([Route("/echo", _echo)], settings=settings, metrics=metrics, route_label=lambda path: path)
    background = BackgroundServer(app, settings).start()
    try:
        yield background
    finally:
        background.stop()


def _port(server: BackgroundServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _begin_stopping(server: BackgroundServer) -> threading.Thread:
    """Ask the server to stop (as SIGTERM does) and return once it no longer accepts connections."""
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", _port(server)), timeout=1).close()
        except OSError:
            return stopper  # the listening socket is closed: the connections have been told to shut down
        assert time.monotonic() < deadline, "the server did not begin to stop"
        time.sleep(0.005)


def _get(conn: http.client.HTTPConnection, path: str) -> http.client.HTTPResponse:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response


def test_a_request_sent_on_an_idle_connection_as_the_server_stops_is_answered(server: BackgroundServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    assert _get(conn, "/echo").status == 200  # the connection is now idle, kept alive
    stopper = _begin_stopping(server)
    response = _get(conn, "/echo")  # uvicorn alone closed this connection at once: the request was reset
    assert response.status == 200
    assert response.getheader("connection") == "close"
    stopper.join(30)
    assert not stopper.is_alive()


def test_an_idle_connection_is_closed_after_the_grace(server: BackgroundServer) -> None:
    sock = socket.create_connection(("127.0.0.1", _port(server)), timeout=10)
    sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
    reply = b""
    while not reply.endswith(b'{"ok":true}'):  # the head and the body come in two writes
        reply += sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 200")
    started = time.monotonic()
    stopper = _begin_stopping(server)
    assert sock.recv(65536) == b""  # closed (FIN, not a reset) without another request
    assert time.monotonic() - started < 5
    stopper.join(30)
    assert not stopper.is_alive()


def test_a_request_in_hand_finishes(server: BackgroundServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", _port(server), timeout=10)
    conn.request("GET", "/echo?sleep=1.5")
    time.sleep(0.3)
    stopper = _begin_stopping(server)
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b'{"ok":true}')
    stopper.join(30)
