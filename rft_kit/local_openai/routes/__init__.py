"""The route table: ``(method, path pattern) -> handler``.

To add an endpoint (``/v1/chat/completions`` next), write a module here with a :data:`RouteHandler` and add one
line to :data:`ROUTES`. A pattern segment ``{name}`` matches one path segment and reaches the handler as
``request.params["name"]``.
"""

from __future__ import annotations

from ..simulated_solver import with_solver
from .base import Request, Response, RouteHandler
from .chat import chat_completions
from .embeddings import create_embeddings
from .files import list_files, retrieve_file, upload_file
from .fine_tuning import cancel_job, create_job, list_checkpoints, list_events, list_jobs, retrieve_job
from .models import list_models, retrieve_model

__all__ = ["ROUTES", "Request", "Response", "RouteHandler", "match_route"]

ROUTES: dict[tuple[str, str], RouteHandler] = {
    # the simulated judge answers grading prompts; the simulated solver answers task prompts (sim-weak/base/strong)
    ("POST", "/v1/chat/completions"): with_solver(chat_completions),
    ("POST", "/v1/embeddings"): create_embeddings,
    ("GET", "/v1/models"): list_models,
    ("GET", "/v1/models/{model}"): retrieve_model,
    ("POST", "/v1/files"): upload_file,
    ("GET", "/v1/files"): list_files,
    ("GET", "/v1/files/{file_id}"): retrieve_file,
    ("POST", "/v1/fine_tuning/jobs"): create_job,
    ("GET", "/v1/fine_tuning/jobs"): list_jobs,
    ("GET", "/v1/fine_tuning/jobs/{job_id}"): retrieve_job,
    ("POST", "/v1/fine_tuning/jobs/{job_id}/cancel"): cancel_job,
    ("GET", "/v1/fine_tuning/jobs/{job_id}/events"): list_events,
    ("GET", "/v1/fine_tuning/jobs/{job_id}/checkpoints"): list_checkpoints,
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
