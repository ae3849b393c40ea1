"""Which embedding models exist locally, and the aliases that stand in for OpenAI's.

The aliases (``text-embedding-3-large`` and friends) are NOT OpenAI's models: they let an unmodified grader config
run offline by pointing it at whichever local model is installed. Anything that reports a score made through an
alias must name the real model (the server's responses do, in their ``model`` field).
"""

from __future__ import annotations

from collections.abc import Callable

from rft_kit.errors import DependencyError

from .base import EmbeddingBackend
from .hashing import HASHING_MODEL, HashingBackend
from .minilm import MINILM_MODEL, MiniLMBackend, minilm_available

__all__ = [
    "OPENAI_ALIASES",
    "available_models",
    "create_backend",
    "default_model",
    "known_models",
]

OPENAI_ALIASES: tuple[str, ...] = ("text-embedding-3-large", "text-embedding-3-small", "text-embedding-ada-002")
"""OpenAI model ids that a local server answers with its default local model (not with OpenAI's model)."""

_FACTORIES: dict[str, Callable[[], EmbeddingBackend]] = {
    MINILM_MODEL: MiniLMBackend,
    HASHING_MODEL: HashingBackend,
}
_AVAILABLE: dict[str, Callable[[], bool]] = {
    MINILM_MODEL: minilm_available,
    HASHING_MODEL: lambda: True,
}


def known_models() -> list[str]:
    """Return every local embedding model id, installed or not."""
    return list(_FACTORIES)


def available_models() -> list[str]:
    """Return the local embedding model ids whose packages are installed, best first."""
    return [name for name in _FACTORIES if _AVAILABLE[name]()]


def default_model() -> str:
    """Return the best installed model: all-MiniLM-L6-v2 with the ``embeddings`` extra, else the simulated one."""
    return available_models()[0]


def create_backend(name: str) -> EmbeddingBackend:
    """Create the backend for a local model id (not an alias).

    Raises:
        KeyError: ``name`` is not a local model id.
        DependencyError: the model's packages are not installed.
    """
    if name not in _FACTORIES:
        raise KeyError(name)
    if not _AVAILABLE[name]():
        raise DependencyError(f"embedding model {name} is not installed: pip install 'rft-kit[embeddings]'")
    return _FACTORIES[name]()
