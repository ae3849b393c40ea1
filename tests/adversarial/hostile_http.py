"""A real, misbehaving OpenAI-compatible endpoint for the tests: trickles, bombs, floods or answers odd text."""

from __future__ import annotations

import functools
import json
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(content: str) -> dict[str, Any]:
    """A chat completion whose message is ``content``."""
    return {
        "id": "chatcmpl-hostile",
        "object": "chat.completion",
        "created": 0,
        "model": "hostile",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@dataclass
class Behaviour:
    """What the endpoint does: ``mode`` is reply, trickle_body, trickle_headers, gzip_bomb or oversized."""

    mode: str = "reply"
    content: str = '{"result": 1.0}'
    trickle_interval_s: float = 0.5
    trickle_total_s: float = 20.0
    bomb_bytes: int = 64 * 1024 * 1024
    requests: int = 0
    served_s: list[float] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        behaviour = self.server.behaviour
        behaviour.requests += 1
        start = time.monotonic()
        try:
            self._answer(behaviour)
        except OSError:
            pass  # the client cut us off, as it should
        finally:
            behaviour.served_s.append(time.monotonic() - start)
            self.close_connection = True

    def do_GET(self) -> None:
        self.do_POST()

    def _answer(self, b: Behaviour) -> None:
        body = json.dumps(completion(b.content)).encode()  # ensure_ascii: a surrogate travels as \\ud800
        if b.mode == "reply":
            self._plain(body)
        elif b.mode == "trickle_body":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 100_000))
            self.end_headers()
            self._trickle(b, b" ")
        elif b.mode == "trickle_headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self.wfile.flush()
            self._trickle(b, b"X-Slow: 1\r\n")
        elif b.mode == "gzip_bomb":
            # a valid JSON document padded with whitespace: small on the wire, huge once inflated
            packed = _gzip_padded(body, b.bomb_bytes)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(packed)))
            self.end_headers()
            self.wfile.write(packed)
        elif b.mode == "oversized":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")  # no length announced up front
            self.end_headers()
            pad = b" " * (1 << 16)
            for piece in [body[:-1], *([pad] * (b.bomb_bytes // len(pad))), b"}"]:
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            raise ValueError(b.mode)

    def _plain(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, b: Behaviour, unit: bytes) -> None:
        deadline = time.monotonic() + b.trickle_total_s
        while time.monotonic() < deadline:
            self.wfile.write(unit)
            self.wfile.flush()
            time.sleep(b.trickle_interval_s)


@functools.lru_cache(maxsize=4)
def _gzip_padded(body: bytes, pad_bytes: int) -> bytes:
    """``body`` with ``pad_bytes`` of whitespace before its last brace, gzipped without building it whole."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(body[:-1])]
    pad = b" " * (1 << 20)
    for _ in range(pad_bytes // len(pad)):
        parts.append(packer.compress(pad))
    parts.append(packer.compress(b"}"))
    parts.append(packer.flush())
    return b"".join(parts)


def prepare(behaviour: Behaviour) -> None:
    """Build a bomb before a test measures memory (the server runs in the test's process)."""
    if behaviour.mode == "gzip_bomb":
        _gzip_padded(json.dumps(completion(behaviour.content)).encode(), behaviour.bomb_bytes)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        super().__init__(("127.0.0.1", 0), _Handler)


@contextmanager
def hostile_endpoint(behaviour: Behaviour) -> Iterator[str]:
    """Serve ``behaviour`` on 127.0.0.1; yields the base URL (``http://127.0.0.1:PORT/v1``)."""
    server = _Server(behaviour)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
