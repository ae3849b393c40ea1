"""Rolling out K episodes per agentic item against any OpenAI-compatible endpoint, through the official SDK.

The guarantees are those of ``rft sample``, from the same code: items are read lazily and at most ``concurrency``
episodes are in flight (:mod:`rft_kit.sampling.schedule`); model calls are retried and counted
(:mod:`rft_kit.sampling.call`); each finished episode is appended and flushed as one line, so a killed run loses only
the episodes in flight, and a re-run skips every ``(item_id, sample_index)`` already in the file
(:mod:`rft_kit.sampling.resume`). A failed episode is written with its ``stop_reason`` and ``error``, never dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai

from ..distributed import ExecutionReport, Executor, check_executor
from ..errors import ConfigError, InputError
from ..io.jsonl import InputErrorLog
from ..sampling.call import make_client
from ..sampling.resume import open_resumable
from ..sampling.schedule import iter_items, run_pairs
from .episode import EpisodeContext, run_episode
from .params import RolloutParams
from .tools import ToolRunner

__all__ = ["RolloutSummary", "rollout", "rollout_async"]


@dataclass
class RolloutSummary(InputErrorLog):
    """What a rollout run did."""

    written: int = 0
    skipped: int = 0
    failed: int = 0
    retries: int = 0
    stop_reasons: Counter[str] = field(default_factory=Counter)
    turns: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_ms: float = 0.0
    environment_ms: float = 0.0
    environment_offloaded: int = 0
    duration_s: float = 0.0
    output: str = ""
    execution: ExecutionReport = field(default_factory=ExecutionReport)

    def add(self, record: Mapping[str, Any]) -> None:
        self.written += 1
        self.retries += int(record.get("retries") or 0)
        self.stop_reasons[str(record.get("stop_reason"))] += 1
        if record.get("error"):
            self.failed += 1
        self.turns += int(record.get("turns") or 0)
        self.tool_calls += len(record.get("output_tools") or [])
        self.tool_errors += int((record.get("tool_errors") or {}).get("total") or 0)
        usage = record.get("usage") or {}
        self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.completion_tokens += int(usage.get("completion_tokens") or 0)
        timing = record.get("timing_ms") or {}
        self.model_ms += float(timing.get("model") or 0.0)
        self.environment_ms += float(timing.get("environment") or 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "skipped_already_rolled_out": self.skipped,
            "failed": self.failed,
            "retries": self.retries,
            "stop_reasons": dict(self.stop_reasons.most_common()),
            "turns": self.turns,
            "tool_calls": self.tool_calls,
            "tool_errors": self.tool_errors,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "environment_ms": round(self.environment_ms, 3),
            "environment_ops_in_threads": self.environment_offloaded,
            "input_errors": self.input_error_count,
            "duration_s": round(self.duration_s, 3),
            "output": self.output,
            "execution": self.execution.to_dict(),
        }


async def rollout_async(
    items: str | Path | Iterable[Mapping[str, Any]],
    output: str | Path,
    params: RolloutParams,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    client: openai.AsyncOpenAI | None = None,
    retry_errors: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> RolloutSummary:
    """The coroutine behind :func:`rollout` (same arguments); use it from code that already runs an event loop."""
    start = time.perf_counter()
    out = Path(output)
    summary = RolloutSummary(output=str(out))
    if isinstance(items, str | Path) and not Path(items).is_file():
        raise InputError("cannot open: no such file", source=str(items))
    writer, done = open_resumable(out, items, retry_errors=retry_errors)
    try:
        owned = client is None
        try:
            api = client or make_client(
                base_url, api_key, params.sampling.timeout_s, params.sampling.max_reply_bytes, prefer_aiohttp=True
            )
        except openai.OpenAIError as exc:
            raise ConfigError(
                f"cannot create the OpenAI client ({exc}); set OPENAI_API_KEY or give a base URL"
            ) from None
    except BaseException:
        writer.close()
        raise
    runner = ToolRunner(params.tool_threads, offload_after_ms=params.offload_after_ms)
    ctx = EpisodeContext(api, params, runner, random.Random(0))

    async def one(item: Mapping[str, Any], index: int) -> None:
        record = await run_episode(ctx, item, index)
        writer.write(record)
        summary.add(record)
        if on_progress is not None:
            on_progress(1)

    def skipped() -> None:
        summary.skipped += 1

    try:
        sampling = params.sampling
        await run_pairs(iter_items(items, summary), sampling.n, done, sampling.concurrency, one, on_skip=skipped)
    finally:
        writer.close()
        runner.close()
        summary.environment_offloaded = runner.offloaded
        if owned:
            await api.close()
    summary.duration_s = time.perf_counter() - start
    return summary


def rollout(
    items: str | Path | Iterable[Mapping[str, Any]],
    output: str | Path,
    params: RolloutParams | None = None,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    retry_errors: bool = False,
    on_progress: Callable[[int], None] | None = None,
    executor: Executor = "local",
    ray_address: str | None = None,
    chunk_size: int | None = None,
    chunk_retries: int = 3,
    **param_fields: Any,
) -> RolloutSummary:
    """Roll out ``n`` episodes per agentic item and append them to ``output`` (resumable).

    Example::

        rft_kit.rollout.rollout("tasks.jsonl", "episodes.jsonl", model="gpt-4.1-mini", n=4, max_turns=12)

    Args:
        items: an items JSONL path or an iterable of agentic rows (``id``, ``messages``, ``tools``,
            ``environment``).
        output: the samples JSONL file (one episode per line); episodes already in it are skipped.
        params: every parameter; or give ``model`` and any :class:`RolloutParams` / ``SamplingParams`` field as
            keywords (``n``, ``max_turns``, ``token_budget``, ``concurrency``, ``temperature``, ...).
        base_url: the OpenAI-compatible endpoint (default: the SDK's, i.e. ``OPENAI_BASE_URL`` or OpenAI).
        api_key: default ``OPENAI_API_KEY`` (``"local"`` when only a ``base_url`` is given).
        retry_errors: roll out again the episodes that ended with an error (their records are removed first).
        on_progress: called with 1 after each episode is written (with ``executor="ray"``: with the size of each
            finished chunk).
        executor: ``"local"`` or ``"ray"``: chunks of episodes run on one actor per node of a Ray cluster, the
            driver writes them as they finish; ``concurrency`` is then the limit for the whole cluster (README:
            "Running on a Ray cluster").
        ray_address: the cluster (``"auto"``, ``host:port``, ``ray://...``; default ``RAY_ADDRESS``, else a local
            Ray instance for this run).
        chunk_size: ``executor="ray"``: episodes per chunk (default: ``concurrency``).
        chunk_retries: ``executor="ray"``: times a chunk is sent again after its task or node failed (not
            ``max_retries``, which is the model calls' retries).

    Raises:
        InputError: the items file cannot be opened.
        ConfigError: no API key for a remote endpoint.
        ValueError: invalid parameters.
    """
    if params is None:
        if model is None:
            raise ValueError("give params or model")
        params = RolloutParams.of(model, **param_fields)
    elif model is not None or param_fields:
        raise ValueError("give either params or model and its keyword fields, not both")
    if check_executor(executor) == "ray":
        from .on_ray import rollout_on_ray

        return rollout_on_ray(
            items,
            output,
            params,
            base_url=base_url,
            api_key=api_key,
            retry_errors=retry_errors,
            on_progress=on_progress,
            address=ray_address,
            chunk_size=chunk_size,
            chunk_retries=chunk_retries,
        )
    coro = rollout_async(
        items, output, params, base_url=base_url, api_key=api_key, retry_errors=retry_errors, on_progress=on_progress
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from a running loop (a notebook cell): run the rollout's own loop in a worker thread.
    with cf.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
