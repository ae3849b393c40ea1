"""The reward server's routes on the shared ASGI stack (:mod:`rft_kit.serving`).

``POST /score`` ``{item, sample}`` -> ``{score, status, error, sub_rewards}``; ``POST /score_batch`` ``{items,
samples}`` -> ``{results}``; ``GET /health`` (open); ``GET /metrics`` (JSON, or Prometheus text for a scraper). The
guard answers every client mistake with a JSON 4xx before a grader sees it (auth first, then framing, size, time,
JSON depth); grading runs in the scorer's worker processes, awaited without holding the event loop.
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Mapping
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..serving import Guard, HTTPError, ServerMetrics, json_response, make_app, metrics_response
from ..serving.body import read_json
from .request_bodies import parse_batch, parse_single
from .scoring import Scorer
from .settings import RewardSettings

__all__ = ["ROUTES", "build_app", "reward_metrics"]

ROUTES: Final = ("/score", "/score_batch", "/health", "/metrics")


def reward_metrics() -> ServerMetrics:
    metrics = ServerMetrics(ROUTES, timed=("/score", "/score_batch"), prefix="rft_reward")
    metrics.count("pairs_graded", 0)
    return metrics


def build_app(scorer: Scorer, settings: RewardSettings, metrics: ServerMetrics) -> Guard:
    """The ASGI application of ``rft serve`` around a running ``scorer``."""
    serving = settings.serving()

    async def grade(samples: list[Any], items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        try:
            payloads = await asyncio.wrap_future(scorer.submit(samples, items))
        except (RecursionError, pickle.PicklingError) as exc:  # this request's own values, graded alone
            raise HTTPError(400, f"the request's values cannot be graded: {type(exc).__name__}", "unsendable") from None
        metrics.count("pairs_graded", len(payloads))
        metrics.count_errors(f"grade:{p['error']['kind']}" for p in payloads if p["error"] is not None)
        return payloads

    async def score(request: Request) -> Response:
        samples, items = parse_single(await read_json(request.scope, request.receive, serving))
        return json_response((await grade(samples, items))[0])

    async def score_batch(request: Request) -> Response:
        body = await read_json(request.scope, request.receive, serving)
        samples, items = parse_batch(body, settings.max_batch_pairs)
        return json_response({"results": await grade(samples, items) if samples else []})

    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "grader": {"name": scorer.grader.name, "type": scorer.grader.type}})

    async def metrics_route(request: Request) -> Response:
        return metrics_response(request, metrics, {"workers": scorer.workers})

    routes = [
        Route("/score", score, methods=["POST"]),
        Route("/score_batch", score_batch, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
    ]
    return make_app(routes, settings=serving, metrics=metrics, route_label=lambda path: path)
