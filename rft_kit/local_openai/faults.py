"""Injected latency and failures, so that retries and error paths can be tested through the real SDK."""

from __future__ import annotations

import threading
import time

from .config import FailFirst, ServerConfig
from .errors import ApiError

__all__ = ["FaultInjector"]


class FaultInjector:
    """Applies a server's fault settings to each API request; reconfigurable while the server runs.

    Args:
        config: the initial ``latency_s``, ``fail_first``, ``fail_status`` and ``retry_after_ms``.
    """

    def __init__(self, config: ServerConfig) -> None:
        self._lock = threading.Lock()
        self.configure(
            latency_s=config.latency_s,
            fail_first=config.fail_first,
            fail_status=config.fail_status,
            retry_after_ms=config.retry_after_ms,
        )

    def configure(
        self,
        *,
        latency_s: float = 0.0,
        fail_first: FailFirst = 0,
        fail_status: int = 500,
        retry_after_ms: int | None = 1,
    ) -> None:
        """Replace the fault settings and restart the request count (see :class:`ServerConfig` for meanings).

        Raises:
            ValueError: for a setting :class:`ServerConfig` would refuse.
        """
        checked = ServerConfig(
            latency_s=latency_s, fail_first=fail_first, fail_status=fail_status, retry_after_ms=retry_after_ms
        )
        with self._lock:
            self._config = checked
            self._seen = 0

    def before_request(self) -> None:
        """Sleep for the configured latency, then raise the injected failure if this request is one to fail.

        Raises:
            ApiError: with ``fail_status``, for the first ``fail_first`` requests.
        """
        with self._lock:
            config = self._config
            self._seen += 1
            fail = config.fail_first == "all" or self._seen <= config.fail_first
            seen = self._seen
        if config.latency_s:
            time.sleep(config.latency_s)
        if fail:
            limit = "every request" if config.fail_first == "all" else f"the first {config.fail_first} requests"
            raise ApiError(
                config.fail_status,
                f"injected failure (request {seen}; this local test server fails {limit} "
                f"with HTTP {config.fail_status})",
                code="injected_fault",
            )

    def retry_headers(self) -> dict[str, str]:
        """Return the headers to send with an injected failure."""
        with self._lock:
            retry_after_ms = self._config.retry_after_ms
        return {} if retry_after_ms is None else {"retry-after-ms": str(retry_after_ms)}
