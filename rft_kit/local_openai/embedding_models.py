"""The embedding models a server answers for: local backends, loaded on first use, and OpenAI-id aliases."""

from __future__ import annotations

import threading

from rft_kit.embeddings import (
    OPENAI_ALIASES,
    EmbeddingBackend,
    available_models,
    create_backend,
    default_model,
)
from rft_kit.errors import DependencyError

from .errors import ApiError

__all__ = ["EmbeddingModels"]


class EmbeddingModels:
    """Resolves a requested model id to a loaded backend.

    OpenAI ids in :data:`~rft_kit.embeddings.OPENAI_ALIASES` resolve to ``default`` — a local stand-in, NOT
    OpenAI's model; responses name the real backend.

    Args:
        default: the local model the aliases stand for; ``None`` picks the best installed one.

    Raises:
        ValueError: ``default`` is not an installed local model.
    """

    def __init__(self, default: str | None = None) -> None:
        installed = available_models()
        if default is not None and default not in installed:
            raise ValueError(f"default_embedding_model {default!r} is not installed; installed: {installed}")
        self.default = default or default_model()
        self._lock = threading.Lock()
        self._loaded: dict[str, EmbeddingBackend] = {}

    def ids(self) -> dict[str, str]:
        """Return every servable model id mapped to the local model that serves it."""
        served = {name: name for name in available_models()}
        served.update(dict.fromkeys(OPENAI_ALIASES, self.default))
        return served

    def get(self, requested: str) -> EmbeddingBackend:
        """Return the backend serving ``requested``, loading it on first use.

        Raises:
            ApiError: 404 ``model_not_found`` for an unknown or uninstalled model.
        """
        name = self.default if requested in OPENAI_ALIASES else requested
        with self._lock:
            backend = self._loaded.get(name)
            if backend is None:
                backend = self._create(requested, name)
                self._loaded[name] = backend
        return backend

    def _create(self, requested: str, name: str) -> EmbeddingBackend:
        try:
            return create_backend(name)
        except KeyError:
            servable = ", ".join(sorted(self.ids()))
            raise ApiError(
                404,
                f"The model `{requested}` does not exist on this local server. Embedding models: {servable}.",
                code="model_not_found",
                param="model",
            ) from None
        except DependencyError as exc:
            raise ApiError(404, f"The model `{requested}` is not installed: {exc}", code="model_not_found") from None
