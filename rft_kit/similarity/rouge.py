"""``rouge_1`` .. ``rouge_5`` and ``rouge_l``: ROUGE F-measure, bit-identical to Google's rouge-score 0.1.2.

Reference semantics: ``rouge_score.rouge_scorer.RougeScorer([type], use_stemmer=False).score(target=reference,
prediction=input)[type].fmeasure`` ("as defined by the rouge python library", docs/hosted-semantics.md:
text_similarity). The
hosted grader does not say whether it reports F, P or R, nor whether it stems; F-measure without stemming
is rouge-score's default and our default. ``rouge_stemmer=True`` applies rouge-score's Porter stemming
(NLTK's ``PorterStemmer``, only tokens longer than 3 characters).

This module reimplements the computation for speed, keeping every float operation in the same order:

* Tokens: ``re.findall("[a-z0-9]+", text.lower())`` -- the same tokens as rouge-score's lower-case,
  replace ``[^a-z0-9]+`` with a space, split, drop empties. Non-ASCII letters are separators, so text in
  other scripts has no tokens and scores 0.
* ROUGE-N: clipped n-gram overlap from ``Counter`` intersections (integers, so exact); precision =
  overlap / max(#prediction n-grams, 1), recall = overlap / max(#target n-grams, 1). Texts shorter than n
  tokens score 0, even for exact matches (``Paris`` vs ``Paris`` has ROUGE-2 = 0).
* ROUGE-L: the LCS length comes from rapidfuzz's bit-parallel ``LCSseq.similarity`` over token ids
  instead of rouge-score's O(n·m) Python table; ids (not strings) so that no hash collision can merge two
  tokens. Either side empty scores 0.
* F = 2·P·R / (P + R), or 0.0 when P + R = 0 (``rouge_score.scoring.fmeasure``).
* Stems are cached per metric object (the Porter stemmer is the slow part).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any

from rapidfuzz.distance import LCSseq

from rft_kit.errors import ConfigError

__all__ = ["ROUGE_TYPES", "RougeMetric", "tokenize"]

# Public metric name -> rouge-score type.
ROUGE_TYPES: dict[str, str] = {
    "rouge_1": "rouge1",
    "rouge_2": "rouge2",
    "rouge_3": "rouge3",
    "rouge_4": "rouge4",
    "rouge_5": "rouge5",
    "rouge_l": "rougeL",
}

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_VALID_TOKEN_RE = re.compile(r"^[a-z0-9]+$")


def tokenize(text: str) -> list[str]:
    """Return rouge-score's tokens for ``text`` without stemming."""
    return _TOKEN_RE.findall(text.lower())


def _fmeasure(precision: float, recall: float) -> float:
    # Same expression as rouge_score.scoring.fmeasure, so floats are bit-identical.
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def _ngrams(tokens: list[str], n: int) -> Counter[Hashable]:
    if n == 1:
        return Counter(tokens)
    return Counter(zip(*(tokens[i:] for i in range(n)), strict=False))


class RougeMetric:
    """ROUGE-N or ROUGE-L F-measure.

    Args:
        name: one of ``ROUGE_TYPES`` (``rouge_1`` .. ``rouge_5``, ``rouge_l``).
        stemmer: apply rouge-score's Porter stemming to tokens longer than 3 characters.
    """

    def __init__(self, name: str = "rouge_l", stemmer: bool = False) -> None:
        if name not in ROUGE_TYPES:
            raise ConfigError(f"unknown ROUGE metric {name!r}; expected one of {', '.join(ROUGE_TYPES)}")
        self.name = name
        self.stemmer = stemmer
        self._n = 0 if name == "rouge_l" else int(name[-1])
        self._stems: dict[str, str | None] = {}
        self._porter: Any = None
        if stemmer:
            from nltk.stem import porter

            self._porter = porter.PorterStemmer()

    def __getstate__(self) -> dict[str, Any]:
        # The stem cache can be large and is cheap to rebuild; the stemmer is rebuilt too.
        return {"name": self.name, "stemmer": self.stemmer}

    def __setstate__(self, state: dict[str, Any]) -> None:
        RougeMetric.__init__(self, state["name"], state["stemmer"])

    def _tokens(self, text: str) -> list[str]:
        tokens = _TOKEN_RE.findall(text.lower())
        if not self.stemmer:
            return tokens
        stems = self._stems
        out: list[str] = []
        for token in tokens:
            try:
                stem = stems[token]
            except KeyError:
                stem = self._porter.stem(token) if len(token) > 3 else token
                # rouge-score drops tokens that are no longer [a-z0-9]+ after stemming.
                stem = stem if _VALID_TOKEN_RE.match(stem) else None
                stems[token] = stem
            if stem is not None:
                out.append(stem)
        return out

    def _score_tokens(self, pred: list[str], target: list[str]) -> float:
        if self._n == 0:
            if not pred or not target:
                return 0.0
            ids: dict[str, int] = {}
            pred_ids = [ids.setdefault(t, len(ids)) for t in pred]
            target_ids = [ids.setdefault(t, len(ids)) for t in target]
            lcs = LCSseq.similarity(target_ids, pred_ids)
            return _fmeasure(lcs / len(pred), lcs / len(target))
        n = self._n
        target_ngrams = _ngrams(target, n)
        pred_ngrams = _ngrams(pred, n)
        # Clipped overlap as in rouge-score's loop over target n-grams; faster than Counter.__and__
        # (benchmarks/bench_graders.py, rouge_l).
        overlap = 0
        pred_count = pred_ngrams.get
        for gram, count in target_ngrams.items():
            other = pred_count(gram)
            if other:
                overlap += count if count < other else other
        precision = overlap / max(len(pred) - n + 1, 1)
        recall = overlap / max(len(target) - n + 1, 1)
        return _fmeasure(precision, recall)

    def score(self, input: str, reference: str) -> float:
        """Return the ROUGE F-measure of ``input`` (prediction) against ``reference`` (target)."""
        return self._score_tokens(self._tokens(input), self._tokens(reference))

    def score_batch(self, inputs: Sequence[str], references: Sequence[str]) -> list[float]:
        """Return ``[score(a, b) for a, b in zip(inputs, references)]``."""
        if len(inputs) != len(references):
            raise ValueError(f"{len(inputs)} inputs but {len(references)} references")
        tokens = self._tokens
        score = self._score_tokens
        return [score(tokens(a), tokens(b)) for a, b in zip(inputs, references, strict=True)]

    def describe(self) -> dict[str, Any]:
        """Return the implementation choice for result metadata."""
        rouge_type = ROUGE_TYPES[self.name]
        return {
            "metric": self.name,
            "library": "rft_kit (bit-identical reimplementation of rouge-score 0.1.2)",
            "reference_call": (
                f"rouge_score.rouge_scorer.RougeScorer([{rouge_type!r}], use_stemmer={self.stemmer})"
                f".score(target=reference, prediction=input)[{rouge_type!r}].fmeasure"
            ),
            "measure": "fmeasure",
            "tokenization": "lowercase, [a-z0-9]+ runs (rouge_score.tokenize)",
            "stemmer": "nltk PorterStemmer, tokens longer than 3 chars" if self.stemmer else None,
            "lcs": "rapidfuzz.distance.LCSseq" if self._n == 0 else None,
        }
