"""The default route table: ``(method, path pattern) -> handler``.

To add an endpoint, write a module here with a :data:`RouteHandler` and add one line to :data:`DEFAULT_ROUTES`. A
pattern segment ``{name}`` matches one path segment and reaches the handler as ``request.params["name"]``. The
table is read-only: every :class:`~rft_kit.local_openai.app.LocalApp` copies it into a table of its own, so adding
an endpoint to one app (a test's fake fine-tuning API) changes no other. Which model answers a chat completion is
not a route's business: the chat route looks the model up in :mod:`rft_kit.local_openai.backends`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .base import Request, Response, RouteHandler
from .chat import chat_completions
from .embeddings import create_embeddings
from .models import list_models, retrieve_model

__all__ = ["DEFAULT_ROUTES", "Request", "Response", "RouteHandler", "RouteTable", "match_route"]

RouteTable = dict[tuple[str, str], RouteHandler]
"""One app's routes."""

DEFAULT_ROUTES: Mapping[tuple[str, str], RouteHandler] = MappingProxyType(
    {
        ("POST", "/v1/chat/completions"): chat_completions,
        ("POST", "/v1/embeddings"): create_embeddings,
        ("GET", "/v1/models"): list_models,
        ("GET", "/v1/models/{model}"): retrieve_model,
    }
)


def match_route(
    method: str, path: str, routes: Mapping[tuple[str, str], RouteHandler] = DEFAULT_ROUTES
) -> tuple[RouteHandler, dict[str, str]] | None:
    """Find the handler for a request in ``routes``, with its path parameters; ``None`` when no route matches."""
    exact = routes.get((method, path))
    if exact is not None:
        return exact, {}
    segments = path.strip("/").split("/")
    for (route_method, pattern), handler in routes.items():
        parts = pattern.strip("/").split("/")
        if route_method != method or len(parts) != len(segments):
            continue
        params: dict[str, str] = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = segment
            elif part != segment:
                break
        else:
            return handler, params
    return None
