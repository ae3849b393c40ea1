"""``POST /v1/embeddings``, in OpenAI's request and response shape.

Differences from OpenAI, all deliberate: token-id inputs (arrays of integers) are refused, because local models
tokenise differently; ``dimensions`` truncates and re-normalises any model's vectors (OpenAI allows it for v3 models
only); and the ``model`` field of the response names the local model that did the work, even when the request named
an OpenAI id.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np

from rft_kit.errors import DependencyError

from ..errors import ApiError
from ..state import ServerState
from .base import Request, Response

__all__ = ["MAX_INPUTS", "create_embeddings"]

MAX_INPUTS = 2048
"""OpenAI's limit on the number of inputs in one request."""


def _inputs(body: Mapping[str, Any]) -> list[str]:
    value = body.get("input")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ApiError(400, "'input' must be a non-empty string or a non-empty array of strings.", param="input")
    if len(value) > MAX_INPUTS:
        raise ApiError(400, f"'input' may hold at most {MAX_INPUTS} items, got {len(value)}.", param="input")
    for i, text in enumerate(value):
        if not isinstance(text, str):
            raise ApiError(
                400,
                f"input[{i}] is not a string; this local server does not accept token-id inputs.",
                param="input",
            )
        if not text:
            # The OpenAI API refuses empty strings too.
            raise ApiError(400, f"input[{i}] is an empty string; inputs cannot be empty.", param="input")
    return value


def _option(body: Mapping[str, Any], key: str, allowed: tuple[object, ...]) -> Any:
    value = body.get(key)
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed if a is not None)
        raise ApiError(400, f"'{key}' must be one of {choices}; got {value!r}.", param=key)
    return value


def _dimensions(body: Mapping[str, Any], native: int) -> int:
    value = body.get("dimensions")
    if value is None:
        return native
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= native:
        raise ApiError(400, f"'dimensions' must be an integer from 1 to {native}; got {value!r}.", param="dimensions")
    return value


def _encode(vector: np.ndarray[Any, np.dtype[np.float32]], encoding_format: str | None) -> list[float] | str:
    if encoding_format == "base64":
        # The openai SDK decodes base64 as little-endian float32 (numpy.frombuffer(..., "float32")).
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return [float(x) for x in vector]


def create_embeddings(state: ServerState, request: Request) -> Response:
    """Embed ``input`` with ``model``; see the module docstring for the differences from OpenAI."""
    body = request.body
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "'model' is required and must be a string.", param="model")
    texts = _inputs(body)
    encoding_format = _option(body, "encoding_format", (None, "float", "base64"))
    backend = state.embeddings.get(model)
    dimensions = _dimensions(body, backend.dimension)
    try:
        vectors = backend.embed(texts)
    except DependencyError as exc:  # the model's packages are present but its files are broken or missing
        raise ApiError(503, f"The model `{model}` cannot be loaded: {exc}", code="model_unavailable") from None
    if dimensions < backend.dimension:
        vectors = vectors[:, :dimensions]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    tokens = backend.count_tokens(texts)
    state.stats.record_embedded(len(texts))
    data = [
        {"object": "embedding", "index": i, "embedding": _encode(vector, encoding_format)}
        for i, vector in enumerate(vectors)
    ]
    return Response(
        {
            "object": "list",
            "data": data,
            "model": backend.name,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
