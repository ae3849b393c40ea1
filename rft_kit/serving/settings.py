"""Limits, deadlines and auth shared by every server rft-kit runs for others (``rft serve``, ``rft serve-tools``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ServeSettings"]


@dataclass(frozen=True)
class ServeSettings:
    """How a server treats its clients.

    Attributes:
        token: bearer token required on every path but the open ones (``/health``); ``None``: no auth.
        max_body_bytes: larger bodies answer 413, announced (``Content-Length``) or counted while streaming
            (chunked); the rest of such a body is never read (the connection is closed).
        read_timeout_s: a client silent this long while sending its headers or body is cut off.
        request_timeout_s: the request line, headers and body must all arrive within this many seconds (a client
            trickling a byte at a time is cut off, however short each silence is).
        handle_timeout_s: a request whose answer (grading, a tool call) takes longer answers 504.
        max_json_depth: bodies nested deeper answer 400 (deep values cannot be handed to worker processes).
        keep_alive_s: an idle keep-alive connection is closed after this long (trainers reuse connections between
            model turns, which take seconds).
        graceful_timeout_s: on SIGTERM, in-flight requests get this long to finish before they are cancelled.
        log_requests: log each request to stderr.
    """

    token: str | None = None
    max_body_bytes: int = 8 * 1024 * 1024
    read_timeout_s: float = 10.0
    request_timeout_s: float = 30.0
    handle_timeout_s: float = 300.0
    max_json_depth: int = 64
    keep_alive_s: float = 30.0
    graceful_timeout_s: float = 60.0
    log_requests: bool = False

    def __post_init__(self) -> None:
        for name in ("read_timeout_s", "request_timeout_s", "handle_timeout_s", "keep_alive_s", "graceful_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be >= 1, got {self.max_body_bytes}")
        if self.max_json_depth < 1:
            raise ValueError(f"max_json_depth must be >= 1, got {self.max_json_depth}")
        if self.token is not None and not self.token:
            raise ValueError("token must not be empty (give None for no auth)")
