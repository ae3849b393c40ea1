"""``hashing-embed-256``: a SIMULATED embedding model for offline tests and demos.

This is not a semantic model. It feature-hashes word unigrams and character trigrams into a 256-dimensional count
vector and L2-normalises it, so two texts score high exactly when they share many words and spellings: "car" and
"automobile" are unrelated to it. It exists so that every feature that calls an embeddings endpoint can be tested
and demonstrated offline, deterministically, with no model installed; results must be labelled as simulated.

Features, after Unicode NFKC normalisation and lower-casing:

* each word (``\\w+`` run) as ``w:<word>``, weight 1.0;
* each character trigram of the text with runs of whitespace collapsed to one space and a space added at both ends,
  as ``c:<trigram>``, weight 0.5 (so spelling variants still overlap).

A feature's bucket is ``crc32(feature) mod dimension``. Counts are non-negative, so the cosine of two vectors is in
[0, 1]. The vectors are the same on every machine and Python version (no ``hash()`` randomisation).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .base import EmbeddingBackend, FloatMatrix

__all__ = ["HASHING_MODEL", "HashingBackend"]

HASHING_MODEL = "hashing-embed-256"

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_WORD_WEIGHT = 1.0
_TRIGRAM_WEIGHT = 0.5


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class HashingBackend(EmbeddingBackend):
    """Deterministic feature-hashing embeddings (SIMULATED, see the module docstring).

    Args:
        dimension: number of hash buckets; the model id stays ``hashing-embed-256`` only for 256.
    """

    simulated = True

    def __init__(self, dimension: int = 256) -> None:
        if dimension < 1:
            raise ValueError(f"dimension must be positive, got {dimension}")
        self.dimension = dimension
        self.name = HASHING_MODEL if dimension == 256 else f"hashing-embed-{dimension}"

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts`` (see :meth:`EmbeddingBackend.embed`)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float64)
        for row, text in enumerate(texts):
            self._accumulate(_normalise(text), out[row])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # A text with no features (empty or whitespace only) keeps a zero row instead of dividing by zero.
        np.divide(out, norms, out=out, where=norms > 0)
        return out.astype(np.float32)

    def count_tokens(self, texts: Sequence[str]) -> int:
        """Count words, the closest thing this model has to tokens."""
        return sum(len(_WORD.findall(_normalise(text))) for text in texts)

    def _accumulate(self, text: str, row: npt.NDArray[np.float64]) -> None:
        dim = self.dimension
        for word in _WORD.findall(text):
            row[zlib.crc32(f"w:{word}".encode("utf-8", "surrogatepass")) % dim] += _WORD_WEIGHT
        padded = f" {_SPACES.sub(' ', text).strip()} "
        if padded.strip():
            for i in range(len(padded) - 2):
                row[zlib.crc32(f"c:{padded[i : i + 3]}".encode("utf-8", "surrogatepass")) % dim] += _TRIGRAM_WEIGHT
