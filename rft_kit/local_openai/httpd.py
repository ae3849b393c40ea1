"""The HTTP layer: parses requests, applies auth and faults, dispatches to :mod:`.routes`, writes JSON."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import ApiError, error_body
from .multipart import parse_form
from .routes import Request, match_route
from .state import ServerState

__all__ = ["ApiHTTPServer"]


class ApiHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server (one thread per connection) carrying the shared :class:`ServerState`."""

    daemon_threads = True  # a stuck client must not keep the process (or a test run) alive
    # the default backlog of 5 refuses connections when a client opens dozens at once (a judge at concurrency 64)
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], state: ServerState) -> None:
        self.state = state
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps the SDK's pooled connections open between requests.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for a delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True
    server: ApiHTTPServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.state.config.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        state.stats.record_request(method, path)
        try:
            body = self._read_body()
            found = match_route(method, path)
            if found is None:
                raise ApiError(404, f"Invalid URL ({method} {path})")
            handler, params = found
            self._check_auth()
            state.faults.before_request()
            headers = {k.lower(): v for k, v in self.headers.items()}
            query = dict(parse_qsl(url.query))
            response = handler(state, Request(method, path, body, params, headers, query))
            self._send(response.status, response.payload, response.headers)
        except ApiError as exc:
            extra = state.faults.retry_headers() if exc.code == "injected_fault" else {}
            if exc.code == "injected_fault":
                state.stats.record_fault()
            self._send(exc.status, exc.body(), extra)
        except Exception as exc:  # a bug in a route must become a 500 for the client, not a dropped connection
            traceback.print_exc()
            self._send(500, error_body(f"internal error in the local server: {exc!r}", type="server_error"), {})

    def _read_body(self) -> Mapping[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.state.config.max_body_bytes:
            self.close_connection = True  # the unread body would corrupt the next request on this connection
            raise ApiError(413, f"request body of {length} bytes exceeds the limit")
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type") or ""
        if content_type.startswith("multipart/form-data"):
            # File uploads (POST /v1/files); the form fields become the body.
            return parse_form(content_type, raw)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"We could not parse the JSON body of your request: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    def _check_auth(self) -> None:
        key = self.server.state.config.api_key
        if key is not None and self.headers.get("Authorization") != f"Bearer {key}":
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")

    def _send(self, status: int, payload: Any, headers: Mapping[str, str]) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
