"""rubric_judge: HealthBench arithmetic (hand-computed), per-criterion and batched calls, item rubrics, export."""

from __future__ import annotations

import json

import pytest

from rft_kit import load_grader
from rft_kit.errors import ConfigError
from rft_kit.graders.validate import validate_grader_config
from rft_kit.judge.rubric import Criterion, parse_criteria, rubric_score, tag_scores
from rft_kit.local_openai import LocalServer

from .conftest import chat_requests

CRITERIA = [
    {"criterion": 'Mentions "ibuprofen"', "points": 5, "tags": ["accuracy"]},
    {"criterion": 'Gives a "dose"', "points": 3, "tags": ["completeness"]},
    {"criterion": 'Recommends "surgery" for a headache', "points": -4, "tags": ["safety", "accuracy"]},
]


def rubric(**extra):
    return {
        "type": "rubric_judge",
        "name": "rubric",
        "model": "sim-judge",
        "input": [{"role": "user", "content": "{{item.question}}"}],
        "criteria": CRITERIA,
        **extra,
    }


@pytest.mark.parametrize(
    ("met", "score"),
    [
        ([True, True, False], 1.0),  # 8 / 8
        ([True, False, False], 0.625),  # 5 / 8
        ([False, True, False], 0.375),  # 3 / 8
        ([True, True, True], 0.5),  # (5 + 3 - 4) / 8
        ([True, False, True], 0.125),  # (5 - 4) / 8
        ([False, False, True], 0.0),  # -4 / 8 clipped to 0
        ([False, False, False], 0.0),
    ],
)
def test_rubric_score_hand_computed(met: list[bool], score: float) -> None:
    assert rubric_score(parse_criteria(CRITERIA), met) == pytest.approx(score)


def test_tag_scores_and_denominator_rules() -> None:
    criteria = parse_criteria(CRITERIA)
    # accuracy: +5 and -4 -> met both = 1/5; safety has no positive points -> no score
    assert tag_scores(criteria, [True, False, True]) == {"accuracy": pytest.approx(0.2), "completeness": 0.0}
    assert rubric_score([Criterion("bad", -1.0)], [True]) is None
    with pytest.raises(ValueError, match="positive points"):
        parse_criteria([{"criterion": "bad", "points": -1}])
    with pytest.raises(ValueError, match=r"rubric\[0\].points"):
        parse_criteria([{"criterion": "x", "points": True}])
    with pytest.raises(ValueError, match="non-empty list"):
        parse_criteria([])


@pytest.mark.parametrize("mode", ["per_criterion", "batched"])
def test_rubric_judge_end_to_end(make, server: LocalServer, mode: str) -> None:
    grader = make(rubric(mode=mode))
    answer = "Take ibuprofen, 400 mg is the usual dose. Surgery is not needed."
    result = grader.grade(answer, {"question": "I have a headache"})
    # all three are "met" by the simulated keyword rule: (5 + 3 - 4) / 8
    assert result.ok and result.reward == pytest.approx(0.5)
    assert [c["met"] for c in result.metadata["criteria"]] == [True, True, True]
    assert result.metadata["achieved_points"] == 4 and result.metadata["possible_points"] == 8
    assert all(c["explanation"] for c in result.metadata["criteria"])
    assert result.metadata["tag_scores"]["accuracy"] == pytest.approx(0.2)
    assert chat_requests(server) == (3 if mode == "per_criterion" else 1)
    assert result.token_usage is not None and result.token_usage["per_model"]["sim-judge"]["total_tokens"] > 0


def test_rubric_from_item_as_list_or_json_string(make) -> None:
    config = {k: v for k, v in rubric().items() if k != "criteria"} | {"rubric_from": "{{item.rubric}}"}
    grader = make(config)
    item = {
        "question": "q",
        "rubric": [{"criterion": 'says "yes"', "points": 2}, {"criterion": 'says "no"', "points": 2}],
    }
    assert grader.grade("yes", item).reward == pytest.approx(0.5)
    assert grader.grade("yes", {**item, "rubric": json.dumps(item["rubric"])}).reward == pytest.approx(0.5)
    broken = grader.grade("yes", {**item, "rubric": [{"criterion": "x", "points": 0}]})
    assert (
        broken.error is not None and broken.error.flag == "invalid_variable_error" and "points" in broken.error.message
    )
    missing = grader.grade("yes", {"question": "q"})
    assert missing.error is not None and missing.error.flag == "invalid_variable_error"


def test_one_failed_criterion_fails_the_whole_result(make) -> None:
    result = make(rubric(model="sim-judge+refuse")).grade("ibuprofen", {"question": "q"})
    assert result.status == "error" and result.error is not None
    assert result.error.flag == "model_grader_refusal_error"
    assert result.token_usage is not None and result.token_usage["total"]["completion_tokens"] > 0


def test_config_rules() -> None:
    with pytest.raises(ConfigError):
        validate_grader_config({"type": "rubric_judge", "model": "m"}, placement="any")  # no criteria
    with pytest.raises(ConfigError, match="points"):
        validate_grader_config(rubric(criteria=[{"criterion": "x", "points": 0}]), placement="any")
    with pytest.raises(ConfigError, match="positive points"):
        load_grader(rubric(criteria=[{"criterion": "x", "points": -1}]), placement="any")


def test_export_compiles_to_a_valid_hosted_score_model() -> None:
    grader = load_grader(rubric(), placement="any")
    hosted = grader.to_hosted()
    validated = validate_grader_config(hosted)  # a valid top-level RFT grader
    assert validated["type"] == "score_model"
    system = hosted["input"][0]["content"]
    assert '(5 points) Mentions "ibuprofen"' in system and "(-4 points)" in system
    assert "{{item.question}}" in hosted["input"][1]["content"]
