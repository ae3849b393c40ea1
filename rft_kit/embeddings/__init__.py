"""Local text-embedding backends for the ``cosine`` metric and the local OpenAI-compatible server.

* ``all-MiniLM-L6-v2``: a real sentence-embedding model (int8 ONNX on onnxruntime, no PyTorch); needs
  ``pip install 'rft-kit[embeddings]'``.
* ``hashing-embed-256``: SIMULATED, feature-hashed words and trigrams; always available, for offline tests and demos.

Importing this package imports neither onnxruntime nor tokenizers.
"""

from __future__ import annotations

from .base import EmbeddingBackend, FloatMatrix
from .hashing import HASHING_MODEL, HashingBackend
from .minilm import MINILM_MODEL, MiniLMBackend, minilm_available
from .registry import OPENAI_ALIASES, available_models, create_backend, default_model, known_models

__all__ = [
    "HASHING_MODEL",
    "MINILM_MODEL",
    "OPENAI_ALIASES",
    "EmbeddingBackend",
    "FloatMatrix",
    "HashingBackend",
    "MiniLMBackend",
    "available_models",
    "create_backend",
    "default_model",
    "known_models",
    "minilm_available",
]
