"""Request counters of a running server, for tests and the ``serve`` log."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["ServerStats"]


class ServerStats:
    """Thread-safe counters: requests per route, injected faults, embedded texts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._faults = 0
        self._embedded_inputs = 0

    def record_request(self, method: str, path: str) -> None:
        """Count one request (every request, including refused and failed ones)."""
        with self._lock:
            self._requests[f"{method} {path}"] += 1

    def record_fault(self) -> None:
        """Count one injected failure."""
        with self._lock:
            self._faults += 1

    def record_embedded(self, n_inputs: int) -> None:
        """Count texts embedded by a successful embeddings request."""
        with self._lock:
            self._embedded_inputs += n_inputs

    def requests(self, method: str | None = None, path: str | None = None) -> int:
        """Return how many requests arrived, optionally only for one method and/or path (``/v1/embeddings``)."""
        with self._lock:
            return sum(
                n
                for key, n in self._requests.items()
                if (method is None or key.split(" ", 1)[0] == method) and (path is None or key.split(" ", 1)[1] == path)
            )

    @property
    def faults(self) -> int:
        """Number of requests answered with an injected failure."""
        with self._lock:
            return self._faults

    @property
    def embedded_inputs(self) -> int:
        """Number of texts embedded so far."""
        with self._lock:
            return self._embedded_inputs

    def snapshot(self) -> dict[str, Any]:
        """Return all counters as a JSON-able dict."""
        with self._lock:
            return {
                "requests": dict(self._requests),
                "faults": self._faults,
                "embedded_inputs": self._embedded_inputs,
            }

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._requests.clear()
            self._faults = 0
            self._embedded_inputs = 0
