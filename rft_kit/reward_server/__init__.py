"""A grader over HTTP for trainers that call remote rewards (``rft serve``).

``POST /score`` speaks Azure's endpoint-grader protocol (``{item, sample}`` -> ``{score}``) plus ``status``,
``error`` and ``sub_rewards``; ``POST /score_batch`` grades many pairs; ``GET /health``; ``GET /metrics`` (requests,
latency percentiles, errors by kind; Prometheus text for a scraper). CPU graders run in worker processes.

It runs on the same ASGI stack as ``rft serve-tools`` (:mod:`rft_kit.serving`: starlette on uvicorn), which gives
keep-alive, chunked bodies, auth before routing, deadlines and a graceful SIGTERM to both;
``benchmarks/bench_reward_server.py`` compares it with the standard-library server it replaced.
"""

from __future__ import annotations

from .settings import RewardSettings
from .tcp_server import RewardServer, serve

__all__ = ["RewardServer", "RewardSettings", "serve"]
