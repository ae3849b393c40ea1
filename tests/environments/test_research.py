"""The research environment and its corpus: the shipped file is the generator's output; search, open, snapshot."""

from __future__ import annotations

import json

import pytest

from rft_kit.environments import EnvironmentFailure, build_environment
from rft_kit.environments.corpus import build_corpus, load_corpus

SPEC = {"name": "research", "corpus": "fictional-v1"}


def test_shipped_corpus_is_exactly_the_generated_one() -> None:
    docs, graph = build_corpus()
    assert list(load_corpus()) == docs
    assert len(docs) > 200
    assert {d["source"] for d in docs} == {"encyclopedia", "news", "forum"}
    assert any("SYSTEM NOTE" in d["text"] for d in docs if d["source"] == "forum")
    # links in the graph are stated in the documents' text
    by_id = {d["id"]: d for d in docs}
    for company, info in list(graph.companies.items())[:10]:
        assert graph.people[info["founder"]]["name"] in by_id[company]["text"]


def test_search_open_and_snapshot() -> None:
    env = build_environment(SPEC)
    _, graph = build_corpus()
    company, info = next(iter(graph.companies.items()))
    hits = json.loads(env.call("search", json.dumps({"query": info["name"]})).output)
    assert hits[0]["id"] == company
    assert graph.people[info["founder"]]["name"] not in hits[0]["snippet"]  # a teaser, not the answer
    opened = json.loads(env.call("open", json.dumps({"doc_id": company.upper()})).output)
    assert opened["id"] == company
    missing = env.call("open", '{"doc_id": "doc-999"}')
    assert missing.error == "tool_error"
    assert "ids come from search results" in missing.output
    assert env.call("search", '{"query": "the of and"}').error == "tool_error"
    assert env.snapshot() == {"read": {company: True}, "opened": [company], "open_calls": 1, "searches": 2}


def test_unknown_corpus() -> None:
    with pytest.raises(EnvironmentFailure, match="unknown corpus"):
        build_environment({"name": "research", "corpus": "nope"})
