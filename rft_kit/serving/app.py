"""The application factory: a Starlette router behind one guard that every request passes first.

The guard, in order: checks the bearer token (constant-time, before routing, so an unauthenticated client learns
nothing about which paths exist and costs nothing per path; only the open paths skip it), refuses bad body framing
and announced oversized bodies before a byte is read, sets the request's arrival deadline, bounds the time to the
answer (504), turns every :class:`~rft_kit.serving.errors.HTTPError` (and the router's 404/405) into its JSON answer
and anything unexpected into a logged JSON 500, and records the request in the metrics under a bounded route label.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Final

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..io.request_log import RequestLog
from .body import DEADLINE_KEY, check_framing
from .errors import HTTPError, error_payload, json_bytes
from .metrics import ServerMetrics
from .settings import ServeSettings

__all__ = ["ERROR_KEY", "Guard", "json_response", "make_app", "metrics_response"]

ERROR_KEY: Final = "rft.error_kind"
"""Scope key: the error kind of the answer (set where the error is turned into a response)."""

_log = logging.getLogger("rft_kit.serving")


def json_response(payload: Any, status: int = 200, *, close: bool = False) -> Response:
    """A compact JSON response; NaN or infinity in ``payload`` is a 500 ``non_finite``, never invalid JSON."""
    try:
        data = json_bytes(payload)
    except ValueError:
        status, data = 500, json_bytes(error_payload("the server produced a non-finite number", "non_finite"))
    headers = {"connection": "close"} if close else None
    return Response(data, status, headers=headers, media_type="application/json")


def metrics_response(request: Request, metrics: ServerMetrics, extra: dict[str, Any] | None = None) -> Response:
    """Prometheus text for a scraper (``Accept: text/plain`` or OpenMetrics, or ``?format=prometheus``), else
    the JSON view."""
    accept = request.headers.get("accept", "")
    if request.query_params.get("format") == "prometheus" or "text/plain" in accept or "openmetrics" in accept:
        return Response(metrics.prometheus(), media_type="text/plain; version=0.0.4; charset=utf-8")
    return json_response(metrics.snapshot(extra))


def _starlette_error(request: Request, exc: StarletteHTTPException) -> Response:
    kind = {404: "not_found", 405: "bad_method"}.get(exc.status_code, "bad_request")
    request.scope[ERROR_KEY] = kind
    message = exc.detail
    if exc.status_code == 404:
        message = f"no route {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.url.path} does not take {request.method}"
    return json_response(error_payload(message, kind), exc.status_code)


class Guard:
    """The outermost ASGI layer (see the module docstring).

    Args:
        app: the router.
        settings: limits and auth.
        metrics: where requests are recorded.
        route_label: maps a path to its route label (the metrics bound unknown ones to ``(other)``).
        open_paths: paths served without a token.
    """

    def __init__(
        self,
        app: ASGIApp,
        settings: ServeSettings,
        metrics: ServerMetrics,
        route_label: Callable[[str], str],
        open_paths: Collection[str] = ("/health",),
    ) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.route_label = route_label
        self.open_paths = frozenset(open_paths)
        self._expected = None if settings.token is None else f"Bearer {settings.token}".encode()
        # written from a thread of its own: a stderr nobody reads must not stall the event loop
        self.request_log = RequestLog() if settings.log_requests else None

    def _authorised(self, scope: Scope) -> bool:
        if self._expected is None or scope["path"] in self.open_paths:
            return True
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        return hmac.compare_digest(given, self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope["app"] = self  # the router raises its 404/405 (answered here in JSON) instead of plain text
        scope[DEADLINE_KEY] = time.monotonic() + self.settings.request_timeout_s
        status = 0

        async def send_recorded(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if not self._authorised(scope):
                raise HTTPError(
                    401, "missing or wrong bearer token (Authorization: Bearer <token>)", "unauthorized", close=True
                )
            check_framing(scope, self.settings)
            async with asyncio.timeout(self.settings.handle_timeout_s):
                await self.app(scope, receive, send_recorded)
        except HTTPError as exc:
            scope[ERROR_KEY] = exc.kind
            if not status:
                await json_response(error_payload(exc.message, exc.kind), exc.status, close=exc.close)(
                    scope, receive, send_recorded
                )
        except StarletteHTTPException as exc:  # the router's 404 and 405
            if not status:
                await _starlette_error(Request(scope), exc)(scope, receive, send_recorded)
        except TimeoutError:
            scope[ERROR_KEY] = "timeout"
            if not status:
                message = f"the answer took longer than {self.settings.handle_timeout_s:g} s"
                await json_response(error_payload(message, "timeout"), 504, close=True)(scope, receive, send_recorded)
        except Exception as exc:  # a bug must answer 500, not drop the connection or the server
            scope.setdefault(ERROR_KEY, "internal")
            if not status:
                _log.error("internal error answering %s %s", scope["method"], scope["path"], exc_info=exc)
                payload = error_payload(f"internal error: {type(exc).__name__}: {exc}", "internal")
                await json_response(payload, 500)(scope, receive, send_recorded)
        elapsed = time.perf_counter() - started
        self.metrics.record(self.route_label(scope["path"]), status or 499, elapsed, error=scope.get(ERROR_KEY))
        if self.request_log is not None:
            client = (scope.get("client") or ("-",))[0]
            self.request_log.write(f"{client} {scope['method']} {scope['path']} {status} {elapsed * 1000:.1f} ms")

    def close(self) -> None:
        """Write out the queued request log lines (a stream that is behind gets a short wait, not forever)."""
        if self.request_log is not None:
            self.request_log.close()


def make_app(
    routes: Sequence[BaseRoute],
    *,
    settings: ServeSettings,
    metrics: ServerMetrics,
    route_label: Callable[[str], str],
    open_paths: Collection[str] = ("/health",),
    lifespan: Callable[[Any], AbstractAsyncContextManager[None]] | None = None,
) -> Guard:
    """The ASGI application: a Starlette router of ``routes`` behind the :class:`Guard`.

    The router is not wrapped in a ``Starlette`` application: its error middleware would answer in plain text,
    and the guard already turns every exception into its JSON answer (two layers less on every request).
    """
    return Guard(Router(routes=list(routes), lifespan=lifespan), settings, metrics, route_label, open_paths)
