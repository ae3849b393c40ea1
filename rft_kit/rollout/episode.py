"""One episode: the model's turns against one environment until a final answer or a limit, as a sample record.

The loop (DESIGN.md section 10): send the prompt plus the trajectory so far; an assistant message with tool calls
has each call executed in the environment, in order, its result appended as a ``tool`` message with the call's
``tool_call_id`` (parallel calls of one turn included); an assistant message without tool calls is the final answer.
Everything the model did wrong (unknown tool, arguments that are not JSON or fail the schema, a tool that raised)
comes back from the environment as a tool result and the episode goes on; only a model call that fails for good
(``model_error``) or an environment that breaks (``env_error``) ends it early, recorded with the reason.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import openai

from ..environments import Environment, EnvironmentFailure, build_environment
from ..records import Sample, parse_json_object
from ..sampling.call import create_with_retries
from ..sampling.request import build_request
from .params import RolloutParams
from .tools import ToolRunner

__all__ = ["EpisodeContext", "run_episode"]

_PROMPT_FIELDS = frozenset({"messages", "tools", "environment"})


@dataclass
class EpisodeContext:
    """What every episode of a run shares: the client, the parameters, the tool runner, a seeded jitter source."""

    client: openai.AsyncOpenAI
    params: RolloutParams
    runner: ToolRunner
    rng: random.Random = field(default_factory=lambda: random.Random(0))


@dataclass
class _Episode:
    """The state of one episode while it runs."""

    trajectory: list[dict[str, Any]] = field(default_factory=list)
    output_tools: list[dict[str, Any]] = field(default_factory=list)
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    errors_by_tool: Counter[str] = field(default_factory=Counter)
    usage: Counter[str] = field(default_factory=Counter)
    turns: int = 0
    attempts: int = 0
    retries: int = 0
    model_ms: float = 0.0
    env_ms: float = 0.0
    output_text: str = ""
    last_choice: dict[str, Any] | None = None
    model: str | None = None
    stop_reason: str = ""
    error: dict[str, Any] | None = None
    final_state: Any | None = None

    def fail(self, stop_reason: str, kind: str, message: str, **more: Any) -> None:
        self.stop_reason = stop_reason
        self.error = {"kind": kind, "message": message, **more}


def _reference(item: Mapping[str, Any]) -> dict[str, Any]:
    """The row's reference fields, which the SIMULATED agents read (never sent to a real model)."""
    return {key: value for key, value in item.items() if key not in _PROMPT_FIELDS}


def _first_request(item: Mapping[str, Any], sample_index: int, params: RolloutParams) -> dict[str, Any]:
    request = build_request(item, sample_index, params.sampling)
    if params.simulated_agent:
        request["extra_body"] = {**request.get("extra_body", {}), "rft_reference": _reference(item)}
    return request


def _wire(request: Mapping[str, Any], messages: list[Any]) -> dict[str, Any]:
    """The keyword arguments of one turn's ``create``, with ``messages`` and ``tools`` passed through ``extra_body``.

    Both are already wire-format JSON (the row's own, and messages this module built), and the SDK would otherwise
    walk every message and every tool schema again on every turn to "transform" them, a cost that grows with the
    trajectory and the tool catalogue (200+ tools at the hard levels); ``extra_body`` fields go out unchanged.
    ``benchmarks/bench_rollout.py`` measures the engine.
    """
    kwargs = {key: value for key, value in request.items() if key not in ("tools", "extra_body")}
    body: dict[str, Any] = {**request.get("extra_body", {}), "messages": messages}
    if "tools" in request:
        body["tools"] = request["tools"]
    return {**kwargs, "messages": [], "extra_body": body}


def _tool_call(raw: Mapping[str, Any], turn: int, position: int) -> dict[str, Any]:
    """A call in the ``choices[0].message.tool_calls`` shape, whatever the endpoint left out."""
    function = raw.get("function") if isinstance(raw.get("function"), Mapping) else {}
    assert isinstance(function, Mapping)
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        arguments = "" if arguments is None else json.dumps(arguments)
    call_id = raw.get("id") if isinstance(raw.get("id"), str) and raw.get("id") else f"call_t{turn}_{position}"
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": str(function.get("name") or ""), "arguments": arguments},
    }


def _reply(completion: Mapping[str, Any], turn: int) -> tuple[Any, str | None, list[dict[str, Any]]] | None:
    """``(finish_reason, content, tool calls)`` of a completion's first choice, or ``None`` when it has none.

    The body is the endpoint's JSON as sent (``raw=True``): every level is checked, never trusted.
    """
    choices = completion.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, Mapping) else None
    if not isinstance(message, Mapping):
        return None
    assert isinstance(choice, Mapping)
    content = message.get("content") if isinstance(message.get("content"), str) else None
    raw_calls = message.get("tool_calls")
    raw_calls = [c for c in raw_calls if isinstance(c, Mapping)] if isinstance(raw_calls, list) else []
    return choice.get("finish_reason"), content, [_tool_call(c, turn, k) for k, c in enumerate(raw_calls)]


def _add_usage(state: _Episode, usage: Any) -> None:
    if not isinstance(usage, Mapping):
        return
    counts = {}
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = usage.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            counts[key] = value
    # an endpoint that leaves out total_tokens still counts against the token budget
    counts.setdefault("total_tokens", counts.get("prompt_tokens", 0) + counts.get("completion_tokens", 0))
    state.usage.update(counts)


async def _env_op(ctx: EpisodeContext, state: _Episode, env_name: str, op: str, fn: Any) -> Any:
    value, elapsed = await ctx.runner.run(env_name, op, fn)
    state.env_ms += elapsed
    return value


