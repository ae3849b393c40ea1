"""``cosine``: cosine similarity of two texts' embeddings from an OpenAI-compatible endpoint.

OpenAI documents the hosted metric as the cosine similarity of ``text-embedding-3-large`` embeddings
(docs/hosted-semantics.md). Here the embeddings come from any OpenAI-compatible ``/v1/embeddings`` endpoint through the
official ``openai`` SDK: OpenAI itself, Azure, vLLM, Ollama, or rft-kit's local server (``rft local-server``), where
``text-embedding-3-large`` is answered by a local stand-in model (all-MiniLM-L6-v2 with the ``embeddings`` extra,
else a simulated hashing model). Scores from a stand-in are not comparable with OpenAI's; :meth:`CosineMetric.describe`
names the model that actually answered.

Options (all optional):

* ``embedding_model``: model id to request (default ``text-embedding-3-large``).
* ``embedding_base_url``: the endpoint (default: ``$OPENAI_BASE_URL``, else ``https://api.openai.com/v1``);
  ``local``: rft-kit's local app in-process (SIMULATED ``hashing-embed-256`` behind the OpenAI ids; no server is
  started), for checking a grader offline.
* ``embedding_api_key_env``: name of the environment variable holding the API key (default ``OPENAI_API_KEY``). A
  loopback endpoint without a key gets a placeholder key, since local servers do not check it.
* ``embedding_batch_size``: texts per request (default 64).
* ``embedding_max_retries`` / ``embedding_timeout``: passed to the SDK client (defaults 2 and 60 s). The SDK retries
  connection errors, 408, 409, 429 and 5xx with backoff.

Scoring rules, deliberate where the hosted grader is silent (UNVERIFIED there):

* cosine = dot(a, b) / (|a| |b|) in float64, then clamped to [0, 1]: the grader contract is a score in [0, 1] and
  real embeddings can point apart (negative cosine), which is "no similarity" here. A zero vector scores 0.0.
* identical texts score exactly 1.0 without a request (an embedding model gives 1.0 up to float rounding, and a
  hashing model gives 0.0 for a text with no features, such as whitespace); this includes ``""`` vs ``""``.
* the empty string is never sent (the OpenAI API refuses it): ``""`` vs any other text is 0.0.

Embeddings are cached in-process (LRU, 2048 texts, keyed by base_url, model and text), so a reference shared by many
samples is embedded once. An endpoint failure (connection refused, an HTTP error after the SDK's retries, a
malformed response) raises :class:`~rft_kit.errors.GradeFailure` of kind ``model_api``; the grader records it as a
per-sample error with reward 0.
"""

from __future__ import annotations

import base64
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from rft_kit.errors import ConfigError, GradeFailure
from rft_kit.openai_client import api_message, is_local, is_loopback, resolve_api_key, sync_client

