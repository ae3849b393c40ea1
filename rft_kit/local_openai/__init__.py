"""A local OpenAI-compatible HTTP server, for offline runs and for testing everything that calls a model.

It answers through the official ``openai`` SDK (``OpenAI(base_url=server.base_url, api_key="local")``):

* ``POST /v1/embeddings``: ``all-MiniLM-L6-v2`` (real model, with ``pip install 'rft-kit[embeddings]'``),
  ``hashing-embed-256`` (SIMULATED, always available), and ``text-embedding-3-large`` / ``-3-small`` /
  ``text-embedding-ada-002`` as aliases of the best installed local model. The aliases are local stand-ins, NOT
  OpenAI's models; the response's ``model`` field names the model that answered.
* ``GET /v1/models``, ``GET /v1/models/{model}``.
* ``POST /v1/files`` and ``/v1/fine_tuning/jobs`` (create, retrieve, list, cancel, events, checkpoints): requests
  are checked as the hosted API checks them and recorded; jobs follow a script with metrics events (for testing
  ``rft export openai --submit`` and ``rft job``). Nothing is trained.

Errors use OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``. For tests, a server can add latency
and fail its first N requests with a chosen status (:class:`ServerConfig`). Routes live in :mod:`.routes`.
"""

from __future__ import annotations

from .config import FailFirst, ServerConfig
from .errors import ApiError
from .local import LocalServer, serve
from .stats import ServerStats

__all__ = ["ApiError", "FailFirst", "LocalServer", "ServerConfig", "ServerStats", "serve"]
