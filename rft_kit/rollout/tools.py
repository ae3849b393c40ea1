"""Running environment work without stalling the event loop that drives every other episode.

Pure-Python tools take microseconds: a thread hand-off would cost more than the call. Tools that run code in the
sandbox, or build a database, take milliseconds to seconds and would freeze every episode in flight. The runner
therefore *measures*: per environment name and operation (build, call, snapshot, close) it keeps a moving mean of the
time taken; the first run of each, and every run whose mean is above ``offload_after_ms``, goes to a thread pool;
the rest run inline. ``benchmarks/bench_rollout.py`` measures the overhead per tool call.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["ToolRunner"]

T = TypeVar("T")

_ALPHA = 0.2
"""Weight of the newest duration in the moving mean: a few slow calls are enough to move work off the loop."""


class ToolRunner:
    """Runs environment operations inline or in a thread pool, by their measured cost.

    Args:
        threads: pool size (environment operations of different episodes run in parallel up to this many).
        offload_after_ms: operations whose mean time is above this run in the pool; ``math.inf`` runs everything
            inline, the first run included (the benchmark's "no thread pool" setting).
    """

    def __init__(self, threads: int = 8, *, offload_after_ms: float = 0.5) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="rft-env")
        self._threshold = offload_after_ms
        self._mean_ms: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self.inline = 0
        self.offloaded = 0

    def mean_ms(self, env: str, op: str) -> float | None:
        """The moving mean time of ``op`` in environment ``env`` (``None`` before its first run)."""
        with self._lock:
            return self._mean_ms.get((env, op))

    def _record(self, key: tuple[str, str], elapsed_ms: float) -> None:
        with self._lock:
            mean = self._mean_ms.get(key)
            self._mean_ms[key] = elapsed_ms if mean is None else mean + _ALPHA * (elapsed_ms - mean)

    async def run(self, env: str, op: str, fn: Callable[[], T]) -> tuple[T, float]:
        """``fn()`` and the milliseconds it took; exceptions propagate."""
        key = (env, op)
        with self._lock:
            mean = self._mean_ms.get(key)
        if self._threshold == math.inf or (mean is not None and mean <= self._threshold):
            self.inline += 1
            started = time.perf_counter()
            try:
                return fn(), (time.perf_counter() - started) * 1000
            finally:
                self._record(key, (time.perf_counter() - started) * 1000)
        self.offloaded += 1

        def timed() -> tuple[T, float]:
            started = time.perf_counter()
            try:
                value = fn()
            finally:
                elapsed = (time.perf_counter() - started) * 1000
                self._record(key, elapsed)
            return value, elapsed

        return await asyncio.get_running_loop().run_in_executor(self._pool, timed)

    def close(self) -> None:
        """Wait for running operations and stop the pool (idempotent)."""
        self._pool.shutdown(wait=True)
