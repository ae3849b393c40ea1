"""Limits and auth of a reward server (``rft serve``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..serving import ServeSettings

__all__ = ["RewardSettings"]


@dataclass(frozen=True)
class RewardSettings:
    """Limits and auth of a reward server.

    Attributes:
        token: bearer token required on every endpoint but ``/health`` (``None``: no auth).
        max_body_bytes: larger bodies are refused with 413 (announced, or counted as a chunked body streams in).
        max_batch_pairs: most pairs in one ``/score_batch``.
        read_timeout_s: a client silent this long mid-request is disconnected.
        request_timeout_s: the whole request line, headers and body must arrive within this many seconds (a
            client trickling a byte at a time is cut off, however short each silence is).
        grade_timeout_s: a request whose grading takes longer answers 504.
        max_json_depth: bodies nested deeper answer 400 (deep values cannot be handed to the grading workers).
        log_requests: log each request to stderr.
    """

    # The HTTP limits default to the serving stack's, defined once there.
    token: str | None = ServeSettings.token
    max_body_bytes: int = ServeSettings.max_body_bytes
    max_batch_pairs: int = 4096
    read_timeout_s: float = ServeSettings.read_timeout_s
    request_timeout_s: float = ServeSettings.request_timeout_s
    grade_timeout_s: float = ServeSettings.handle_timeout_s
    max_json_depth: int = ServeSettings.max_json_depth
    log_requests: bool = ServeSettings.log_requests

    def serving(self) -> ServeSettings:
        """The HTTP stack's settings."""
        return ServeSettings(
            token=self.token,
            max_body_bytes=self.max_body_bytes,
            read_timeout_s=self.read_timeout_s,
            request_timeout_s=self.request_timeout_s,
            handle_timeout_s=self.grade_timeout_s,
            max_json_depth=self.max_json_depth,
            log_requests=self.log_requests,
        )
