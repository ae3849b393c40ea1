"""uvicorn's httptools protocol with deadlines on the part of a request the application never sees: the headers.

uvicorn hands a request to the application once its headers are complete, and has no limit of its own on how long
they take to arrive: a client that opens a connection and trickles header bytes would hold it forever. This
subclass closes a connection that is silent for ``read_timeout_s`` while sending headers, takes longer than
``request_timeout_s`` in all to send them, or never starts a request within the keep-alive time. A request the
parser refuses answers a JSON 400 (uvicorn's own is plain text). From the end of the headers on, the application's
own deadlines apply (:mod:`rft_kit.serving.body`).

Graceful shutdown: uvicorn closes a keep-alive connection at once when it has no request in hand. But a request the
client sent just before the signal may be in the socket's buffer, not yet read, or still on the wire: closed
under it, the connection is reset and the request is lost although it was sent before the server began to stop. So
an idle connection gets ``shutdown_grace_s`` (1 s) to deliver one: a request that starts in that time is answered
(with ``connection: close``); a connection still idle after it is closed.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .errors import error_payload, json_bytes

__all__ = ["deadline_protocol"]


class _DeadlineProtocol(HttpToolsProtocol):
    read_timeout_s: float = 10.0
    request_timeout_s: float = 30.0
    shutdown_grace_s: float = 1.0

    _rft_closing: bool = False

    _rft_timer: asyncio.TimerHandle | None = None
    _rft_deadline: float | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # however the listening socket was made: a response is two writes, Nagle would hold the second
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._rft_arm(float(self.timeout_keep_alive))  # a connection that never sends a byte

    def data_received(self, data: bytes) -> None:
        now = self.loop.time()
        if self._rft_deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._rft_deadline = now + self.request_timeout_s  # these bytes start a new request
        if self._rft_deadline is not None:
            self._rft_arm(min(self.read_timeout_s, self._rft_deadline - now))
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._rft_deadline = None
        self._rft_cancel()
        super().on_headers_complete()
        if self._rft_closing and self.cycle is not None:
            self.cycle.keep_alive = False  # the server is stopping: answer this one, then close

    def shutdown(self) -> None:
        """Called by the server when it begins to stop (see the module docstring)."""
        self._rft_closing = True
        if self.cycle is None or self.cycle.response_complete:
            if self._rft_deadline is None:  # (a request whose headers are arriving keeps its own deadlines)
                self._rft_arm(self.shutdown_grace_s)  # closes it then if no request has started
        else:
            self.cycle.keep_alive = False

    def connection_lost(self, exc: Exception | None) -> None:
        self._rft_cancel()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        # the parser refused the request (malformed or ambiguous framing, two Content-Lengths, a bad header):
        # answer in JSON like every other error, and close (nothing after it can be trusted to be a request)
        body = json_bytes(error_payload(f"malformed HTTP request: {msg}", "bad_http"))
        self.transport.write(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n"
            + b"content-length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        self.transport.close()

    def _rft_arm(self, delay: float) -> None:
        self._rft_cancel()
        self._rft_timer = self.loop.call_later(max(0.0, delay), self._rft_expire)

    def _rft_cancel(self) -> None:
        if self._rft_timer is not None:
            self._rft_timer.cancel()
            self._rft_timer = None

    def _rft_expire(self) -> None:
        self._rft_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.transport.is_closing():
            self.transport.close()


def deadline_protocol(read_timeout_s: float, request_timeout_s: float) -> type[asyncio.Protocol]:
    """The protocol class to give uvicorn's ``Config(http=...)``."""
    attrs: dict[str, Any] = {"read_timeout_s": read_timeout_s, "request_timeout_s": request_timeout_s}
    return type("RftHttpProtocol", (_DeadlineProtocol,), attrs)