async def _turn(
    ctx: EpisodeContext, state: _Episode, env: Environment, request: dict[str, Any], prompt: list[Any]
) -> bool:
    """One model turn and its tool calls; returns whether the episode goes on."""
    outcome = await create_with_retries(
        ctx.client,
        _wire(request, [*prompt, *state.trajectory]),
        max_retries=ctx.params.sampling.max_retries,
        rng=ctx.rng,
        timeout_s=ctx.params.sampling.timeout_s,
        raw=True,
    )
    state.attempts += outcome.attempts
    state.retries += outcome.attempts - 1
    state.model_ms += outcome.latency_ms
    if outcome.completion is None:
        state.fail(
            "model_error", outcome.kind, outcome.message, **({"status": outcome.status} if outcome.status else {})
        )
        return False
    completion = outcome.completion
    state.turns += 1
    model = completion.get("model")
    state.model = model if isinstance(model, str) and model else state.model
    _add_usage(state, completion.get("usage"))
    reply = _reply(completion, state.turns)
    if reply is None:
        state.fail("model_error", "response", "the completion has no choices[0].message object")
        return False
    finish_reason, content, calls = reply
    assistant: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        assistant["tool_calls"] = calls
    state.trajectory.append(assistant)
    state.last_choice = {"index": 0, "finish_reason": finish_reason, "message": assistant}
    if not calls:
        state.output_text = content or ""
        state.stop_reason = "final_answer"
        return False
    for call in calls:
        state.output_tools.append(call)
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        try:
            result = await _env_op(ctx, state, env.name, "call", lambda n=name, a=arguments: env.call(n, a))
        except EnvironmentFailure as exc:
            state.fail("env_error", "environment", f"{type(exc).__name__}: {exc}", tool=name)
            return False
        except Exception as exc:  # a bug in the environment's own code: it broke, not the model
            state.fail("env_error", "environment", f"the environment raised {type(exc).__name__}: {exc}", tool=name)
            return False
        state.trajectory.append({"role": "tool", "tool_call_id": call["id"], "content": result.output})
        if result.error is not None:
            state.errors_by_kind[result.error] += 1
            state.errors_by_tool[name] += 1
    budget = ctx.params.token_budget
    if budget is not None and state.usage["total_tokens"] >= budget:
        state.stop_reason = "token_budget"
        return False
    return True


async def _episode(ctx: EpisodeContext, state: _Episode, item: Mapping[str, Any], sample_index: int) -> None:
    try:
        request = _first_request(item, sample_index, ctx.params)
    except ValueError as exc:
        state.fail("model_error", "request", str(exc))
        return
    spec = item.get("environment")
    if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str):
        state.fail("env_error", "environment", "the item has no 'environment' object with a 'name'")
        return
    env_name = str(spec["name"])
    try:
        env: Environment = await _env_op(ctx, state, env_name, "build", lambda: build_environment(spec))
    except Exception as exc:  # a bad spec or a broken environment: nothing to roll out against
        state.fail("env_error", "environment", f"cannot build environment {env_name!r}: {type(exc).__name__}: {exc}")
        return
    try:
        prompt = request.pop("messages")
        while True:
            if state.turns >= ctx.params.max_turns:
                state.stop_reason = "max_turns"
                break
            if not await _turn(ctx, state, env, request, prompt):
                break
        try:
            state.final_state = await _env_op(ctx, state, env_name, "snapshot", env.snapshot)
        except Exception as exc:
            if state.error is None:
                state.fail("env_error", "environment", f"snapshot failed: {type(exc).__name__}: {exc}")
    finally:
        try:
            await _env_op(ctx, state, env_name, "close", env.close)
        except Exception as exc:
            if state.error is None:
                state.fail("env_error", "environment", f"close failed: {type(exc).__name__}: {exc}")


def _record(state: _Episode, item_id: str, sample_index: int, model: str, latency_ms: float) -> dict[str, Any]:
    usage = dict(state.usage) if state.turns else None
    sample = Sample(
        output_text=state.output_text,
        output_json=parse_json_object(state.output_text),
        output_tools=state.output_tools,
        choices=[] if state.last_choice is None else [state.last_choice],
        item_id=item_id,
        sample_index=sample_index,
        model=state.model or model,
        usage=usage,
        latency_ms=round(latency_ms, 3),
        error=state.error,
        trajectory=state.trajectory,
        final_state=state.final_state,
        stop_reason=state.stop_reason,
        turns=state.turns,
        tool_errors={
            "total": sum(state.errors_by_kind.values()),
            "by_kind": dict(state.errors_by_kind),
            "by_tool": dict(state.errors_by_tool),
        },
    )
    record = sample.to_record()
    record["attempts"] = state.attempts
    record["retries"] = state.retries
    record["timing_ms"] = {"model": round(state.model_ms, 3), "environment": round(state.env_ms, 3)}
    return record


async def run_episode(ctx: EpisodeContext, item: Mapping[str, Any], sample_index: int) -> dict[str, Any]:
    """Roll out episode ``sample_index`` of ``item`` and return its samples.jsonl record (never raises for a bad
    item, a failing model or a broken environment: the record says what happened; an internal failure is recorded
    as ``model_error`` with ``error.kind: internal``)."""
    started = time.perf_counter()
    state = _Episode()
    try:
        await _episode(ctx, state, item, sample_index)
    except Exception as exc:  # a bug in rft-kit must cost one episode, recorded, not the run
        state.fail("model_error", "internal", f"rft-kit failed while running the episode ({type(exc).__name__}: {exc})")
    latency_ms = (time.perf_counter() - started) * 1000
    return _record(state, str(item["id"]), sample_index, ctx.params.sampling.model, latency_ms)
