"""The async judge engine: bounded concurrency, retries, the reply cache, the ledger and structured-output fallback.

One engine per (endpoint, key, limits, cache file) and process, shared by every grader that uses those settings; it
lives on the private event loop of :mod:`rft_kit.judge.runner`. The official ``openai`` SDK (``AsyncOpenAI``) makes
the calls with its own retries switched off (``max_retries=0``), so the retries here are the only ones and are
counted in the ledger. Requests go through the SDK's generic ``post("/chat/completions")`` with a body built here
(auth, timeouts and error classes are the SDK's), spread over a few clients of at most 8 connections each: both
choices remove per-call CPU costs of the typed method and of large connection pools that otherwise cap throughput.

Per call:

1. The cache is read (unless bypassed); a hit returns at once, costs nothing and is allowed past a spent budget.
2. The budget is checked; a spent budget fails fast with ``model_grader_server_error`` "budget exhausted ...".
3. The request is sent holding one of ``concurrency`` semaphore slots (released while waiting to retry).
4. Each attempt has one deadline, ``timeout_s``, for all of it (connecting, headers, body); a reply is read at
   most ``max_reply_bytes`` (default 16 MiB, counted after gzip/deflate decoding, :mod:`rft_kit.http.capped`):
   a larger one fails the call at once, not retried.
5. HTTP 408/409/429/5xx, timeouts and connection errors are retried up to ``max_retries`` times, waiting what the
   response's ``retry-after-ms`` / ``retry-after`` asks (at most 60 s), else exponential backoff with jitter.
6. With ``structured_output: auto`` an HTTP 400 about the response format (its ``param`` is ``response_format``, or
   its message names ``response_format``, ``json_schema``, ``json_object``, ``schema`` or ``structured``) to a
   ``json_schema`` request is retried once as ``json_object`` and then as plain text, both with the schema written
   into the prompt; the engine remembers per model what worked. Any other 400 fails at once.
7. A 200 reply is charged to the ledger and stored in the cache (committed at the end of each batch).

Every failure becomes a :class:`~rft_kit.errors.GradeFailure` of kind ``model_api`` (flag
``model_grader_server_error``), with the endpoint, the model, the status and the attempts in its message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from ..errors import GradeFailure
from ..http import DEFAULT_MAX_REPLY_BYTES, ReplyTooLarge, too_large_cause
from ..io.escape import escape_value, has_surrogates
from ..openai_client import (
    api_message,
    async_client,
    backoff_s,
    is_local,
    is_retryable_status,
    resolve_api_key,
    retry_after_s,
)
from .cache import ReplyCache
from .calls import ChatRequest, JudgeReply
from .ledger import Ledger, Usage
from .schemas import fallback_instruction, response_format

__all__ = ["CacheMode", "EngineSettings", "JudgeEngine", "server_error"]

CacheMode = Literal["use", "refresh", "off"]
"""``use``: read and write; ``refresh``: call anyway and overwrite (self-consistency repeats); ``off``: no cache."""

_FLAG: Final = "model_grader_server_error"
_CONNECTIONS_PER_CLIENT: Final = 8
_FALLBACK: Final = {"json_schema": "json_object", "json_object": "none"}


def server_error(message: str) -> GradeFailure:
    """A ``model_api`` / ``model_grader_server_error`` failure."""
    return GradeFailure("model_api", _FLAG, message)


@dataclass(frozen=True)
class EngineSettings:
    """What makes two graders share an engine (and its semaphore, client and cache)."""

    base_url: str
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 16
    max_retries: int = 4
    timeout_s: float = 60.0
    cache_path: Path | None = None
    max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES


class _Attempt(Exception):
    """An attempt failed in a way that may be retried after ``wait_s`` (``None``: use backoff)."""

    def __init__(self, message: str, wait_s: float | None) -> None:
        super().__init__(message)
        self.message = message
        self.wait_s = wait_s


class _Rejected(Exception):
    """The endpoint answered 400 (a structured-output fallback may apply)."""


class JudgeEngine:
    """Sends judge calls for every grader with the same :class:`EngineSettings`; see the module docstring."""

    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.cache = ReplyCache(settings.cache_path) if settings.cache_path is not None else None
        self._clients: list[Any] = []
        self._next_client = 0
        self._semaphore: asyncio.Semaphore | None = None
        self._modes: dict[str, str] = {}

    # -- public --------------------------------------------------------------------------------------------------
    async def complete_many(
        self, requests: Sequence[ChatRequest], *, ledger: Ledger, cache: CacheMode = "use"
    ) -> list[JudgeReply | GradeFailure]:
        """Run ``requests`` concurrently (bounded); each outcome is a reply or the failure of that call."""
        outcomes = await asyncio.gather(
            *(self.complete(r, ledger=ledger, cache=cache) for r in requests), return_exceptions=True
        )
        if self.cache is not None:
            self.cache.flush()
        out: list[JudgeReply | GradeFailure] = []
        for outcome in outcomes:
            if isinstance(outcome, JudgeReply | GradeFailure):
                out.append(outcome)
            elif isinstance(outcome, Exception):  # a bug here must fail its pair, not the batch
                out.append(
                    GradeFailure("internal", "other_error", f"{type(outcome).__name__}: {outcome} (a bug in rft-kit)")
                )
            else:
                raise outcome  # KeyboardInterrupt / CancelledError: let them stop the run
        return out

    async def complete(self, request: ChatRequest, *, ledger: Ledger, cache: CacheMode = "use") -> JudgeReply:
        """One judge call; see the module docstring.

        Raises:
            GradeFailure: kind ``model_api`` when no reply could be obtained.
        """
        key = f"{self.settings.base_url}\n{request.fingerprint}"
        if self.cache is not None and cache == "use":
            stored = self.cache.get(key)
            if stored is not None:
                ledger.record_cache_hit()
                return JudgeReply.from_dict(stored, cached=True)
        reply = await self._call_with_retries(request, ledger)
        if self.cache is not None and cache != "off":
            self.cache.put(key, reply.to_dict())
        return reply

    # -- calling -------------------------------------------------------------------------------------------------
    async def _call_with_retries(self, request: ChatRequest, ledger: Ledger) -> JudgeReply:
        mode = self._start_mode(request)
        attempt = 0
        while True:
            spent = ledger.exhausted()
            if spent is not None:
                raise server_error(f"{spent}; no further calls to {request.model} are made in this run")
            try:
                return await self._call(request, mode, ledger)
            except _Rejected as exc:
                following = _FALLBACK.get(mode) if request.structured_output == "auto" else None
                if following is None:
                    raise server_error(self._describe(request, f"{exc} (not retried)")) from None
                # Remember for this model, so later calls skip the doomed attempt.
                self._modes[request.model] = mode = following
            except _Attempt as exc:
                if attempt >= self.settings.max_retries:
                    tries = f"after {attempt + 1} attempt{'s' if attempt else ''}"
                    raise server_error(self._describe(request, f"{exc.message} ({tries})")) from None
                ledger.record_retry()
                await asyncio.sleep(exc.wait_s if exc.wait_s is not None else backoff_s(attempt))
                attempt += 1

    def _start_mode(self, request: ChatRequest) -> str:
        if request.structured_output == "auto":
            return self._modes.get(request.model, "json_schema")
        return request.structured_output

    def _describe(self, request: ChatRequest, detail: str) -> str:
        return f"judge call to {self.settings.base_url} (model {request.model!r}) failed: {detail}"

    def _body(self, request: ChatRequest, mode: str) -> dict[str, Any]:
        body = self._kwargs(request, mode)
        # The SDK sends UTF-8, which cannot carry an unpaired surrogate a sample quoted into the prompt: the judge
        # sees its escape as text instead of the call failing.
        return body if not has_surrogates(body) else escape_value(body)[0]

    def _kwargs(self, request: ChatRequest, mode: str) -> dict[str, Any]:
        messages = [dict(m) for m in request.messages]
        kwargs: dict[str, Any] = dict(request.params)
        if mode == "json_schema":
            kwargs["response_format"] = response_format(request.schema_name, request.schema)
        else:
            if mode == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
            messages = _with_instruction(messages, fallback_instruction(request.schema_name, request.schema))
        kwargs["model"] = request.model
        kwargs["messages"] = messages
        return kwargs

    async def _call(self, request: ChatRequest, mode: str, ledger: Ledger) -> JudgeReply:
        import openai

        client = self._get_client()
        semaphore = self._get_semaphore()
        try:
            async with semaphore:
                # One deadline for the whole attempt: httpx's timeout applies to each read, so an endpoint that
                # trickles its headers or body a byte at a time would otherwise hold the call for ever.
                async with asyncio.timeout(self.settings.timeout_s):
                    # The SDK's generic post, not the typed chat.completions.create: that one walks the whole body
                    # (the strict JSON schema included) through TypedDict annotations, a CPU cost per call that
                    # caps a concurrent engine (benchmarks/bench_judge.py measures it). The body is already JSON.
                    response = await client.post("/chat/completions", cast_to=object, body=self._body(request, mode))
        except TimeoutError:
            raise _Attempt(f"timed out after {self.settings.timeout_s:g} s", None) from None
        except ReplyTooLarge as exc:  # the same request would get the same reply: not retried
            raise server_error(self._describe(request, f"{exc} (rft_options.max_reply_bytes)")) from None
        except openai.APIStatusError as exc:
            message = f"HTTP {exc.status_code}: {api_message(exc)}"
            if exc.status_code == 400 and mode != "none" and _about_response_format(exc):
                raise _Rejected(message) from None
            if is_retryable_status(exc.status_code):
                raise _Attempt(message, retry_after_s(exc.response.headers)) from None
            raise server_error(self._describe(request, f"{message}. {_hint(exc.status_code, request.model)}")) from None
        except openai.APITimeoutError:
            raise _Attempt(f"timed out after {self.settings.timeout_s:g} s", None) from None
        except openai.APIConnectionError as exc:
            too_large = too_large_cause(exc)
            if too_large is not None:  # the same request would get the same reply: not retried
                raise server_error(self._describe(request, f"{too_large} (rft_options.max_reply_bytes)")) from None
            cause = exc.__cause__ or exc
            raise _Attempt(f"could not connect ({type(cause).__name__}: {cause})", None) from None
        except (openai.OpenAIError, ValueError, TypeError) as exc:
            raise server_error(self._describe(request, f"unusable response ({type(exc).__name__}: {exc})")) from None
        return self._reply(request, response, mode, ledger)

    def _reply(self, request: ChatRequest, response: Any, mode: str, ledger: Ledger) -> JudgeReply:
        try:
            choice = response["choices"][0]
            message = choice["message"]
            content = message.get("content")
            usage = _usage(response.get("usage"))
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            raise server_error(self._describe(request, f"malformed response ({type(exc).__name__}: {exc})")) from None
        served = response.get("model")
        ledger.record(request.model, usage)
        return JudgeReply(
            content=content if isinstance(content, str) else None,
            refusal=message.get("refusal") or None,
            finish_reason=str(choice.get("finish_reason") or "stop"),
            usage=usage,
            model=served if isinstance(served, str) and served else request.model,
            mode=mode,
        )

    # -- lazily created, on the engine's event loop ---------------------------------------------------------------
    def _get_client(self) -> Any:
        # Several small clients instead of one big pool: httpcore scans every pooled connection for every request
        # it assigns, so one big pool costs CPU per call (benchmarks/bench_judge.py measures it); shards of <= 8
        # keep that small. The in-process app (`local`) has no connections to pool: one client.
        if not self._clients:
            shards = 1 if is_local(self.settings.base_url) else -(-self.settings.concurrency // _CONNECTIONS_PER_CLIENT)
            key = self._api_key()
            self._clients = [
                async_client(
                    self.settings.base_url,
                    key,
                    max_retries=0,
                    timeout=self.settings.timeout_s,
                    max_reply_bytes=self.settings.max_reply_bytes,
                )
                for _ in range(max(1, shards))
            ]
        self._next_client = (self._next_client + 1) % len(self._clients)
        return self._clients[self._next_client]

    def _get_semaphore(self) -> asyncio.Semaphore:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        return self._semaphore

    def _api_key(self) -> str:
        key = resolve_api_key(self.settings.base_url, self.settings.api_key_env)
        if key is not None:
            return key
        raise server_error(
            f"no API key for {self.settings.base_url}: set the environment variable {self.settings.api_key_env} "
            "(or name another one with rft_options.api_key_env), or point rft_options.base_url at a local "
            "server (`rft local-server`)"
        )


def _with_instruction(messages: list[dict[str, Any]], instruction: str) -> list[dict[str, Any]]:
    """Append the schema instruction to the last user message (a trailing system message upsets some templates)."""
    last = messages[-1] if messages else None
    if last is not None and last.get("role") == "user":
        content = last.get("content")
        if isinstance(content, str):
            messages[-1] = {**last, "content": f"{content}\n\n{instruction}"}
        else:
            messages[-1] = {**last, "content": [*(content or []), {"type": "text", "text": instruction}]}
        return messages
    return [*messages, {"role": "user", "content": instruction}]


def _about_response_format(exc: Any) -> bool:
    """Whether a 400 is about structured output (anything else would fail the same way without it)."""
    body = getattr(exc, "body", None)
    error = body.get("error", body) if isinstance(body, Mapping) else None
    if isinstance(error, Mapping) and error.get("param") == "response_format":
        return True
    text = api_message(exc).lower()
    return any(word in text for word in ("response_format", "json_schema", "json_object", "structured", "schema"))


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, Mapping):
        return Usage()
    details = raw.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
    prompt, completion = int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
    return Usage(prompt, completion, int(raw.get("total_tokens") or prompt + completion), int(cached or 0))


def _hint(status: int, model: str) -> str:
    if status in (401, 403):
        return "Check the API key."
    if status == 404:
        return f"The endpoint may not serve {model!r}; pick a model it lists at /models."
    return "The endpoint refused the request."
