"""A tiny multinomial naive Bayes, written here so the label checks do not reuse any generator code."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_TOKEN = re.compile(r"[a-z]+")


class NaiveBayes:
    """Bag-of-words naive Bayes with add-one smoothing."""

    def __init__(self) -> None:
        self.words: dict[str, Counter[str]] = {}
        self.docs: Counter[str] = Counter()

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> NaiveBayes:
        for text, label in zip(texts, labels, strict=True):
            self.docs[label] += 1
            self.words.setdefault(label, Counter()).update(_TOKEN.findall(text.lower()))
        return self

    def predict(self, text: str) -> str:
        vocab = len(set().union(*self.words.values()))
        total_docs = sum(self.docs.values())

        def score(label: str) -> float:
            counts = self.words[label]
            size = sum(counts.values())
            log_p = math.log(self.docs[label] / total_docs)
            for token in _TOKEN.findall(text.lower()):
                log_p += math.log((counts[token] + 1) / (size + vocab))
            return log_p

        return max(self.words, key=score)
