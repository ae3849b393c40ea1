"""Sampling K outputs per item from any OpenAI-compatible endpoint, through the official SDK.

Requests run concurrently, at most ``concurrency`` at a time; items are read lazily, so memory does not grow with the
task set. Each finished sample is appended and flushed at once, in completion order, so a killed run loses only the
requests in flight; a re-run skips every ``(item_id, sample_index)`` already in the file (:mod:`.schedule`). Retries
are rft-kit's own and counted (:mod:`.call`). A call that still fails is written as a sample with an ``error``, never
dropped.
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

from ..io.escape import escape_value, has_surrogates
from ..io.jsonl import InputErrorLog
from .call import create_with_retries, make_client
from .params import SamplingParams
from .request import build_request, error_record, sample_record
from .resume import open_resumable
from .schedule import iter_items, run_pairs

__all__ = ["SampleSummary", "sample", "sample_async"]


@dataclass
class SampleSummary(InputErrorLog):
    """What a sampling run did."""

    written: int = 0
    skipped: int = 0
    succeeded: int = 0
    failed: int = 0
    retries: int = 0
    errors_by_kind: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_s: float = 0.0
    output: str = ""
    escaped_records: int = 0  # written with strings JSON/UTF-8 cannot carry escaped (noted on each record)

    def add(self, record: Mapping[str, Any]) -> None:
        self.written += 1
        self.retries += int(record.get("attempts", 1)) - 1
        error = record.get("error")
        if error:
            self.failed += 1
            self.errors_by_kind[str(error.get("status") or error.get("kind"))] += 1
            return
        self.succeeded += 1
        usage = record.get("usage") or {}
        self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.completion_tokens += int(usage.get("completion_tokens") or 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "skipped_already_sampled": self.skipped,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "retries": self.retries,
            "errors_by_kind": dict(self.errors_by_kind),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "input_errors": self.input_error_count,
            "duration_s": round(self.duration_s, 3),
            "output": self.output,
            "escaped_records": self.escaped_records,
        }


class _Caller:
    """One chat completion per sample, with the shared retry loop around the SDK."""

    def __init__(self, client: openai.AsyncOpenAI, params: SamplingParams, rng: random.Random) -> None:
        self.client = client
        self.params = params
        self.rng = rng

    async def __call__(self, item: Mapping[str, Any], sample_index: int) -> dict[str, Any]:
        item_id = str(item["id"])
        common: dict[str, Any] = {"item_id": item_id, "sample_index": sample_index, "model": self.params.model}
        try:
            request = build_request(item, sample_index, self.params)
            if has_surrogates(request):  # UTF-8 cannot send them: the model sees their escapes as text
                request = escape_value(request)[0]
        except ValueError as exc:
            return error_record(**common, kind="request", message=str(exc), status=None, latency_ms=0.0, attempts=0)
        outcome = await create_with_retries(
            self.client, request, max_retries=self.params.max_retries, rng=self.rng, timeout_s=self.params.timeout_s
        )
        if outcome.completion is not None:
            return sample_record(
                outcome.completion,
                item_id=item_id,
                sample_index=sample_index,
                latency_ms=outcome.latency_ms,
                attempts=outcome.attempts,
            )
        return error_record(
            **common,
            kind=outcome.kind,
            message=outcome.message,
            status=outcome.status,
            latency_ms=outcome.latency_ms,
            attempts=outcome.attempts,
        )


async def sample_async(
    items: str | Path | Iterable[Mapping[str, Any]],
    output: str | Path,
    params: SamplingParams,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    client: openai.AsyncOpenAI | None = None,
    retry_errors: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> SampleSummary:
    """The coroutine behind :func:`sample` (same arguments); use it from code that already runs an event loop."""
    start = time.perf_counter()
    out = Path(output)
    summary = SampleSummary(output=str(out))
    writer, done = open_resumable(out, items, retry_errors=retry_errors)
    owned = client is None
    try:
        api = client or make_client(base_url, api_key, params.timeout_s, params.max_reply_bytes)
    except BaseException:  # e.g. no API key: the output's lock must not outlive the failed call
        writer.close()
        raise
    caller = _Caller(api, params, random.Random(0))

    async def one(item: Mapping[str, Any], index: int) -> None:
        record = await caller(item, index)
        writer.write(record)
        summary.add(record)
        if on_progress is not None:
            on_progress(1)

    def skipped() -> None:
        summary.skipped += 1

    try:
        await run_pairs(iter_items(items, summary), params.n, done, params.concurrency, one, on_skip=skipped)
    finally:
        writer.close()
        summary.escaped_records = writer.escaped_records
        if owned:
            await api.close()
    summary.duration_s = time.perf_counter() - start
    return summary


def sample(
    items: str | Path | Iterable[Mapping[str, Any]],
    output: str | Path,
    params: SamplingParams | None = None,
    *,
    model: str | None = None,
    n: int = 1,
    base_url: str | None = None,
    api_key: str | None = None,
    retry_errors: bool = False,
    on_progress: Callable[[int], None] | None = None,
    **param_fields: Any,
) -> SampleSummary:
    """Sample ``n`` outputs per item and append them to ``output`` (resumable).

    Example::

        rft_kit.sample("tasks.jsonl", "samples.jsonl", model="gpt-4.1-mini", n=4, temperature=1.0)

    Args:
        items: an items JSONL path or an iterable of item dicts (each needs an ``id``).
        output: the samples JSONL file; samples already in it are skipped.
        params: every sampling parameter; or give ``model``, ``n`` and any other :class:`SamplingParams` field as
            keywords.
        base_url: the OpenAI-compatible endpoint (default: the SDK's, i.e. ``OPENAI_BASE_URL`` or OpenAI);
            ``local``: rft-kit's in-process app with the SIMULATED models (:mod:`rft_kit.openai_client`).
        api_key: default ``OPENAI_API_KEY`` (``"local"`` when only a ``base_url`` is given).
        retry_errors: sample again the pairs whose earlier call failed (their error records are removed).
        on_progress: called with 1 after each sample is written.

    Returns:
        Counts of what was written, skipped, failed and retried, and token totals.

    Raises:
        InputError: the items file cannot be opened.
        ValueError: invalid parameters.
    """
    if params is None:
        if model is None:
            raise ValueError("give params or model")
        params = SamplingParams(model=model, n=n, **param_fields)
    elif model is not None or param_fields:
        raise ValueError("give either params or model and its keyword fields, not both")
    coro = sample_async(
        items, output, params, base_url=base_url, api_key=api_key, retry_errors=retry_errors, on_progress=on_progress
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from a running loop (a notebook cell): run the sampler's own loop in a worker thread.
    with cf.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
