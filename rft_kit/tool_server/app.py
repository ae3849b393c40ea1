"""The tool server's routes: ``POST /tools/{name}``, ``POST /grade``, ``GET /health``, ``GET /metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..environments import known_environments
from ..graders.base import Grader
from ..reward_server.scoring import Scorer
from ..rollout.tools import ToolRunner
from ..serving import Guard, HTTPError, ServerMetrics, ServeSettings, json_response, make_app, metrics_response
from ..serving.body import read_json
from .protocol import parse_call, parse_grade
from .traces import DEFAULT_MAX_TRACES, DEFAULT_TTL_S, CallRecord, TraceStore

__all__ = ["ROUTES", "ToolServerConfig", "build_app", "episode_sample"]

ROUTES: Final = ("/tools/{name}", "/grade", "/health", "/metrics")


@dataclass(frozen=True)
class ToolServerConfig:
    """What a tool server serves and how.

    Attributes:
        grader: grades ``POST /grade`` (``None``: the route answers 404 saying so).
        workers: grading processes (``0``: grade in a thread of the server process).
        ttl_s, max_traces: idle trace expiry and the live-trace cap (:mod:`rft_kit.tool_server.traces`).
        tool_threads: threads for environment work that is slow (a sandboxed query).
        settings: auth, limits and deadlines.
    """

    grader: Grader | None = None
    workers: int = 1
    ttl_s: float = DEFAULT_TTL_S
    max_traces: int = DEFAULT_MAX_TRACES
    tool_threads: int = 8
    settings: ServeSettings = field(default_factory=ServeSettings)


def _route_label(path: str) -> str:
    if path.startswith("/tools/") and "/" not in path[7:]:
        return "/tools/{name}"
    return path


def episode_sample(sample: Mapping[str, Any] | str, calls: list[CallRecord], final_state: Any) -> dict[str, Any]:
    """The rollout sample a grader sees: the trainer's sample, with the episode as the server saw it.

    ``output_tools``, ``trajectory``, ``final_state`` and ``tool_errors`` come from the calls this server executed
    (one assistant turn per call, in execution order), as :func:`rft_kit.environments.episode.play` records them;
    ``output_text`` is the trainer's final answer.
    """
    base: dict[str, Any] = {"output_text": sample} if isinstance(sample, str) else dict(sample)
    text = base.get("output_text")
    if not isinstance(text, str):
        text = ""
        choices = base.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
            message = choices[0].get("message")
            if isinstance(message, Mapping) and isinstance(message.get("content"), str):
                text = message["content"]
    output_tools: list[dict[str, Any]] = []
    trajectory: list[dict[str, Any]] = []
    by_kind: dict[str, int] = {}
    by_tool: dict[str, int] = {}
    for record in calls:
        tool_call = {
            "id": record.call_id,
            "type": "function",
            "function": {"name": record.name, "arguments": record.arguments},
        }
        output_tools.append(tool_call)
        trajectory.append({"role": "assistant", "content": None, "tool_calls": [tool_call]})
        trajectory.append({"role": "tool", "tool_call_id": record.call_id, "content": record.output})
        if record.error is not None:
            by_kind[record.error] = by_kind.get(record.error, 0) + 1
            by_tool[record.name] = by_tool.get(record.name, 0) + 1
    trajectory.append({"role": "assistant", "content": text})
    base.pop("choices", None)  # choices[0].message would repeat (and may contradict) the final answer
    return {
        **base,
        "output_text": text,
        "output_tools": output_tools,
        "trajectory": trajectory,
        "final_state": final_state,
        "stop_reason": "final_answer",
        "turns": len(calls) + 1,
        "tool_errors": {"total": sum(by_kind.values()), "by_kind": by_kind, "by_tool": by_tool},
    }


def build_app(config: ToolServerConfig) -> Guard:
    """The ASGI application of ``rft serve-tools`` (grading workers start with the application's lifespan)."""
    settings = config.settings
    metrics = ServerMetrics(ROUTES, timed=("/tools/{name}", "/grade"), prefix="rft_tools")
    runner = ToolRunner(config.tool_threads)
    store = TraceStore(runner, ttl_s=config.ttl_s, max_traces=config.max_traces)
    scorer: Scorer | None = None
    metrics.gauge("traces_live", lambda: len(store))
    metrics.gauge("traces_built", lambda: store.built)
    metrics.gauge("traces_expired", lambda: store.expired)
    metrics.gauge("traces_evicted", lambda: store.evicted)

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        nonlocal scorer
        if config.grader is not None:
            grader = config.grader
            scorer = await asyncio.to_thread(lambda: Scorer(grader, workers=config.workers))

        async def sweeper() -> None:
            while True:
                await asyncio.sleep(min(60.0, config.ttl_s / 4))
                store.sweep()

        task = asyncio.get_running_loop().create_task(sweeper())
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            store.close()
            runner.close()
            if scorer is not None:
                await asyncio.to_thread(scorer.close)

    async def health(request: Request) -> Response:
        grader = config.grader
        return json_response(
            {
                "status": "ok",
                "environments": known_environments(),
                "grader": None if grader is None else {"name": grader.name, "type": grader.type},
                "traces": len(store),
            }
        )

    async def metrics_route(request: Request) -> Response:
        return metrics_response(request, metrics, {"workers": config.workers if config.grader else 0})

    async def tool_call(request: Request) -> Response:
        body = await read_json(request.scope, request.receive, settings)
        call = parse_call(body, request.path_params["name"])
        record = await store.call(call)
        metrics.count("tool_calls")
        if record.error is not None:
            metrics.count_errors([f"tool:{record.error}"])
        return json_response(
            {"type": "function_call_output", "call_id": call.call_id, "id": call.id, "output": record.output}
        )

    async def grade(request: Request) -> Response:
        body = await read_json(request.scope, request.receive, settings)
        if scorer is None:
            raise HTTPError(404, "this server has no grader; start it with rft serve-tools --grader G", "no_grader")
        req = parse_grade(body)
        calls, final_state = await store.final(req.trace_id, req.item["environment"])
        sample = episode_sample(req.sample, calls, final_state)
        (payload,) = await asyncio.wrap_future(scorer.submit([sample], [req.item]))
        metrics.count("pairs_graded")
        if payload["error"] is not None:
            metrics.count_errors([f"grade:{payload['error']['kind']}"])
        return json_response(payload)

    routes = [
        Route("/tools/{name}", tool_call, methods=["POST"]),
        Route("/grade", grade, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics_route, methods=["GET"]),
    ]
    return make_app(routes, settings=settings, metrics=metrics, route_label=_route_label, lifespan=lifespan)
