"""constrained_rewrite: the reference rewrite is checked against the stated rules with plain Python (word counts,
substring and word-boundary tests, lengths), independently of the regexes in the item's schema; the schema itself is
checked to be valid and to enforce each rule (breaking one rule lowers the grade)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from rft_kit.tasks import MIXED, generate, get_template, load_template_grader


def rules_hold(rewrite: dict[str, Any], c: dict[str, Any]) -> list[str]:
    broken = []
    headline, summary, bullets = rewrite["headline"], rewrite["summary"], rewrite["bullets"]
    if (
        len(headline) > c["headline_max_chars"]
        or c["keyword"].lower() not in headline.lower()
        or headline.rstrip().endswith(".")
    ):
        broken.append("headline")
    low, high = c["summary_words"]
    if not low <= len(summary.split()) <= high:
        broken.append("summary length")
    if any(p.lower() not in summary.lower() for p in c["required_phrases"]):
        broken.append("required phrase")
    if any(re.search(rf"\b{re.escape(b)}\b", summary, re.I) for b in c["banned_words"]):
        broken.append("banned word")
    if len(bullets) != c["bullets"] or any(len(b.split()) > c["bullet_max_words"] for b in bullets):
        broken.append("bullets")
    return broken


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_reference_rewrite_follows_every_stated_rule(level: str) -> None:
    for item in generate("constrained_rewrite", 300, seed=41, difficulty=level):
        jsonschema.Draft202012Validator.check_schema(item["schema"])
        assert rules_hold(item["reference_rewrite"], item["constraints"]) == []
        prompt = item["messages"][-1]["content"]
        for phrase in item["constraints"]["required_phrases"]:
            assert phrase in prompt  # a required phrase must be in the passage the model rewrites


def test_each_broken_rule_lowers_the_grade() -> None:
    gen = get_template("constrained_rewrite")
    grader = load_template_grader(gen)
    item = next(i for i in generate(gen, 50, seed=3, difficulty="hard"))
    good = dict(item["reference_rewrite"])
    c = item["constraints"]
    variants = {
        "headline full stop": {**good, "headline": good["headline"] + "."},
        "headline too long": {**good, "headline": good["headline"] + " x" * c["headline_max_chars"]},
        "banned word": {**good, "summary": good["summary"].replace(". ", f" {c['banned_words'][0]}. ", 1)},
        "phrase dropped": {**good, "summary": good["summary"].replace(c["required_phrases"][0], "it")},
        "summary too long": {**good, "summary": good["summary"] + " More words here." * 6},
        "extra bullet": {**good, "bullets": [*good["bullets"], "One more point"]},
    }
    assert grader.grade(json.dumps(good), item).reward == 1.0
    for name, variant in variants.items():
        assert rules_hold(variant, c), name  # the variant really breaks a rule
        assert grader.grade(json.dumps(variant), item).reward < 1.0, name


def test_harder_levels_have_tighter_rules() -> None:
    def mean_width(level: str) -> float:
        items = list(generate("constrained_rewrite", 100, seed=2, difficulty=level))
        return sum(i["constraints"]["summary_words"][1] - i["constraints"]["summary_words"][0] for i in items) / 100

    assert mean_width("hard") < mean_width("medium") < mean_width("easy")
    assert all(
        len(i["constraints"]["banned_words"]) == 4
        for i in generate("constrained_rewrite", 20, seed=2, difficulty="hard")
    )
    assert all(i["constraints"]["bullets"] == 0 for i in generate("constrained_rewrite", 20, seed=2, difficulty="easy"))
    assert next(generate("constrained_rewrite", 1, seed=1, difficulty=MIXED))["schema"]["required"] == [
        "headline",
        "summary",
        "bullets",
    ]
