"""httpx transports that hand requests straight to a :class:`~rft_kit.local_openai.app.LocalApp`, in-process.

This is what ``base_url: local`` means (:func:`rft_kit.openai_client.async_client`): the ``openai`` SDK builds,
sends and parses real HTTP requests and responses, but the bytes never touch a socket, so no server thread is
started and no port is opened. The app is the same one the TCP server runs (:mod:`.app`), so both paths answer
identically.

The transports are written against the HTTP library the installed ``openai`` SDK uses (``httpx2`` in recent
releases, ``httpx`` before; both have the same transport interface), so the SDK accepts the clients built on them.

The async transport runs the app in a worker thread (``asyncio.to_thread``): routes are synchronous and may sleep
(injected latency, ``think_s``), which must not stall the caller's event loop.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx2 as httpx
else:  # the HTTP library of the installed openai SDK: httpx2 for recent releases, httpx before
    try:
        import httpx2 as httpx
    except ImportError:
        import httpx

from .app import LocalApp, RawResponse
from .config import ServerConfig

__all__ = ["AsyncLocalTransport", "LocalTransport", "httpx", "shared_app"]

_SHARED_LOCK = threading.Lock()
_SHARED: list[LocalApp] = []


def shared_app() -> LocalApp:
    """The process's app behind ``base_url: local``, created on first use.

    Its embeddings default to ``hashing-embed-256`` (SIMULATED, always installed), so ``local`` answers the same
    on every machine whatever extras are installed.
    """
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(LocalApp.from_config(ServerConfig(default_embedding_model="hashing-embed-256")))
        return _SHARED[0]


def _target(request: httpx.Request) -> str:
    return request.url.raw_path.decode("ascii")


def _response(raw: RawResponse, request: httpx.Request) -> httpx.Response:
    return httpx.Response(raw.status, headers=dict(raw.headers), content=raw.body, request=request)


class LocalTransport(httpx.BaseTransport):
    """A sync httpx transport answering every request with ``app`` (``httpx.Client(transport=...)``)."""

    def __init__(self, app: LocalApp) -> None:
        self.app = app

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        raw = self.app.handle(request.method, _target(request), dict(request.headers.items()), body)
        return _response(raw, request)


class AsyncLocalTransport(httpx.AsyncBaseTransport):
    """An async httpx transport answering every request with ``app`` (``httpx.AsyncClient(transport=...)``)."""

    def __init__(self, app: LocalApp) -> None:
        self.app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        headers = dict(request.headers.items())
        raw = await asyncio.to_thread(self.app.handle, request.method, _target(request), headers, body)
        return _response(raw, request)
