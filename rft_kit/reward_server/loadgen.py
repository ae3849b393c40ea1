"""A small closed-loop load generator for the reward server (the load test and the benchmark share it).

``concurrency`` threads each keep one HTTP/1.1 connection open and send requests back to back until ``total``
requests were sent or ``deadline_s`` passed. Reported: requests/s, latency percentiles and responses by status.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..serving.metrics import percentile

__all__ = ["LoadResult", "run_load"]


@dataclass
class LoadResult:
    """What a load run measured."""

    requests: int = 0
    duration_s: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    transport_errors: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        return {
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "requests_per_s": round(self.rps, 1),
            "p50_ms": percentile(ordered, 0.5),
            "p99_ms": percentile(ordered, 0.99),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "transport_errors": self.transport_errors,
        }


def run_load(
    url: str,
    bodies: Sequence[Any],
    *,
    path: str = "/score",
    total: int = 2000,
    concurrency: int = 32,
    deadline_s: float = 60.0,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """POST ``bodies`` (cycled) to ``url + path`` from ``concurrency`` connections; returns the measurements."""
    parts = urlsplit(url)
    encoded = [json.dumps(b).encode() for b in bodies]
    counter = itertools.count()
    result = LoadResult()
    lock = threading.Lock()
    send_headers = {"Content-Type": "application/json", **(headers or {})}
    stop_at = time.perf_counter() + deadline_s

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
        local_lat: list[float] = []
        local_status: Counter[int] = Counter()
        errors = 0
        while time.perf_counter() < stop_at:
            n = next(counter)
            if n >= total:
                break
            body = encoded[n % len(encoded)]
            start = time.perf_counter()
            try:
                conn.request("POST", path, body, send_headers)
                response = conn.getresponse()
                response.read()
                local_status[response.status] += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
                continue
            local_lat.append((time.perf_counter() - start) * 1000.0)
        conn.close()
        with lock:
            result.latencies_ms.extend(local_lat)
            result.statuses.update(local_status)
            result.transport_errors += errors

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.duration_s = time.perf_counter() - began
    result.requests = sum(result.statuses.values())
    return result
