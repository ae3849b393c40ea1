"""``gleu``: Google-BLEU, bit-identical to NLTK 3.9.1 ``sentence_gleu``.

Reference semantics: ``nltk.translate.gleu_score.sentence_gleu([reference.split()], input.split(),
min_len=1, max_len=4)`` -- whitespace tokens, case-sensitive, n-grams of orders ``gleu_min_len`` ..
``gleu_max_len``. With one reference NLTK's result reduces to

    GLEU = matching n-grams / max(#input n-grams, #reference n-grams)

(the minimum of n-gram precision and recall), or 0.0 when both texts have no n-grams. Both counts are
integers and NLTK performs that single division, so the quotient below is the same double. Computing it
directly skips NLTK's generator-based ``everygrams`` and the per-reference bookkeeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from rft_kit.errors import ConfigError

__all__ = ["GleuMetric"]


def _everygram_counts(tokens: list[str], min_len: int, max_len: int) -> Counter[Hashable]:
    # Orders of different lengths never share a key (tuple lengths differ), so one Counter is enough.
    counts: Counter[Hashable] = Counter()
    for n in range(min_len, min(max_len, len(tokens)) + 1):
        counts.update(zip(*(tokens[i:] for i in range(n)), strict=False))
    return counts


class GleuMetric:
    """Sentence-level GLEU on whitespace tokens.

    Args:
        min_len: smallest n-gram order (>= 1).
        max_len: largest n-gram order (>= min_len).
    """

    name = "gleu"

    def __init__(self, min_len: int = 1, max_len: int = 4) -> None:
        if not 1 <= min_len <= max_len:
            raise ConfigError(
                f"gleu_min_len and gleu_max_len must satisfy 1 <= gleu_min_len <= gleu_max_len; "
                f"got {min_len} and {max_len}"
            )
        self.min_len = min_len
        self.max_len = max_len

    def score(self, input: str, reference: str) -> float:
        """Return GLEU of ``input`` (hypothesis) against ``reference``, in [0, 1]."""
        hyp = _everygram_counts(input.split(), self.min_len, self.max_len)
        ref = _everygram_counts(reference.split(), self.min_len, self.max_len)
        n_all = max(hyp.total(), ref.total())
        if n_all == 0:
            return 0.0
        # Same integer as NLTK's sum((ref & hyp).values()), without building the intersection Counter.
        tp = 0
        hyp_count = hyp.get
        for gram, count in ref.items():
            other = hyp_count(gram)
            if other:
                tp += count if count < other else other
        return tp / n_all

    def score_batch(self, inputs: Sequence[str], references: Sequence[str]) -> list[float]:
        """Return ``[score(a, b) for a, b in zip(inputs, references)]``."""
        if len(inputs) != len(references):
            raise ValueError(f"{len(inputs)} inputs but {len(references)} references")
        return [self.score(a, b) for a, b in zip(inputs, references, strict=True)]

    def describe(self) -> dict[str, Any]:
        """Return the implementation choice for result metadata."""
        import nltk

        return {
            "metric": self.name,
            "library": f"rft_kit (bit-identical reimplementation of nltk {nltk.__version__} sentence_gleu)",
            "reference_call": (
                "nltk.translate.gleu_score.sentence_gleu([reference.split()], input.split(), "
                f"min_len={self.min_len}, max_len={self.max_len})"
            ),
            "tokenization": "str.split() (whitespace), case-sensitive",
            "min_len": self.min_len,
            "max_len": self.max_len,
        }
