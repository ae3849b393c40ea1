"""Request counts, errors and latencies of a server, as JSON (``GET /metrics``) and in Prometheus' text format.

Every label set is bounded: routes are the server's own (a path it does not serve counts as ``(other)``), statuses
are HTTP codes, error kinds are the server's own words, and extra counters are named by the server's code. A
client cannot grow the metrics by inventing paths or names.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

__all__ = ["LATENCY_BUCKETS_S", "OTHER", "ServerMetrics", "percentile"]

OTHER: Final = "(other)"
LATENCY_WINDOW: Final = 20_000
LATENCY_BUCKETS_S: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_KIND_CAP: Final = 256  # error kinds beyond this many distinct ones count as (other): a grader's kinds are few


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) by the nearest-rank method; ``None`` for no values."""
    if not sorted_values:
        return None
    rank = max(0, min(len(sorted_values) - 1, round(q * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class ServerMetrics:
    """Thread-safe metrics of one server.

    Args:
        routes: the route labels (``/score``, ``/tools/{name}``, ...); anything else is recorded as ``(other)``.
        timed: routes whose latencies feed the JSON percentiles (the work routes, not ``/health``).
        prefix: the Prometheus metric name prefix (``rft_reward``, ``rft_tools``).
    """

    def __init__(self, routes: Iterable[str], *, timed: Iterable[str], prefix: str) -> None:
        self._lock = threading.Lock()
        self.routes = frozenset(routes)
        self.timed = frozenset(timed)
        self.prefix = prefix
        self.started = time.monotonic()
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.by_route_status: Counter[tuple[str, int]] = Counter()
        self.errors: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()
        self._buckets: dict[str, list[int]] = {}
        self._sums: dict[str, float] = {}
        self._latencies: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._gauges: dict[str, Callable[[], float]] = {}

    def label(self, route: str) -> str:
        """``route`` if it is one of the server's, else ``(other)``."""
        return route if route in self.routes else OTHER

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        """Report ``read()`` as gauge ``name`` at each scrape."""
        self._gauges[name] = read

    def record(self, route: str, status: int, latency_s: float, *, error: str | None = None) -> None:
        label = self.label(route)
        status = status if 100 <= status <= 599 else 0
        with self._lock:
            self.requests[label] += 1
            self.statuses[status] += 1
            self.by_route_status[(label, status)] += 1
            if error is not None:
                self._error(error)
            buckets = self._buckets.setdefault(label, [0] * (len(LATENCY_BUCKETS_S) + 1))
            buckets[bisect.bisect_left(LATENCY_BUCKETS_S, latency_s)] += 1
            self._sums[label] = self._sums.get(label, 0.0) + latency_s
            if label in self.timed:
                self._latencies.append(latency_s * 1000.0)

    def _error(self, kind: str) -> None:
        if kind not in self.errors and len(self.errors) >= _KIND_CAP:
            kind = OTHER
        self.errors[kind] += 1

    def count(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the server's own counter ``name``."""
        with self._lock:
            self.counters[name] += n

    def count_errors(self, kinds: Iterable[str]) -> None:
        with self._lock:
            for kind in kinds:
                self._error(kind)

    def snapshot(self, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The JSON view (``GET /metrics`` without a Prometheus ``Accept``)."""
        with self._lock:
            latencies = sorted(self._latencies)
            return {
                "uptime_s": round(time.monotonic() - self.started, 3),
                "requests": sum(self.requests.values()),
                "requests_by_endpoint": dict(self.requests),
                "responses_by_status": {str(k): v for k, v in sorted(self.statuses.items())},
                **dict(self.counters),
                "errors_by_kind": dict(self.errors),
                "latency_ms": {
                    "window": len(latencies),
                    "p50": percentile(latencies, 0.50),
                    "p90": percentile(latencies, 0.90),
                    "p99": percentile(latencies, 0.99),
                    "max": latencies[-1] if latencies else None,
                },
                **{name: read() for name, read in self._gauges.items()},
                **(extra or {}),
            }

    def prometheus(self) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        p = self.prefix
        lines: list[str] = []
        with self._lock:
            lines += [
                f"# HELP {p}_requests_total HTTP requests by route and status.",
                f"# TYPE {p}_requests_total counter",
            ]
            for (route, status), n in sorted(self.by_route_status.items()):
                lines.append(f'{p}_requests_total{{route="{_escape(route)}",status="{status}"}} {n}')
            lines += [f"# HELP {p}_errors_total Errors by kind.", f"# TYPE {p}_errors_total counter"]
            for kind, n in sorted(self.errors.items()):
                lines.append(f'{p}_errors_total{{kind="{_escape(kind)}"}} {n}')
            for name, n in sorted(self.counters.items()):
                lines += [f"# TYPE {p}_{name}_total counter", f"{p}_{name}_total {n}"]
            lines += [
                f"# HELP {p}_request_duration_seconds Time from the request to the answer.",
                f"# TYPE {p}_request_duration_seconds histogram",
            ]
            for route, buckets in sorted(self._buckets.items()):
                cumulative = 0
                r = _escape(route)
                for bound, n in zip([*map(str, LATENCY_BUCKETS_S), "+Inf"], buckets, strict=True):
                    cumulative += n
                    lines.append(f'{p}_request_duration_seconds_bucket{{route="{r}",le="{bound}"}} {cumulative}')
                lines.append(f'{p}_request_duration_seconds_sum{{route="{r}"}} {self._sums[route]:.6f}')
                lines.append(f'{p}_request_duration_seconds_count{{route="{r}"}} {cumulative}')
            gauges = dict(self._gauges)
        lines += [f"# TYPE {p}_uptime_seconds gauge", f"{p}_uptime_seconds {time.monotonic() - self.started:.3f}"]
        for name, read in sorted(gauges.items()):
            lines += [f"# TYPE {p}_{name} gauge", f"{p}_{name} {float(read())}"]
        return "\n".join(lines) + "\n"
