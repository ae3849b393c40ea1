"""Counters and latency percentiles of a reward server (``GET /metrics``)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

__all__ = ["RewardMetrics", "percentile"]

LATENCY_WINDOW = 20_000


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) by the nearest-rank method; ``None`` for no values."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


class RewardMetrics:
    """Thread-safe request counts, errors by kind, and latencies of the last :data:`LATENCY_WINDOW` requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.pairs_graded = 0
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)

    def record(self, endpoint: str, status: int, latency_s: float, *, error: str | None = None) -> None:
        with self._lock:
            self.requests[endpoint] += 1
            self.statuses[status] += 1
            if error is not None:
                self.errors[error] += 1
            if endpoint in ("/score", "/score_batch"):
                self._latencies.append(latency_s * 1000.0)

    def record_grades(self, payloads: list[dict[str, Any]]) -> None:
        with self._lock:
            self.pairs_graded += len(payloads)
            for payload in payloads:
                if payload["error"] is not None:
                    self.errors[f"grade:{payload['error']['kind']}"] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            latencies = sorted(self._latencies)
            return {
                "uptime_s": round(time.monotonic() - self.started, 3),
                "requests": sum(self.requests.values()),
                "requests_by_endpoint": dict(self.requests),
                "responses_by_status": {str(k): v for k, v in sorted(self.statuses.items())},
                "pairs_graded": self.pairs_graded,
                "errors_by_kind": dict(self.errors),
                "latency_ms": {
                    "window": len(latencies),
                    "p50": percentile(latencies, 0.50),
                    "p90": percentile(latencies, 0.90),
                    "p99": percentile(latencies, 0.99),
                    "max": latencies[-1] if latencies else None,
                },
            }
