"""The TCP front end of :class:`~rft_kit.local_openai.app.LocalApp`: reads an HTTP request, lets the app answer it.

Everything an API request means (routes, auth, faults, errors) is the app's; this module only moves bytes between
a socket and :meth:`LocalApp.handle <rft_kit.local_openai.app.LocalApp.handle>`.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..io.request_log import RequestLog
from .app import LocalApp, RawResponse
from .errors import ApiError

__all__ = ["ApiHTTPServer"]


class ApiHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server (one thread per connection) in front of one :class:`LocalApp`."""

    daemon_threads = True  # a stuck client must not keep the process (or a test run) alive
    # the default backlog of 5 refuses connections when a client opens dozens at once (a judge at concurrency 64)
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: LocalApp) -> None:
        self.app = app
        # from a thread of its own: with stderr on a pipe nobody reads, every handler thread would block in write
        self.request_log = RequestLog() if app.state.config.log_requests else None
        super().__init__(address, _Handler)

    def server_close(self) -> None:
        super().server_close()
        if self.request_log is not None:
            self.request_log.close()


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps the SDK's pooled connections open between requests.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: ApiHTTPServer

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        log = self.server.request_log
        if log is not None:
            log.write(f"{self.address_string()} - {format % args}")

    def _dispatch(self, method: str) -> None:
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        if length > app.state.config.max_body_bytes:
            # Refused before reading: the unread body would corrupt the next request on this connection.
            self.close_connection = True
            app.state.stats.record_request(method, self.path.split("?")[0].rstrip("/") or "/")
            error = ApiError(413, f"request body of {length} bytes exceeds the limit")
            self._send(RawResponse(413, {"Content-Type": "application/json"}, _json(error.body())))
            return
        raw = self.rfile.read(length) if length else b""
        self._send(app.handle(method, self.path, dict(self.headers.items()), raw))

    def _send(self, response: RawResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)


def _json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
