"""The one request-handling path of the local OpenAI-compatible app, shared by every way of reaching it.

:class:`LocalApp` turns raw request parts (method, target, headers, body bytes) into a raw response (status, headers,
body bytes): it counts the request, parses the body (JSON, or a multipart form), finds the route in its own route
table, checks auth, applies the injected faults, calls the route and writes OpenAI-style errors. Two front ends feed
it and add nothing of their own:

* :mod:`.http_handler`, behind the real TCP server (:class:`~rft_kit.local_openai.tcp_server.LocalServer`,
  ``rft local-server``);
* :mod:`.transport`, an httpx transport that calls it in-process (``base_url: local``), with no socket at all.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .config import ServerConfig
from .errors import ApiError, error_body
from .multipart import parse_form
from .routes import DEFAULT_ROUTES, Request, RouteHandler, RouteTable, match_route
from .state import ServerState

__all__ = ["LocalApp", "RawResponse"]


@dataclass(frozen=True)
class RawResponse:
    """What goes back on the wire: status, headers (``Content-Type`` included) and the encoded body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass
class LocalApp:
    """A local OpenAI-compatible app: shared :class:`ServerState` plus its own route table.

    Args:
        state: settings, models, faults and counters.
        routes: ``(method, pattern) -> handler``; defaults to :data:`~rft_kit.local_openai.routes.DEFAULT_ROUTES`.
            Each app holds its own copy, so a test can add endpoints to one app without touching any other.
    """

    state: ServerState
    routes: RouteTable = field(default_factory=lambda: dict(DEFAULT_ROUTES))

    @classmethod
    def from_config(
        cls, config: ServerConfig | None = None, *, routes: Mapping[tuple[str, str], RouteHandler] | None = None
    ) -> LocalApp:
        """An app with fresh state for ``config`` and the default routes plus ``routes``.

        Raises:
            ValueError: ``config.default_embedding_model`` is not installed.
        """
        table = dict(DEFAULT_ROUTES)
        table.update(routes or {})
        return cls(ServerState.from_config(config or ServerConfig()), table)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> RawResponse:
        """Answer one request (``target`` is the path with its query string, e.g. ``/v1/models?limit=2``)."""
        state = self.state
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        state.stats.record_request(method, path)
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            parsed = self._parse_body(lowered, body)
            found = match_route(method, path, self.routes)
            if found is None:
                raise ApiError(404, f"Invalid URL ({method} {path})")
            handler, params = found
            self._check_auth(lowered)
            state.faults.before_request()
            query = dict(parse_qsl(url.query))
            response = handler(state, Request(method, path, parsed, params, lowered, query))
            return _encode(response.status, response.payload, response.headers)
        except ApiError as exc:
            extra = state.faults.retry_headers() if exc.code == "injected_fault" else {}
            if exc.code == "injected_fault":
                state.stats.record_fault()
            return _encode(exc.status, exc.body(), extra)
        except Exception as exc:  # a bug in a route must become a 500 for the client, not a dropped connection
            traceback.print_exc()
            return _encode(500, error_body(f"internal error in the local server: {exc!r}", type="server_error"), {})

    def _parse_body(self, headers: Mapping[str, str], raw: bytes) -> Mapping[str, Any]:
        if len(raw) > self.state.config.max_body_bytes:
            raise ApiError(413, f"request body of {len(raw)} bytes exceeds the limit")
        content_type = headers.get("content-type") or ""
        if content_type.startswith("multipart/form-data"):
            # File uploads; the form fields become the body.
            return parse_form(content_type, raw)
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"We could not parse the JSON body of your request: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    def _check_auth(self, headers: Mapping[str, str]) -> None:
        key = self.state.config.api_key
        if key is not None and headers.get("authorization") != f"Bearer {key}":
            raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")


def _encode(status: int, payload: Any, headers: Mapping[str, str]) -> RawResponse:
    data = json.dumps(payload, separators=(",", ":")).encode()
    return RawResponse(status, {"Content-Type": "application/json", **headers}, data)