__all__ = ["DEFAULT_BASE_URL", "CosineMetric", "clear_embedding_cache"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_CACHE_ENTRIES = 2048
_FLAG: Final = "model_grader_server_error"

Vector = npt.NDArray[np.float32]


class _LruCache:
    """A thread-safe LRU map from (base_url, model, text) to an embedding."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._lock = threading.Lock()
        self._data: OrderedDict[Hashable, Vector] = OrderedDict()

    def get(self, key: Hashable) -> Vector | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Vector) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_CACHE = _LruCache(_CACHE_ENTRIES)


def clear_embedding_cache() -> None:
    """Forget every cached embedding (for tests, or after an endpoint's model changed)."""
    _CACHE.clear()


def _option(options: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = options.get(key)
    if value is None:
        return default
    # bool is an int subclass; a boolean batch size is a config mistake, not 1.
    if not isinstance(value, kind) or isinstance(value, bool):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise ConfigError(f"{key} must be a {names}, got {value!r}", path=key)
    return value


def _decode(embedding: Any) -> Vector:
    if isinstance(embedding, str):
        # base64 of little-endian float32, as OpenAI sends it for encoding_format="base64".
        vector = np.frombuffer(base64.b64decode(embedding, validate=True), dtype="<f4").astype(np.float32)
    else:
        vector = np.asarray(embedding, dtype=np.float32)
    if vector.ndim != 1 or vector.size == 0 or not np.all(np.isfinite(vector)):
        raise ValueError("an embedding is not a non-empty vector of finite numbers")
    return vector


def _cosine(a: Vector, b: Vector) -> float:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    norms = float(np.linalg.norm(a64) * np.linalg.norm(b64))
    if norms == 0.0:
        return 0.0
    return min(1.0, max(0.0, float(np.dot(a64, b64)) / norms))


class CosineMetric:
    """Cosine similarity of embeddings from an OpenAI-compatible endpoint; see the module docstring.

    Picklable: only the options are pickled; the SDK client is created again, lazily, after unpickling.

    Args:
        options: the ``embedding_*`` options (others are ignored); ``None`` for all defaults.

    Raises:
        ConfigError: an option has the wrong type or range.
    """

    name = "cosine"

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._configure(dict(options or {}))

    def _configure(self, opts: dict[str, Any]) -> None:
        self.model: str = _option(opts, "embedding_model", str, "text-embedding-3-large")
        base_url = _option(opts, "embedding_base_url", str, None) or os.environ.get("OPENAI_BASE_URL")
        self.base_url: str = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.api_key_env: str = _option(opts, "embedding_api_key_env", str, "OPENAI_API_KEY")
        self.batch_size: int = _option(opts, "embedding_batch_size", int, 64)
        self.max_retries: int = _option(opts, "embedding_max_retries", int, 2)
        self.timeout: float = float(_option(opts, "embedding_timeout", (int, float), 60.0))
        for key, value, low in (
            ("embedding_batch_size", self.batch_size, 1),
            ("embedding_max_retries", self.max_retries, 0),
        ):
            if value < low:
                raise ConfigError(f"{key} must be >= {low}, got {value}", path=key)
        if self.timeout <= 0:
            raise ConfigError(f"embedding_timeout must be > 0, got {self.timeout}", path="embedding_timeout")
        # Only this metric's options travel with a pickle; the rest of a grader config is not ours to copy.
        self._options = {key: value for key, value in opts.items() if key.startswith("embedding_")}
        self._client: Any = None
        self._client_lock = threading.Lock()
        self.served_model: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        # The SDK client holds sockets and locks; rebuild everything from the options instead.
        return {"options": self._options, "base_url": self.base_url}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # base_url is kept as resolved, so an unpickled copy calls the same endpoint whatever its environment says.
        self._configure({**state["options"], "embedding_base_url": state["base_url"]})

    # -- public API ----------------------------------------------------------------------------------------------
    def score(self, input: str, reference: str) -> float:
        """Return the cosine similarity of ``input`` and ``reference``, clamped to [0, 1].

        Raises:
            GradeFailure: kind ``model_api`` when the embeddings endpoint fails.
        """
        return self.score_batch([input], [reference])[0]

    def score_batch(self, inputs: Sequence[str], references: Sequence[str]) -> list[float]:
        """Score pairs, embedding each distinct uncached text once, ``embedding_batch_size`` texts per request.

        Raises:
            GradeFailure: kind ``model_api`` when any request fails (the whole batch fails).
            ValueError: ``inputs`` and ``references`` differ in length.
        """
        if len(inputs) != len(references):
            raise ValueError(f"{len(inputs)} inputs but {len(references)} references")
        pairs = list(zip(inputs, references, strict=True))
        vectors = self._embed_all([text for a, b in pairs if a != b for text in (a, b)])
        scores: list[float] = []
        for a, b in pairs:
            if a == b or not a or not b:
                scores.append(1.0 if a == b else 0.0)
                continue
            va, vb = vectors[a], vectors[b]
            if va.shape != vb.shape:
                raise self._failure(f"the endpoint returned vectors of different lengths ({va.size} and {vb.size})")
            scores.append(_cosine(va, vb))
        return scores

    def describe(self) -> dict[str, Any]:
        """Return what produces the scores, for reports.

        ``served_model`` is the model the endpoint said answered (the response's ``model`` field), known after the
        first request; on rft-kit's local server it names the local stand-in behind ``text-embedding-3-large``.
        """
        return {
            "metric": self.name,
            "model": self.model,
            "served_model": self.served_model,
            "base_url": self.base_url,
            "backend": _backend(self.base_url),
        }

    # -- embedding -----------------------------------------------------------------------------------------------
    def _embed_all(self, texts: Sequence[str]) -> dict[str, Vector]:
        found: dict[str, Vector] = {}
        missing: list[str] = []
        for text in dict.fromkeys(texts):
            if not text:
                continue
            cached = _CACHE.get((self.base_url, self.model, text))
            if cached is None:
                missing.append(text)
            else:
                found[text] = cached
        for start in range(0, len(missing), self.batch_size):
            chunk = missing[start : start + self.batch_size]
            for text, vector in zip(chunk, self._request(chunk), strict=True):
                _CACHE.put((self.base_url, self.model, text), vector)
                found[text] = vector
        return found

    def _request(self, texts: list[str]) -> list[Vector]:
        import openai

        client = self._get_client()
        try:
            response = client.embeddings.create(model=self.model, input=texts, encoding_format="base64")
        except openai.APITimeoutError as exc:
            raise self._failure(
                f"timed out after {self.timeout:g} s; raise embedding_timeout or check the endpoint"
            ) from exc
        except openai.APIConnectionError as exc:
            raise self._failure(
                f"could not connect ({exc.__cause__ or exc}); is the server running? Start a local one with "
                f"`rft local-server`, or set embedding_base_url"
            ) from exc
        except openai.APIStatusError as exc:
            raise self._failure(f"HTTP {exc.status_code}: {api_message(exc)}. {self._hint(exc.status_code)}") from exc
        except (openai.OpenAIError, ValueError, TypeError) as exc:
            raise self._failure(f"unusable response ({type(exc).__name__}: {exc})") from exc
        return self._parse(response, len(texts))

    def _parse(self, response: Any, expected: int) -> list[Vector]:
        try:
            data = sorted(response.data, key=lambda item: item.index)
            if [item.index for item in data] != list(range(expected)):
                raise ValueError(f"expected {expected} embeddings indexed 0..{expected - 1}")
            vectors = [_decode(item.embedding) for item in data]
            if len({v.size for v in vectors}) > 1:
                raise ValueError("embeddings of different lengths in one response")
        except (AttributeError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
            raise self._failure(f"malformed response: {exc}") from exc
        served = getattr(response, "model", None)
        if isinstance(served, str):
            self.served_model = served
        return vectors

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = sync_client(
                    self.base_url, self._api_key(), max_retries=self.max_retries, timeout=self.timeout
                )
            return self._client

    def _api_key(self) -> str:
        key = resolve_api_key(self.base_url, self.api_key_env)
        if key is not None:
            return key
        raise self._failure(
            f"no API key: set the environment variable {self.api_key_env} (or name another one with "
            f"embedding_api_key_env), or point embedding_base_url at a local server (`rft local-server`)"
        )

    def _hint(self, status: int) -> str:
        if status in (401, 403):
            return f"Check the API key in ${self.api_key_env}."
        if status == 404:
            return f"The endpoint may not serve {self.model!r}; set embedding_model to a model it lists at /models."
        if status == 429 or status >= 500:
            return f"The endpoint is overloaded or failing (retried {self.max_retries} times); try again later."
        return "The endpoint refused the request."

    def _failure(self, detail: str) -> GradeFailure:
        return GradeFailure(
            "model_api",
            _FLAG,
            f"cosine: embeddings request to {self.base_url} (model {self.model!r}) failed: {detail}",
        )


def _backend(base_url: str) -> str:
    if is_local(base_url):
        return "local OpenAI-compatible app (in-process)"
    return "local OpenAI-compatible server" if is_loopback(base_url) else "OpenAI-compatible API"
