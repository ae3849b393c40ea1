"""What a route receives and returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..state import ServerState

__all__ = ["Request", "Response", "RouteHandler"]


@dataclass(frozen=True)
class Request:
    """One parsed API request.

    Attributes:
        method: ``GET``, ``POST``, ...
        path: the URL path without the query string (``/v1/embeddings``).
        body: the JSON body (an object; ``{}`` when there is none).
        params: values of ``{name}`` segments of the route pattern (``/v1/models/{model}``).
        headers: request headers, names lower-cased.
        query: query-string parameters (the last value of a repeated name).
    """

    method: str
    path: str
    body: Mapping[str, Any]
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    """A JSON response.

    Attributes:
        payload: the JSON-able body.
        status: HTTP status.
        headers: extra headers.
    """

    payload: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


RouteHandler = Callable[[ServerState, Request], Response]
"""A route: answers a request, or raises :class:`~rft_kit.local_openai.errors.ApiError`."""
