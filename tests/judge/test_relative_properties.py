"""Hypothesis: ranking and pairwise graders never raise on arbitrary groups and replies; shuffling is undone exactly."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rft_kit import load_grader
from rft_kit.graders.ranking_judge import RankingJudgeGrader
from rft_kit.judge.calls import JudgeReply
from rft_kit.judge.ledger import Usage
from rft_kit.judge.relative import order_for, pairwise_outcome, read_scores, unshuffle

OPTIONS = {"base_url": "local", "cache": False}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["id", "score", "x"]), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(st.lists(st.text(max_size=20), min_size=1, max_size=10, unique=True), st.integers(), st.text(max_size=8))
def test_unshuffle_inverts_the_shown_order(texts: list[str], seed: int, model: str) -> None:
    order = order_for(texts, seed=seed, model=model)
    assert sorted(order) == list(range(len(texts)))
    shown = [float(len(texts[i])) for i in order]  # what a judge scoring each shown text by its length returns
    assert unshuffle(shown, order) == [float(len(t)) for t in texts]


@given(json_values, st.integers(1, 8))
def test_read_scores_accepts_only_complete_rankings(verdict: Any, n: int) -> None:
    try:
        scores = read_scores(verdict if isinstance(verdict, dict) else {"scores": verdict}, n)
    except ValueError:
        return
    assert len(scores) == n and all(0.0 <= s <= 1.0 for s in scores)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(st.one_of(st.text(max_size=12), st.fixed_dictionaries({"output_text": st.integers()})), max_size=6),
    st.one_of(json_values.map(lambda v: json.dumps(v, default=str)), st.text(max_size=40), st.none()),
    st.sampled_from(["stop", "length", "content_filter"]),
)
def test_ranking_never_raises_on_arbitrary_groups_and_replies(
    samples: list[Any], content: str | None, finish: str
) -> None:
    grader = load_grader({"type": "ranking_judge", "model": "sim-judge", "criteria": "x", "rft_options": OPTIONS})
    assert isinstance(grader, RankingJudgeGrader)
    plan = grader._plan(samples, {"id": 1})
    reply = JudgeReply(content, None, finish, Usage(), "sim-judge", "json_schema")
    results = grader._finish(plan, [reply] * len(plan.requests))
    assert len(results) == len(samples)
    for result in results:
        assert result.status in ("scored", "error") and 0.0 <= result.reward <= 1.0
        assert result.status == "scored" or result.error is not None


@given(st.sampled_from(["A", "B", "tie"]), st.sampled_from(["A", "B", "tie"]))
def test_pairwise_outcome_is_symmetric_and_flags_flips(first: str, second: str) -> None:
    outcome = pairwise_outcome(first, second)
    assert 0.0 <= outcome.reward <= 1.0
    assert outcome.position_inconsistent == ({first, second} == {"A"} or {first, second} == {"B"})
    swap = {"A": "B", "B": "A", "tie": "tie"}
    assert pairwise_outcome(swap[second], swap[first]).reward == outcome.reward


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.text(max_size=30), st.none()), st.text(max_size=20))
def test_pairwise_never_raises_on_arbitrary_replies(content: str | None, sample: str) -> None:
    grader = load_grader(
        {
            "type": "pairwise_judge",
            "model": "sim-judge",
            "criteria": "x",
            "reference": "{{item.r}}",
            "rft_options": OPTIONS,
        }
    )
    reply = JudgeReply(content, None, "stop", Usage(), "sim-judge", "json_schema")
    from rft_kit.records import Sample

    result = grader._conclude(Sample.from_text(sample), {"r": "y"}, [reply, reply])  # type: ignore[attr-defined]
    assert result.status in ("scored", "error")


@given(
    st.lists(st.one_of(st.none(), st.fixed_dictionaries({"id": st.integers(0, 3)}), st.just({"q": "x"})), max_size=12)
)
def test_group_indices_partition_the_batch_by_item(items: list[Any]) -> None:
    from rft_kit.graders.grouping import group_indices, group_key

    groups = group_indices(items)
    assert sorted(i for g in groups for i in g) == list(range(len(items)))
    for group in groups:
        assert len({group_key(items[i]) for i in group}) == 1
    assert len({group_key(items[g[0]]) for g in groups}) == len(groups)
