"""How the new judge types and options export to OpenAI: refused, with the reason."""

from __future__ import annotations

from typing import Any

from rft_kit.export.hosted_grader import hosted_grader
from rft_kit.export.issues import Issues


def refusal(config: dict[str, Any]) -> str:
    issues = Issues()
    assert hosted_grader(config, issues) is None
    return " ".join(f"{i.where}: {i.message}" for i in issues.items)


def test_ranking_and_pairwise_refuse_export_with_the_reason() -> None:
    ranking = {"type": "ranking_judge", "model": "gpt-4o", "criteria": "correct"}
    assert "sees one sample at a time" in refusal(ranking)
    pairwise = {"type": "pairwise_judge", "model": "gpt-4o", "criteria": "c", "reference": "{{item.reference_answer}}"}
    assert "both orders" in refusal(pairwise)


def test_ensembles_and_context_budgets_refuse_export() -> None:
    base = {
        "type": "score_model",
        "model": "gpt-4o",
        "input": [{"role": "user", "content": "{{sample.output_text}}"}],
    }
    ensemble = {**base, "rft_options": {"ensemble": {"models": ["gpt-4o", "o3-mini"]}}}
    assert "rft_options.ensemble" in refusal(ensemble)
    budget = {**base, "rft_options": {"context_budget": 1000}}
    assert "rft_options.context_budget" in refusal(budget)
    issues = Issues()
    assert hosted_grader(base, issues) is not None  # the plain judge still exports
