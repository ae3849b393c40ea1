"""The one HTTP stack of every server rft-kit runs for others: an ASGI application (Starlette) on uvicorn.

Why Starlette rather than FastAPI: the servers have a handful of routes with hand-checked JSON bodies whose errors
must say exactly which field is wrong in the words of the protocol; FastAPI's value is pydantic models and OpenAPI,
which we would not use, at the cost of a dependency and per-request validation overhead. Why uvicorn with the
httptools parser: keep-alive, chunked bodies, pipelining and graceful shutdown on SIGTERM come from a widely used
server, and httptools (llhttp) parses strictly (no request smuggling through ambiguous framing).

The pieces: :mod:`.settings` (limits, deadlines, token), :mod:`.app` (the guard every request passes first: auth,
framing, deadlines, JSON errors, metrics), :mod:`.body` (bounded body and JSON reading), :mod:`.metrics` (JSON and
Prometheus), :mod:`.protocol` (deadlines on headers), :mod:`.runner` (uvicorn in a thread or the foreground).

Importing :mod:`rft_kit` does not import this package; it needs the ``serve`` extra.
"""

from __future__ import annotations

from .app import Guard, json_response, make_app, metrics_response
from .body import read_json
from .errors import HTTPError
from .metrics import ServerMetrics
from .runner import BackgroundServer, bind, run_foreground
from .settings import ServeSettings

__all__ = [
    "BackgroundServer",
    "Guard",
    "HTTPError",
    "ServeSettings",
    "ServerMetrics",
    "bind",
    "json_response",
    "make_app",
    "metrics_response",
    "read_json",
    "run_foreground",
]
