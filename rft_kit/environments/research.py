"""``research``: multi-hop questions over a bundled document corpus with ``search`` and ``open``.

The corpus (:mod:`rft_kit.environments.corpus`, package data) has encyclopedia and news documents about fictional
entities, and forum posts with false claims (one with a prompt injection). ``search`` ranks documents by word overlap
with the query (title words count three times; ties by id) and shows each hit's source; ``open`` returns the full
text. The final state records which documents were opened: an answer must rest on documents actually read.

Spec: ``{"name": "research", "corpus": "fictional-v1"}``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar, Final

from .base import Environment, EnvironmentFailure, ToolError, tool
from .corpus import load_corpus

__all__ = ["Research", "search_index"]

CORPORA: Final = ("fictional-v1",)
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "by",
        "in",
        "is",
        "it",
        "of",
        "on",
        "the",
        "to",
        "was",
        "who",
        "what",
        "which",
        "where",
        "when",
        "with",
        "for",
        "from",
        "its",
    ]
)


def _terms(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


class _Index:
    def __init__(self, docs: tuple[dict[str, Any], ...]) -> None:
        self.docs = {d["id"]: d for d in docs}
        self.tf: dict[str, Counter[str]] = {}
        df: Counter[str] = Counter()
        for doc in docs:
            counts = Counter(_terms(doc["text"]))
            for term in _terms(doc["title"]):
                counts[term] += 3
            self.tf[doc["id"]] = counts
            df.update(counts.keys())
        self.idf = {term: math.log(1 + len(docs) / n) for term, n in df.items()}

    def search(self, query: str, limit: int) -> list[str]:
        wanted = set(_terms(query))
        scored = []
        for doc_id, counts in self.tf.items():
            score = sum(self.idf[t] * (1 + math.log(counts[t])) for t in wanted if t in counts)
            if score > 0:
                scored.append((-round(score, 9), doc_id))
        scored.sort()
        return [doc_id for _, doc_id in scored[:limit]]


@cache
def search_index() -> _Index:
    return _Index(load_corpus())


class Research(Environment):
    """Search and read a document corpus."""

    name: ClassVar[str] = "research"

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        if spec.get("corpus") not in CORPORA:
            raise EnvironmentFailure(
                f"environment 'research': unknown corpus {spec.get('corpus')!r}; known: {', '.join(CORPORA)}"
            )
        self.index = search_index()
        self.opened: list[str] = []
        self.searches = 0

    @tool
    def search(self, query: str, limit: int = 5) -> list[dict[str, Any]]:
        """Search the corpus; returns the best-matching documents with their source and a snippet.

        Args:
            query: keywords, e.g. an entity's name.
            limit: how many results (1-10).
        """
        self.searches += 1
        hits = self.index.search(query, max(1, min(limit, 10)))
        if not hits:
            raise ToolError(f"no document matches {query!r}; try other keywords (names work best)")
        out = []
        for doc_id in hits:
            doc = self.index.docs[doc_id]
            words = doc["text"].split()
            # a teaser, not the facts: the answer must come from opened documents
            snippet = " ".join(words[:8]) + (" ..." if len(words) > 8 else "")
            out.append({"id": doc_id, "title": doc["title"], "source": doc["source"], "snippet": snippet})
        return out

    @tool
    def open(self, doc_id: str) -> dict[str, Any]:
        """Open a document by id and read its full text.

        Args:
            doc_id: the id from search results, e.g. doc-042.
        """
        key = doc_id.strip().lower()
        doc = self.index.docs.get(key)
        if doc is None:
            raise ToolError(f"no document with id {doc_id!r}; ids come from search results (e.g. doc-042)")
        self.opened.append(key)
        return dict(doc)

    def snapshot(self) -> dict[str, Any]:
        """Which documents were opened (``read`` maps each to true), and how many searches ran."""
        unique = sorted(set(self.opened))
        return {
            "read": dict.fromkeys(unique, True),
            "opened": unique,
            "open_calls": len(self.opened),
            "searches": self.searches,
        }
