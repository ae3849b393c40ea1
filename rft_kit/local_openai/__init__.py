"""A local OpenAI-compatible app with SIMULATED models, for offline runs and for testing everything that calls a model.

One request-handling path (:mod:`.app`) with two front ends: a real TCP server (:class:`LocalServer`, ``rft
local-server``; ``OpenAI(base_url=server.base_url, api_key="local")``) and an in-process httpx transport
(:mod:`.transport`, what ``base_url: local`` means; see :mod:`rft_kit.openai_client`). It answers:

* ``POST /v1/embeddings``: ``all-MiniLM-L6-v2`` (real model, with ``pip install 'rft-kit[embeddings]'``),
  ``hashing-embed-256`` (SIMULATED, always available), and ``text-embedding-3-large`` / ``-3-small`` /
  ``text-embedding-ada-002`` as aliases of the best installed local model. The aliases are local stand-ins, NOT
  OpenAI's models; the response's ``model`` field names the model that answered.
* ``POST /v1/chat/completions``: the SIMULATED model the requested name is registered to in :mod:`.backends` (the
  judge ``sim-judge`` and OpenAI grader-model stand-ins; the solvers ``sim-weak`` / ``sim-base`` / ``sim-strong``).
* ``GET /v1/models``, ``GET /v1/models/{model}``.

A test can give one server extra endpoints (``LocalServer(routes=...)``); the fake fine-tuning API of the export
tests is served that way.

Errors use OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``. For tests, a server can add latency
and fail its first N requests with a chosen status (:class:`ServerConfig`). Routes live in :mod:`.routes`.
"""

from __future__ import annotations

from .app import LocalApp
from .config import FailFirst, ServerConfig
from .errors import ApiError
from .stats import ServerStats
from .tcp_server import LocalServer, serve

__all__ = ["ApiError", "FailFirst", "LocalApp", "LocalServer", "ServerConfig", "ServerStats", "serve"]
