"""The reward server's HTTP layer (standard library ``ThreadingHTTPServer``, one thread per connection).

Every failure a client can cause ends in a 4xx with a JSON ``{"error": ...}`` body, never a dropped server: bad JSON
or types (400), no ``Content-Length`` (411), an oversized body (413, read no further), a missing or wrong token (401),
an unknown path (404) or method (405). A client that stalls mid-request is cut off after ``read_timeout_s`` and only
ever held its own thread. A grading batch that takes longer than ``grade_timeout_s`` answers 504.
"""

from __future__ import annotations

import concurrent.futures as cf
import hmac
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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
        grade_timeout_s: a request whose grading takes longer answers 504.
        log_requests: log each request to stderr.
    """

    token: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    max_batch_pairs: int = 4096
    read_timeout_s: float = 10.0
    grade_timeout_s: float = 300.0
    log_requests: bool = False


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

    def setup(self) -> None:
        # The socket timeout bounds every read, so a stalled client frees its thread after read_timeout_s.
        self.request.settimeout(self.server.settings.read_timeout_s)
        super().setup()

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
        try:
            payload = self._route(method, path)
        except BadRequest as exc:
            status, error, payload = exc.status, exc.kind, {"error": {"message": exc.message, "kind": exc.kind}}
            if exc.status in (408, 411, 413):
                self.close_connection = True  # the unread body would be taken for the next request
        except TimeoutError:
            status, error = 408, "read_timeout"
            payload = {"error": {"message": "the request body did not arrive in time", "kind": error}}
            self.close_connection = True
        except Exception as exc:  # a bug here must answer 500, not drop the connection silently
            status, error = 500, "internal"
            payload = {"error": {"message": f"internal error: {type(exc).__name__}: {exc}", "kind": error}}
        try:
            data = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
        except ValueError:  # a NaN or infinite reward must not reach a client as invalid JSON
            status, error = 500, "non_finite"
            data = b'{"error":{"message":"the grader returned a non-finite value","kind":"non_finite"}}'
        self.server.metrics.record(path, status, time.perf_counter() - start, error=error)
        try:
            self._send(status, data)
        except OSError:  # the client went away; nothing left to tell it
            self.close_connection = True

    def _route(self, method: str, path: str) -> Any:
        routes = {"/score": "POST", "/score_batch": "POST", "/health": "GET", "/metrics": "GET"}
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
        self._check_auth()
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
        raw_length = self.headers.get("Content-Length")
        if raw_length is None:
            raise BadRequest(411, "Content-Length is required", "no_length")
        try:
            length = int(raw_length)
        except ValueError:
            raise BadRequest(400, f"bad Content-Length {raw_length!r}", "bad_request") from None
        limit = self.server.settings.max_body_bytes
        if length > limit:
            raise BadRequest(413, f"request body of {length} bytes is over the {limit}-byte limit", "too_large")
        if length < 0:
            raise BadRequest(400, "negative Content-Length", "bad_request")
        try:
            raw = self.rfile.read(length)
        except TimeoutError:  # socket.timeout is an alias of TimeoutError
            raise TimeoutError from None
        if len(raw) < length:
            raise BadRequest(400, "the connection closed before the whole body arrived", "short_body")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadRequest(400, f"the body is not valid JSON: {exc}", "bad_json") from None

    def _grade(self, samples: list[Any], items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        future = self.server.scorer.submit(samples, items)
        try:
            payloads = future.result(timeout=self.server.settings.grade_timeout_s)
        except cf.TimeoutError:
            raise BadRequest(504, "grading did not finish in time", "grade_timeout") from None
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
