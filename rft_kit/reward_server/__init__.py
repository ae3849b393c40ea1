"""A grader over HTTP for trainers that call remote rewards (``rft serve``).

``POST /score`` speaks Azure's endpoint-grader protocol (``{item, sample}`` -> ``{score}``) plus ``status``,
``error`` and ``sub_rewards``; ``POST /score_batch`` grades many pairs; ``GET /health``; ``GET /metrics`` (requests,
latency percentiles, errors by kind). CPU graders run in worker processes.

Why the standard library's ``ThreadingHTTPServer`` rather than an ASGI stack: the work is CPU-bound grading in other
processes, so the HTTP layer only parses JSON and waits on a future; a thread per connection does that without new
dependencies, and socket timeouts bound slow clients. It serves thousands of requests a second on loopback
(``benchmarks/bench_reward_server.py``), above what a trainer's reward step asks for.
"""

from __future__ import annotations

from .http_handler import RewardSettings
from .tcp_server import RewardServer, serve

__all__ = ["RewardServer", "RewardSettings", "serve"]
