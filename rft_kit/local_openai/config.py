"""Settings of a local server, including the faults it injects for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["FailFirst", "ServerConfig"]

FailFirst = int | Literal["all"]
"""How many requests fail with an injected error: a count from server start, or ``"all"``."""


@dataclass(frozen=True)
class ServerConfig:
    """Settings of a :class:`~rft_kit.local_openai.LocalServer`.

    Attributes:
        latency_s: seconds to sleep before answering each API request (simulates a slow endpoint).
        fail_first: answer the first N API requests (or ``"all"``) with ``fail_status`` instead of a result.
            Requests are counted across every route, in arrival order.
        fail_status: HTTP status of an injected failure (500, 503, 429, ...).
        retry_after_ms: ``retry-after-ms`` header sent with injected failures, so that the openai SDK's retries
            wait this long instead of its 0.5 s+ exponential backoff; ``None`` sends no header.
        default_embedding_model: the local model that OpenAI model ids (``text-embedding-3-large``) stand for;
            ``None`` picks the best installed one.
        api_key: when set, requests must carry ``Authorization: Bearer <api_key>`` (else 401).
        log_requests: print one line per request to stderr.
        max_body_bytes: larger request bodies are refused with 413.
    """

    latency_s: float = 0.0
    fail_first: FailFirst = 0
    fail_status: int = 500
    retry_after_ms: int | None = 1
    default_embedding_model: str | None = None
    api_key: str | None = None
    log_requests: bool = False
    max_body_bytes: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.latency_s < 0:
            raise ValueError(f"latency_s must be >= 0, got {self.latency_s}")
        if self.fail_first != "all" and (not isinstance(self.fail_first, int) or self.fail_first < 0):
            raise ValueError(f"fail_first must be a count >= 0 or 'all', got {self.fail_first!r}")
        if not 400 <= self.fail_status <= 599:
            raise ValueError(f"fail_status must be an HTTP error status (400-599), got {self.fail_status}")
        if self.retry_after_ms is not None and self.retry_after_ms < 0:
            raise ValueError(f"retry_after_ms must be >= 0 or None, got {self.retry_after_ms}")
