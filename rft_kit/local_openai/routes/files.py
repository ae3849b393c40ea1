"""``POST /v1/files`` (multipart upload), ``GET /v1/files`` and ``GET /v1/files/{file_id}``."""

from __future__ import annotations

from typing import Final

from ..errors import ApiError
from ..multipart import FormFile
from ..state import ServerState
from .base import Request, Response

__all__ = ["list_files", "retrieve_file", "upload_file"]

PURPOSES: Final = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


def upload_file(state: ServerState, request: Request) -> Response:
    """Store an uploaded file; the form needs ``file`` and a known ``purpose``."""
    upload = request.body.get("file")
    purpose = request.body.get("purpose")
    if not isinstance(upload, FormFile):
        raise ApiError(400, "Missing required parameter: 'file' (send multipart/form-data).", param="file")
    if purpose not in PURPOSES:
        raise ApiError(
            400, f"Invalid value for 'purpose': {purpose!r}; expected one of {', '.join(PURPOSES)}.", param="purpose"
        )
    if purpose == "fine-tune" and not upload.filename.endswith(".jsonl"):
        raise ApiError(
            400, f"Invalid file format for Fine-Tuning API. Must be .jsonl, got {upload.filename!r}.", param="file"
        )
    stored = state.fine_tuning.add_file(upload.filename, str(purpose), upload.content)
    return Response(stored.to_object())


def retrieve_file(state: ServerState, request: Request) -> Response:
    """Describe one uploaded file, or 404."""
    stored = state.fine_tuning.get_file(request.params["file_id"])
    if stored is None:
        raise ApiError(404, f"No such File object: {request.params['file_id']}", param="id")
    return Response(stored.to_object())


def list_files(state: ServerState, request: Request) -> Response:
    """Every uploaded file (optionally of one ``purpose``)."""
    purpose = request.query.get("purpose")
    files = state.fine_tuning.list_files()
    data = [f.to_object() for f in files if purpose is None or f.purpose == purpose]
    return Response({"object": "list", "data": data, "has_more": False})
