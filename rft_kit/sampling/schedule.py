"""Reading items lazily and running one job per ``(item, sample_index)`` pair, at most ``concurrency`` at a time.

Shared by ``rft sample`` and ``rft rollout``: items are read lazily and a slot is taken *before* a job is created, so
memory does not grow with the task set; pairs already done (a resumed run) are skipped, and an id repeated in the
items file is done once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.escape import escape_surrogates
from ..io.jsonl import InputErrorLog, iter_jsonl
from .resume import SampleKey

__all__ = ["iter_items", "run_pairs"]


def iter_items(items: str | Path | Iterable[Mapping[str, Any]], log: InputErrorLog) -> Iterator[Mapping[str, Any]]:
    """The usable items of a JSONL path or an iterable; every unusable line is counted in ``log`` and skipped."""
    source = str(items) if isinstance(items, str | Path) else "<items>"
    rows: Iterable[tuple[int, Any, InputError | None]]
    if isinstance(items, str | Path):
        rows = ((line.number, line.value, line.error) for line in iter_jsonl(items))
    else:
        rows = ((n, value, None) for n, value in enumerate(items, start=1))
    for number, value, error in rows:
        if error is None and not isinstance(value, Mapping):
            error = InputError(f"an item must be a JSON object, got {type(value).__name__}", source=source, line=number)
        if error is None and value.get("id") is None:
            error = InputError("the item has no 'id'; samples are joined to items by id", source=source, line=number)
        if error is not None:
            log.add_input_error(error)
            continue
        yield value


async def run_pairs(
    items: Iterable[Mapping[str, Any]],
    n: int,
    done: set[SampleKey],
    concurrency: int,
    job: Callable[[Mapping[str, Any], int], Awaitable[None]],
    *,
    on_skip: Callable[[], None] = lambda: None,
) -> None:
    """Await ``job(item, index)`` for every pair not in ``done`` (which it extends), ``concurrency`` at a time.

    On an exception or cancellation the jobs still running are cancelled; what they had not written is lost and a
    re-run does them again.
    """
    slots = asyncio.Semaphore(concurrency)
    running: set[asyncio.Task[None]] = set()

    async def one(item: Mapping[str, Any], index: int) -> None:
        try:
            await job(item, index)
        finally:
            slots.release()

    try:
        for item in items:
            # compared with ids read back from the output, where an unpaired surrogate was escaped
            item_id = escape_surrogates(str(item["id"]))[0]
            for index in range(n):
                if (item_id, index) in done:
                    on_skip()
                    continue
                done.add((item_id, index))  # an id repeated in the items file is done once
                # Acquire before creating the task: at most `concurrency` tasks (and items) are alive at a time.
                await slots.acquire()
                task = asyncio.create_task(one(item, index))
                running.add(task)
                task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running)
    finally:
        for task in running:
            task.cancel()
