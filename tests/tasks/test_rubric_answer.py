"""rubric_answer: the rubric is checked structurally (every required fact's quoted phrase is in the brief, so the
task is answerable, and in the reference answer; no penalised phrase is; the rubric arithmetic of the expected
verdicts gives exactly 1.0 with rft_kit.judge.rubric), and the rubric_judge grader is run against the local judge."""

from __future__ import annotations

import re

import pytest

from rft_kit.judge.rubric import parse_criteria, rubric_score
from rft_kit.tasks import MIXED, generate, get_template, load_template_grader

_QUOTED = re.compile(r'"([^"]+)"')


@pytest.mark.parametrize("level", ["easy", "medium", "hard"])
def test_rubric_is_answerable_and_the_reference_meets_it(level: str) -> None:
    gen = get_template("rubric_answer")
    for item in generate(gen, 300, seed=51, difficulty=level):
        criteria = parse_criteria(item["rubric"])  # the grader's own parser accepts it
        brief = item["messages"][-1]["content"]
        answer = item["reference_answer"]
        met = []
        for c in criteria:
            (phrase,) = _QUOTED.findall(c.criterion)
            if c.points > 0:
                assert phrase in brief and phrase in answer, (phrase, brief)
            else:
                assert phrase not in answer
            met.append(phrase in answer)
        assert rubric_score(criteria, met) == 1.0
        config = gen.config(level)
        assert sum(c.points < 0 for c in criteria) <= config.negative_criteria
        if config.word_limit:
            assert len(answer.split()) < config.word_limit


def test_distractor_penalties_only_name_details_in_the_brief() -> None:
    for item in generate("rubric_answer", 300, seed=3, difficulty=MIXED):
        for c in item["rubric"]:
            if "focus:distractor" in c["tags"]:
                (phrase,) = _QUOTED.findall(c["criterion"])
                assert phrase in item["messages"][-1]["content"]


def test_judge_penalises_blame_and_missing_facts(judge_env: object) -> None:
    gen = get_template("rubric_answer")
    grader = load_template_grader(gen)
    item = next(generate(gen, 1, seed=7, difficulty="hard"))
    good = grader.grade(gen.reference_sample(item), item)
    blame = grader.grade(gen.reference_sample(item) + " The outage was caused by human error.", item)
    short = grader.grade("There was an incident and it is fixed now.", item)
    assert good.reward == 1.0
    assert blame.status == "scored" and blame.reward < good.reward
    assert short.status == "scored" and short.reward < 0.5
