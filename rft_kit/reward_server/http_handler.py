"""The reward server's HTTP layer (standard library ``ThreadingHTTPServer``, one thread per connection).

Every failure a client can cause ends in a 4xx with a JSON ``{"error": ...}`` body, never a dropped server: bad JSON
or types, a body nested deeper than ``max_json_depth`` or an integer too long to read (400), no ``Content-Length`` or
any ``Transfer-Encoding`` (411), a malformed or repeated ``Content-Length`` (400), an oversized body (413, read no
further), a missing or wrong token (401, checked before routing: only ``/health`` is open), an unknown path (404) or
method (405). A client that stalls mid-request is cut off after ``read_timeout_s``, and one that trickles its request
after ``request_timeout_s`` in all; either only ever held its own thread. A grading batch that takes longer than
``grade_timeout_s`` answers 504. Metrics count unknown paths under one label.
"""

from __future__ import annotations

import concurrent.futures as cf
import hmac
import io
import json
import pickle
import re
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from ..io.escape import json_text
from .metrics import RewardMetrics
from .request_bodies import BadRequest, parse_batch, parse_single
from .scoring import Scorer

__all__ = ["RewardHTTPServer", "RewardSettings"]


@dataclass(frozen=True)
class RewardSettings:
    """Limits and auth of a reward server.

    Attributes:
        token: bearer token required on every endpoint but ``/health`` (``None``: no auth).
        max_body_bytes: larger bodies are refused with 413.
        max_batch_pairs: most pairs in one ``/score_batch``.
        read_timeout_s: a client silent this long mid-request is disconnected.
        request_timeout_s: the whole request line, headers and body must arrive within this many seconds (a
            client trickling a byte at a time is cut off, however short each silence is).
        grade_timeout_s: a request whose grading takes longer answers 504.
        max_json_depth: bodies nested deeper answer 400 (deep values cannot be handed to the grading workers).
        log_requests: log each request to stderr.
    """

    token: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch_pairs: int = 4096
    read_timeout_s: float = 10.0
    request_timeout_s: float = 30.0
    grade_timeout_s: float = 300.0
    max_json_depth: int = 64
    log_requests: bool = False


_ROUTES: Final = {"/score": "POST", "/score_batch": "POST", "/health": "GET", "/metrics": "GET"}
_DIGITS: Final = re.compile(r"[0-9]{1,18}")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def json_depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests (a scalar is 0), counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            depth += 1
            if depth > limit:
                return depth
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


class DeadlineReader(io.RawIOBase):
    """A socket's reading side where every read also respects one deadline for the whole request.

    Each ``recv`` waits at most ``min(read_timeout_s, time left)``; past the deadline a read raises
    :class:`TimeoutError` at once. ``deadline`` is ``None`` between requests (only the per-read timeout then).
    """

    def __init__(self, sock: socket.socket, read_timeout_s: float) -> None:
        self._sock = sock
        self._read_timeout_s = read_timeout_s
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        timeout = self._read_timeout_s
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive within the request deadline")
            timeout = min(timeout, left)
        self._sock.settimeout(timeout)
        return self._sock.recv_into(buffer)


