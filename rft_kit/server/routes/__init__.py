"""The route table: ``(method, path pattern) -> handler``.

To add an endpoint (``/v1/chat/completions`` next), write a module here with a :data:`RouteHandler` and add one
line to :data:`ROUTES`. A pattern segment ``{name}`` matches one path segment and reaches the handler as
``request.params["name"]``.
"""

from __future__ import annotations

from .base import Request, Response, RouteHandler
from .embeddings import create_embeddings
from .models import list_models, retrieve_model

__all__ = ["ROUTES", "Request", "Response", "RouteHandler", "match_route"]

ROUTES: dict[tuple[str, str], RouteHandler] = {
    ("POST", "/v1/embeddings"): create_embeddings,
    ("GET", "/v1/models"): list_models,
    ("GET", "/v1/models/{model}"): retrieve_model,
}


def match_route(method: str, path: str) -> tuple[RouteHandler, dict[str, str]] | None:
    """Find the handler for a request, with its path parameters; ``None`` when no route matches."""
    exact = ROUTES.get((method, path))
    if exact is not None:
        return exact, {}
    segments = path.strip("/").split("/")
    for (route_method, pattern), handler in ROUTES.items():
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
