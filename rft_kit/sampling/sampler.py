"""Sampling K outputs per item from any OpenAI-compatible endpoint, through the official SDK.

Requests run concurrently, at most ``concurrency`` at a time; items are read lazily, so memory does not grow with the
task set. Each finished sample is appended and flushed at once, in completion order, so a killed run loses only the
requests in flight; a re-run skips every ``(item_id, sample_index)`` already in the file. The SDK's own retries are
off: this module retries 408/409/429/5xx and connection failures itself, honouring ``Retry-After``, so that retries
are counted. A call that still fails is written as a sample with an ``error``, never dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai

from ..errors import InputError
from ..http import ReplyTooLarge, capped_http_client, too_large_cause
from ..io.escape import escape_surrogates, escape_value, has_surrogates
from ..io.jsonl import InputErrorLog, JsonlWriter, iter_jsonl
from ..judge.retry import backoff_s, is_retryable_status, retry_after_s
from .params import SamplingParams
from .request import build_request, error_record, sample_record
from .resume import SampleKey, done_keys

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


def _items(items: str | Path | Iterable[Mapping[str, Any]], summary: SampleSummary) -> Iterator[Mapping[str, Any]]:
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
            summary.add_input_error(error)
            continue
        yield value


class _Caller:
    """One chat completion per call, with our retry loop around the SDK."""

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
        attempts = 0
        while True:
            attempts += 1
            started = time.perf_counter()
            wait: float | None = None
            try:
                # One deadline per attempt: the SDK's timeout applies to each read, so a trickling endpoint would
                # otherwise hold the sample (and a concurrency slot) for as long as it keeps sending.
                async with asyncio.timeout(self.params.timeout_s):
                    completion = await self.client.chat.completions.create(**request)
            except TimeoutError:
                kind, message, status_code = "timeout", f"no complete reply within {self.params.timeout_s:g} s", None
                wait = backoff_s(attempts - 1, self.rng)
            except ReplyTooLarge as exc:  # the same request would get the same reply: not retried
                kind, message, status_code = "response", str(exc), None
            except openai.APIStatusError as exc:
                status = exc.status_code
                kind, message, status_code = "http", _message(exc), status
                if is_retryable_status(status):
                    wait = retry_after_s(dict(exc.response.headers))
                    wait = wait if wait is not None else backoff_s(attempts - 1, self.rng)
            except openai.APITimeoutError as exc:
                kind, message, status_code = "timeout", str(exc), None
                wait = backoff_s(attempts - 1, self.rng)
            except openai.APIConnectionError as exc:
                too_large = too_large_cause(exc)
                if too_large is not None:  # the same request would get the same reply: not retried
                    kind, message, status_code = "response", str(too_large), None
                else:
                    kind, message, status_code = "connection", f"{exc}: {exc.__cause__ or ''}".rstrip(": "), None
                    wait = backoff_s(attempts - 1, self.rng)
            except (openai.OpenAIError, ValueError) as exc:
                # The endpoint answered something the SDK cannot read as a completion: retrying will not help.
                kind, message, status_code = "response", f"{type(exc).__name__}: {exc}", None
            else:
                latency_ms = (time.perf_counter() - started) * 1000
                dump = completion.model_dump(mode="json", exclude_unset=True)
                return sample_record(
                    dump, item_id=item_id, sample_index=sample_index, latency_ms=latency_ms, attempts=attempts
                )
            latency_ms = (time.perf_counter() - started) * 1000
            if wait is None or attempts > self.params.max_retries:
                return error_record(
                    **common, kind=kind, message=message, status=status_code, latency_ms=latency_ms, attempts=attempts
                )
            await asyncio.sleep(wait)


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return f"HTTP {exc.status_code}: {inner['message']}"
    return f"HTTP {exc.status_code}: {exc.message}"


def _client(base_url: str | None, api_key: str | None, params: SamplingParams) -> openai.AsyncOpenAI:
    key = api_key or os.environ.get("OPENAI_API_KEY") or ("local" if base_url else None)
    # max_retries=0: the SDK would retry silently; ours counts retries and records the final outcome.
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=key,
        max_retries=0,
        timeout=params.timeout_s,
        http_client=capped_http_client(params.max_reply_bytes),
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
    # Locked before reading what is done: a second process on the same output stops here.
    writer = JsonlWriter(out, inputs=[("items", items if isinstance(items, str | Path) else None)])
    try:
        done: set[SampleKey] = done_keys(out, retry_errors=retry_errors) if writer.regular else set()
        if retry_errors and writer.regular:
            writer.reopen()  # done_keys replaced the file; append to (and lock) the new one
    except BaseException:
        writer.close()
        raise
    owned = client is None
    api = client or _client(base_url, api_key, params)
    caller = _Caller(api, params, random.Random(0))
    slots = asyncio.Semaphore(params.concurrency)
    running: set[asyncio.Task[None]] = set()

    async def one(item: Mapping[str, Any], index: int) -> None:
        try:
            record = await caller(item, index)
        finally:
            slots.release()
        writer.write(record)
        summary.add(record)
        if on_progress is not None:
            on_progress(1)

    try:
        for item in _items(items, summary):
            # compared with ids read back from the output, where an unpaired surrogate was escaped
            item_id = escape_surrogates(str(item["id"]))[0]
            for index in range(params.n):
                if (item_id, index) in done:
                    summary.skipped += 1
                    continue
                done.add((item_id, index))  # an id repeated in the items file is sampled once
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
        base_url: the OpenAI-compatible endpoint (default: the SDK's, i.e. ``OPENAI_BASE_URL`` or OpenAI).
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
