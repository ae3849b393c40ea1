"""``rft rollout --executor ray``: episodes run by one long-lived actor per node of a Ray cluster.

The driver reads the items, skips the ``(item_id, sample_index)`` pairs already in the output (the resume logic of
a local run) and streams chunks of pairs to the actors (:mod:`rft_kit.distributed.dispatch`); each finished chunk
of episodes is written by the driver's writer. Each actor runs its chunk's episodes concurrently against the
endpoint, with its own client and tool runner, so the model calls and the environments' tool calls both happen on
the nodes.

``concurrency`` is the limit for the whole CLUSTER: each of the N actors runs at most ``max(1, concurrency // N)``
episodes at a time. The endpoint must be reachable from every node (``base_url="local"`` answers inside each actor).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..distributed.dispatch import run_chunks
from ..distributed.ray_cluster import NodeSlot, ray_session
from ..errors import InputError
from ..io.escape import escape_surrogates
from ..sampling.call import make_client
from ..sampling.resume import open_resumable
from ..sampling.schedule import iter_items
from .engine import RolloutSummary
from .episode import EpisodeContext, run_episode
from .params import RolloutParams
from .tools import ToolRunner

__all__ = ["RolloutActor", "rollout_on_ray"]

Pair = tuple[dict[str, Any], int]


class RolloutActor:
    """A Ray actor that runs chunks of episodes, ``params.sampling.concurrency`` at a time."""

    def __init__(self, params: RolloutParams, base_url: str | None, api_key: str | None) -> None:
        import ray

        self.params = params
        self.base_url = base_url
        self.api_key = api_key
        self.node_id: str = ray.get_runtime_context().get_node_id()
        self.rng = random.Random(0)

    def ready(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "pid": os.getpid()}

    def run(self, pairs: list[Pair]) -> tuple[str, list[dict[str, Any]]]:
        return self.node_id, asyncio.run(_run_episodes(self.params, self.base_url, self.api_key, self.rng, pairs))


async def _run_episodes(
    params: RolloutParams, base_url: str | None, api_key: str | None, rng: random.Random, pairs: list[Pair]
) -> list[dict[str, Any]]:
    # A module function, not a method: Ray turns an actor with any ``async def`` method into an asyncio actor.
    # A client per chunk: an AsyncOpenAI client belongs to the event loop it was created on.
    api = make_client(
        base_url, api_key, params.sampling.timeout_s, params.sampling.max_reply_bytes, prefer_aiohttp=True
    )
    runner = ToolRunner(params.tool_threads, offload_after_ms=params.offload_after_ms)
    ctx = EpisodeContext(api, params, runner, rng)
    slots = asyncio.Semaphore(params.sampling.concurrency)

    async def one(item: Mapping[str, Any], index: int) -> dict[str, Any]:
        async with slots:
            return await run_episode(ctx, item, index)

    try:
        return list(await asyncio.gather(*(one(item, index) for item, index in pairs)))
    finally:
        runner.close()
        await api.close()


def _chunks(pairs: Iterator[Pair], size: int) -> Iterator[list[Pair]]:
    chunk: list[Pair] = []
    for pair in pairs:
        chunk.append(pair)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rollout_on_ray(
    items: str | Path | Iterable[Mapping[str, Any]],
    output: str | Path,
    params: RolloutParams,
    *,
    base_url: str | None,
    api_key: str | None,
    retry_errors: bool,
    on_progress: Callable[[int], None] | None,
    address: str | None,
    chunk_size: int | None,
    chunk_retries: int,
) -> RolloutSummary:
    """:func:`rft_kit.rollout.rollout` with ``executor="ray"`` (same arguments and guarantees)."""
    start = time.perf_counter()
    out = Path(output)
    summary = RolloutSummary(output=str(out))
    if isinstance(items, str | Path) and not Path(items).is_file():
        raise InputError("cannot open: no such file", source=str(items))
    writer, done = open_resumable(out, items, retry_errors=retry_errors)

    def pairs() -> Iterator[Pair]:
        for item in iter_items(items, summary):
            # compared with ids read back from the output, where an unpaired surrogate was escaped
            item_id = escape_surrogates(str(item["id"]))[0]
            for index in range(params.sampling.n):
                if (item_id, index) in done:
                    summary.skipped += 1
                    continue
                done.add((item_id, index))  # an id repeated in the items file is done once
                yield dict(item), index

    def on_result(_chunk: list[Pair], records: list[dict[str, Any]]) -> None:
        writer.write_many(records)
        for record in records:
            summary.add(record)
        if on_progress is not None:
            on_progress(len(records))

    def args(_node: NodeSlot, total: int) -> tuple[Any, ...]:
        share = max(1, params.sampling.concurrency // max(1, total))
        per_actor = dataclasses.replace(params, sampling=dataclasses.replace(params.sampling, concurrency=share))
        return per_actor, base_url, api_key

    execution = summary.execution
    try:
        with ray_session(address) as (used, started):
            execution.executor = "ray"
            execution.address = used
            execution.started_cluster = started
            run_chunks(
                _chunks(pairs(), chunk_size or params.sampling.concurrency),
                actor_cls=RolloutActor,
                actors_per_node=lambda _node: 1,
                actor_args=args,
                on_result=on_result,
                report=execution,
                max_retries=chunk_retries,
            )
    finally:
        writer.close()
    summary.duration_s = time.perf_counter() - start
    return summary
