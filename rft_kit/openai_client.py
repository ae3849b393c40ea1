"""What every caller of an OpenAI-compatible endpoint shares: client construction, the retry policy and error text.

The judge engine (:mod:`rft_kit.judge.engine`), the sampler (:mod:`rft_kit.sampling.sampler`) and the ``cosine``
metric (:mod:`rft_kit.similarity.cosine`) build their ``openai`` clients here, so they resolve endpoints, API keys
and the special ``base_url: local`` the same way:

* ``local`` (:data:`LOCAL`) is rft-kit's local OpenAI-compatible app with its SIMULATED models, reached through an
  in-process httpx transport (:mod:`rft_kit.local_openai.transport`): the SDK's full request path runs, but no TCP
  server is started and no port is opened. One app per process serves every such client.
* a loopback URL (``http://127.0.0.1:8000/v1``) without an API key gets a placeholder key, since local servers do
  not check it.

The retry policy (:func:`is_retryable_status`, :func:`retry_after_s`, :func:`backoff_s`) is the one the judge and
the sampler apply around SDK clients made with ``max_retries=0``, so that every retry is counted.

Importing this module imports neither ``openai`` nor its HTTP library; the client factories do, on first call.
"""

from __future__ import annotations

import email.utils
import ipaddress
import os
import random
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import openai

__all__ = [
    "LOCAL",
    "LOCAL_PLACEHOLDER_KEY",
    "MAX_WAIT_S",
    "api_message",
    "async_client",
    "backoff_s",
    "is_local",
    "is_loopback",
    "is_retryable_status",
    "resolve_api_key",
    "retry_after_s",
    "sync_client",
]

LOCAL: Final = "local"
"""The ``base_url`` of rft-kit's in-process local app (SIMULATED models; for offline checks, never for grading)."""
LOCAL_PLACEHOLDER_KEY: Final = "rft-kit-local"
"""The API key sent to endpoints that do not check one (``local`` and loopback servers)."""
_LOCAL_ORIGIN: Final = "http://rft-kit.local/v1"
"""The URL the SDK sees for ``local``: never resolved, the in-process transport answers it."""

BASE_S: Final = 0.5
CAP_S: Final = 8.0
MAX_WAIT_S: Final = 60.0
"""A server-requested wait longer than this is cut to it, so one header cannot stall a run for hours."""


# -- endpoints and keys ------------------------------------------------------------------------------------------
def is_local(base_url: str | None) -> bool:
    """Whether ``base_url`` names the in-process local app (``local``)."""
    return base_url == LOCAL


def is_loopback(base_url: str | None) -> bool:
    """Whether ``base_url`` is the in-process app or a server on this machine (no real key needed)."""
    if base_url is None:
        return False
    if is_local(base_url):
        return True
    host = urlsplit(base_url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def resolve_api_key(base_url: str | None, env: str = "OPENAI_API_KEY") -> str | None:
    """The key in ``$env``; else a placeholder for local endpoints; else ``None`` (the caller says what to set)."""
    key = os.environ.get(env)
    if key:
        return key
    return LOCAL_PLACEHOLDER_KEY if is_loopback(base_url) else None


def sync_client(
    base_url: str | None, api_key: str | None, *, max_retries: int = 0, timeout: float = 60.0
) -> openai.OpenAI:
    """An ``openai.OpenAI`` client for ``base_url`` (``local``: the in-process app; ``None``: the SDK's)."""
    import openai

    if is_local(base_url):
        from .local_openai.transport import LocalTransport, httpx, shared_app

        http = httpx.Client(transport=LocalTransport(shared_app()), timeout=timeout)
        return openai.OpenAI(
            base_url=_LOCAL_ORIGIN,
            api_key=api_key or LOCAL_PLACEHOLDER_KEY,
            max_retries=max_retries,
            timeout=timeout,
            http_client=http,
        )
    return openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=max_retries, timeout=timeout)


def async_client(
    base_url: str | None,
    api_key: str | None,
    *,
    max_retries: int = 0,
    timeout: float = 60.0,
    max_reply_bytes: int | None = None,
    aiohttp: bool = False,
) -> openai.AsyncOpenAI:
    """An ``openai.AsyncOpenAI`` client for ``base_url`` (``local``: the in-process app; ``None``: the SDK's).

    ``max_reply_bytes`` caps every reply from a remote endpoint, counted after decompression
    (:mod:`rft_kit.http.capped`); the in-process app is trusted and needs no cap. ``aiohttp`` carries those capped
    requests over the SDK's aiohttp transport (the ``aiohttp`` extra must be installed).
    """
    import openai

    if is_local(base_url):
        from .local_openai.transport import AsyncLocalTransport, httpx, shared_app

        http = httpx.AsyncClient(transport=AsyncLocalTransport(shared_app()), timeout=timeout)
        return openai.AsyncOpenAI(
            base_url=_LOCAL_ORIGIN,
            api_key=api_key or LOCAL_PLACEHOLDER_KEY,
            max_retries=max_retries,
            timeout=timeout,
            http_client=http,
        )
    if max_reply_bytes is None:
        return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=max_retries, timeout=timeout)
    from .http import capped_http_client

    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=api_key,
        max_retries=max_retries,
        timeout=timeout,
        http_client=capped_http_client(max_reply_bytes, aiohttp=aiohttp),
    )


# -- errors ------------------------------------------------------------------------------------------------------
def api_message(exc: object) -> str:
    """The message of an SDK error: the body's ``error.message`` (OpenAI's shape), else the exception's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            return str(error["message"])
    return str(getattr(exc, "message", exc))


# -- retries -----------------------------------------------------------------------------------------------------
def is_retryable_status(status: int) -> bool:
    """Timeouts, conflicts, rate limits and server errors are worth retrying; other 4xx are not."""
    return status in (408, 409, 429) or status >= 500


def backoff_s(attempt: int, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ``min(8, 0.5 * 2**attempt)`` scaled by a random factor in [0.5, 1)."""
    delay = min(CAP_S, BASE_S * 2.0**attempt)
    draw = rng.random() if rng is not None else random.random()
    return delay * (0.5 + draw / 2)


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """The wait a response asks for: ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return min(MAX_WAIT_S, max(0.0, float(raw_ms) / 1000.0))
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    try:
        return min(MAX_WAIT_S, max(0.0, float(raw)))
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return min(MAX_WAIT_S, max(0.0, email.utils.mktime_tz(parsed) - time.time()))
