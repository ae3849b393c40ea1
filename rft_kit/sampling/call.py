"""One chat completion through the official SDK, with rft-kit's own counted retries around it.

The SDK's retries are off (:func:`make_client`): this module retries 408/409/429/5xx, timeouts and connection
failures itself, honouring ``Retry-After``, so that every retry is counted and the final outcome is recorded.
Shared by ``rft sample`` (one call per sample) and ``rft rollout`` (one call per episode turn).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import openai

from ..http import DEFAULT_MAX_REPLY_BYTES, ReplyTooLarge, too_large_cause
from ..http.causes import find_cause
from ..openai_client import api_message, async_client, backoff_s, is_retryable_status, retry_after_s

__all__ = ["CallOutcome", "aiohttp_available", "create_with_retries", "make_client"]


@dataclass(frozen=True)
class CallOutcome:
    """A finished call: the completion (``model_dump`` of a ``ChatCompletion``) or why there is none.

    Attributes:
        completion: the completion, or ``None`` when the call failed.
        kind: on failure, ``http``, ``timeout``, ``connection`` or ``response`` (the SDK could not read the answer).
        message: on failure, what went wrong.
        status: the HTTP status of a failed call, when there was one.
        latency_ms: time of the last attempt.
        attempts: attempts made (1 + retries).
    """

    completion: dict[str, Any] | None
    latency_ms: float
    attempts: int
    kind: str = ""
    message: str = ""
    status: int | None = None

    def error(self) -> dict[str, Any]:
        """The ``error`` object of a sample record (``kind``, ``message``, and ``status`` when known)."""
        error: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.status is not None:
            error["status"] = self.status
        return error


def _message(exc: openai.APIStatusError) -> str:
    return f"HTTP {exc.status_code}: {api_message(exc)}"


def _connection_cause(exc: BaseException) -> ConnectionError | None:
    """The ``ConnectionError`` (refused, reset) behind an SDK exception, if there is one."""
    return find_cause(exc, ConnectionError)


async def _create(client: openai.AsyncOpenAI, request: Mapping[str, Any], raw: bool) -> dict[str, Any]:
    if not raw:
        completion = await client.chat.completions.create(**request)
        dumped: dict[str, Any] = completion.model_dump(mode="json", exclude_unset=True)
        return dumped
    response = await client.chat.completions.with_raw_response.create(**request)
    body = json.loads(response.http_response.content)
    if not isinstance(body, dict):
        raise ValueError(f"the endpoint answered a JSON {type(body).__name__}, not a chat completion object")
    return body


async def create_with_retries(
    client: openai.AsyncOpenAI,
    request: Mapping[str, Any],
    *,
    max_retries: int,
    rng: random.Random,
    timeout_s: float,
    raw: bool = False,
) -> CallOutcome:
    """``client.chat.completions.create(**request)``, retried up to ``max_retries`` times when worth it.

    Args:
        raw: return the response body as the endpoint sent it (``with_raw_response``), without building the SDK's
            pydantic model and dumping it back: the caller checks the shape it needs. Rollouts make one call per turn
            and read only ``choices[0].message`` and ``usage`` (``benchmarks/bench_rollout.py`` measures this).
    """
    attempts = 0
    while True:
        attempts += 1
        started = time.perf_counter()
        wait: float | None = None
        status: int | None = None
        try:
            # One deadline per attempt: the SDK's timeout applies to each read, so a trickling endpoint would
            # otherwise hold the call (and a concurrency slot) for as long as it keeps sending.
            async with asyncio.timeout(timeout_s):
                completion = await _create(client, request, raw)
        except TimeoutError:
            kind, message = "timeout", f"no complete reply within {timeout_s:g} s"
            wait = backoff_s(attempts - 1, rng)
        except ReplyTooLarge as exc:  # the same request would get the same reply: not retried
            kind, message = "response", str(exc)
        except openai.APIStatusError as exc:
            status = exc.status_code
            kind, message = "http", _message(exc)
            if is_retryable_status(status):
                wait = retry_after_s(dict(exc.response.headers))
                wait = wait if wait is not None else backoff_s(attempts - 1, rng)
        except openai.APITimeoutError as exc:
            refused = _connection_cause(exc)
            if refused is None:
                kind, message = "timeout", str(exc)
            else:  # the aiohttp transport reports a refused connection as a connect timeout
                kind, message = "connection", f"Connection error: {refused}"
            wait = backoff_s(attempts - 1, rng)
        except openai.APIConnectionError as exc:
            too_large = too_large_cause(exc)
            if too_large is not None:  # the same request would get the same reply: not retried
                kind, message = "response", str(too_large)
            else:
                kind, message = "connection", f"{exc}: {exc.__cause__ or ''}".rstrip(": ")
                wait = backoff_s(attempts - 1, rng)
        except (openai.OpenAIError, ValueError) as exc:
            # The endpoint answered something the SDK cannot read as a completion: retrying will not help.
            kind, message = "response", f"{type(exc).__name__}: {exc}"
        else:
            latency_ms = (time.perf_counter() - started) * 1000
            return CallOutcome(completion, latency_ms, attempts)
        latency_ms = (time.perf_counter() - started) * 1000
        if wait is None or attempts > max_retries:
            return CallOutcome(None, latency_ms, attempts, kind=kind, message=message, status=status)
        await asyncio.sleep(wait)


def aiohttp_available() -> bool:
    """Whether the SDK's aiohttp transport can be used (the ``aiohttp`` extra is installed)."""
    return importlib.util.find_spec("aiohttp") is not None


def make_client(
    base_url: str | None,
    api_key: str | None,
    timeout_s: float,
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
    *,
    prefer_aiohttp: bool = False,
) -> openai.AsyncOpenAI:
    """An ``AsyncOpenAI`` client with the SDK's own retries off (ours count them); key ``"local"`` for a bare URL.

    ``base_url="local"`` answers from the packaged SIMULATED models in this process (no server, no port); a remote
    endpoint's replies are capped at ``max_reply_bytes`` after decompression (:mod:`rft_kit.http.capped`).

    Args:
        prefer_aiohttp: carry the capped requests over the SDK's aiohttp transport when aiohttp is installed: at
            dozens of concurrent requests it costs markedly less CPU per call than the default httpx pool
            (``benchmarks/bench_rollout.py``); without aiohttp the default transport is used.
    """
    key = api_key or os.environ.get("OPENAI_API_KEY") or ("local" if base_url else None)
    return async_client(
        base_url,
        key,
        max_retries=0,
        timeout=timeout_s,
        max_reply_bytes=max_reply_bytes,
        aiohttp=prefer_aiohttp and aiohttp_available(),
    )
