"""``GET /v1/models`` and ``GET /v1/models/{model}``."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..state import ServerState
from .base import Request, Response

__all__ = ["list_models", "retrieve_model"]


def _model_object(model_id: str, served_by: str) -> dict[str, Any]:
    # owned_by says plainly when an OpenAI id is only a local stand-in.
    owner = "rft-kit" if model_id == served_by else f"rft-kit (local stand-in: {served_by}, not OpenAI's model)"
    return {"id": model_id, "object": "model", "created": 0, "owned_by": owner}


def list_models(state: ServerState, request: Request) -> Response:
    """List every model id the server answers for."""
    data = [_model_object(model_id, served) for model_id, served in state.embeddings.ids().items()]
    return Response({"object": "list", "data": data})


def retrieve_model(state: ServerState, request: Request) -> Response:
    """Describe one model id, or 404."""
    model_id = request.params["model"]
    served = state.embeddings.ids().get(model_id)
    if served is None:
        raise ApiError(404, f"The model `{model_id}` does not exist on this local server.", code="model_not_found")
    return Response(_model_object(model_id, served))