class RewardHTTPServer(ThreadingHTTPServer):
    """Carries the scorer, metrics and settings for the handler threads."""

    daemon_threads = True  # a stalled client must not keep the process alive at shutdown
    request_queue_size = 512  # bursts of new connections from a trainer queue instead of being refused

    def __init__(
        self, address: tuple[str, int], scorer: Scorer, settings: RewardSettings, metrics: RewardMetrics
    ) -> None:
        self.scorer = scorer
        self.settings = settings
        self.metrics = metrics
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: trainers reuse connections
    # headers and body go out in two writes; Nagle would hold the body for the client's delayed ACK
    # (benchmarks/bench_reward_server.py shows the latency)
    disable_nagle_algorithm = True
    server: RewardHTTPServer
    _reader: DeadlineReader
    _body_read = False

    def setup(self) -> None:
        # The socket timeout bounds every read, so a stalled client frees its thread after read_timeout_s; the
        # deadline reader bounds the whole request (see handle_one_request).
        self.request.settimeout(self.server.settings.read_timeout_s)
        super().setup()
        self._reader = DeadlineReader(self.request, self.server.settings.read_timeout_s)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        # From the first byte of the request line to the last byte of the body: request_timeout_s in all.
        self._reader.deadline = time.monotonic() + self.server.settings.request_timeout_s
        try:
            super().handle_one_request()
        finally:
            self._reader.deadline = None

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.settings.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        start = time.perf_counter()
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        status, error = 200, None
        self._body_read = False
        try:
            # auth before routing: an unauthenticated client learns nothing, and costs nothing, per path
            if path != "/health":
                self._check_auth()
            payload = self._route(method, path)
        except BadRequest as exc:
            status, error, payload = exc.status, exc.kind, {"error": {"message": exc.message, "kind": exc.kind}}
            if not self._body_read and (self.headers.get("Content-Length") or self.headers.get("Transfer-Encoding")):
                self.close_connection = True  # the unread body would be taken for the next request
        except TimeoutError:
            status, error = 408, "read_timeout"
            payload = {"error": {"message": "the request body did not arrive in time", "kind": error}}
            self.close_connection = True
        except Exception as exc:  # a bug here must answer 500, not drop the connection silently
            status, error = 500, "internal"
            payload = {"error": {"message": f"internal error: {type(exc).__name__}: {exc}", "kind": error}}
        try:
            text = json.dumps(payload, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
            if _SURROGATE.search(text) is not None:
                # a sample's unpaired surrogate quoted in an error: sent as its escape text, which every client's
                # JSON parser accepts (a lone "\ud800" escape is refused by strict ones)
                text = json_text(payload, separators=(",", ":"))
            data = text.encode("utf-8")
        except ValueError:  # a NaN or infinite reward must not reach a client as invalid JSON
            status, error = 500, "non_finite"
            data = b'{"error":{"message":"the grader returned a non-finite value","kind":"non_finite"}}'
        # one label per route, one for everything else: a client cannot grow the metrics with made-up paths
        label = path if path in _ROUTES else "(other)"
        self.server.metrics.record(label, status, time.perf_counter() - start, error=error)
        try:
            self._send(status, data)
        except OSError:  # the client went away; nothing left to tell it
            self.close_connection = True

    def _route(self, method: str, path: str) -> Any:
        routes = _ROUTES
        if path not in routes:
            raise BadRequest(
                404, f"no route {path}; try POST /score, POST /score_batch, GET /health, GET /metrics", "not_found"
            )
        if method != routes[path]:
            raise BadRequest(405, f"{path} takes {routes[path]}, not {method}", "bad_method")
        if path == "/health":
            return {
                "status": "ok",
                "grader": {"name": self.server.scorer.grader.name, "type": self.server.scorer.grader.type},
            }
        if path == "/metrics":
            return {**self.server.metrics.snapshot(), "workers": self.server.scorer.workers}
        body = self._read_json()
        if path == "/score":
            samples, items = parse_single(body)
            return self._grade(samples, items)[0]
        samples, items = parse_batch(body, self.server.settings.max_batch_pairs)
        return {"results": self._grade(samples, items) if samples else []}

    def _check_auth(self) -> None:
        token = self.server.settings.token
        if token is None:
            return
        given = self.headers.get("Authorization") or ""
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise BadRequest(401, "missing or wrong bearer token (Authorization: Bearer <token>)", "unauthorized")

    def _read_json(self) -> Any:
        if self.headers.get_all("Transfer-Encoding"):
            # A chunked body framed by Content-Length too is the classic request-smuggling shape; rather than
            # pick one framing, refuse both (the body stays unread, so the connection is closed).
            raise BadRequest(
                411, "Transfer-Encoding is not accepted; send the body with a Content-Length", "transfer_encoding"
            )
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            raise BadRequest(411, "Content-Length is required", "no_length")
        raw_length = lengths[0].strip()
        if len(lengths) > 1 or not _DIGITS.fullmatch(raw_length):
            # int() would take "+5", " 5" or "1_0"; a proxy in front may read those differently
            raise BadRequest(400, f"bad Content-Length {', '.join(lengths)!r}", "bad_length")
        length = int(raw_length)
        limit = self.server.settings.max_body_bytes
        if length > limit:
            raise BadRequest(413, f"request body of {length} bytes is over the {limit}-byte limit", "too_large")
        try:
            raw = self.rfile.read(length)
        except TimeoutError:  # socket.timeout is an alias of TimeoutError
            raise TimeoutError from None
        if len(raw) < length:
            raise BadRequest(400, "the connection closed before the whole body arrived", "short_body")
        self._body_read = True
        try:
            value = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(400, f"the body is not valid JSON: {exc}", "bad_json") from None
        except RecursionError:
            raise BadRequest(400, "the body is nested too deeply", "too_deep") from None
        except ValueError as exc:  # an integer over Python's digit limit (int_max_str_digits)
            raise BadRequest(400, f"the body holds a value that cannot be read: {exc}", "bad_json") from None
        depth_limit = self.server.settings.max_json_depth
        if json_depth(value, depth_limit) > depth_limit:
            raise BadRequest(400, f"the body is nested more than {depth_limit} levels deep", "too_deep")
        return value

    def _grade(self, samples: list[Any], items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        future = self.server.scorer.submit(samples, items)
        try:
            payloads = future.result(timeout=self.server.settings.grade_timeout_s)
        except cf.TimeoutError:
            raise BadRequest(504, "grading did not finish in time", "grade_timeout") from None
        except (RecursionError, pickle.PicklingError) as exc:  # this request's own values, graded alone
            raise BadRequest(
                400, f"the request's values cannot be graded: {type(exc).__name__}", "unsendable"
            ) from None
        self.server.metrics.record_grades(payloads)
        return payloads

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
