"""score_model and label_model through the real SDK against the SIMULATED judge: rewards, clamping, error flags."""

from __future__ import annotations

import pytest

from rft_kit import load_grader
from rft_kit.errors import ConfigError
from rft_kit.local_openai import LocalServer

from .conftest import chat_requests, label_config, score_config

ITEM = {"reference_answer": "the cat sat on the mat"}


def test_the_reward_is_the_judges_result_with_metadata_and_usage(make) -> None:
    grader = make(score_config())
    result = grader.grade("the cat sat", ITEM)
    # F1 of 3 shared tokens: precision 3/3, recall 3/6 -> 2/3
    assert result.ok and result.reward == pytest.approx(0.6667)
    assert result.metadata["sampled_model_name"] == "sim-judge"
    assert result.metadata["result"] == pytest.approx(0.6667)
    assert result.metadata["steps"][0]["conclusion"] == "F1 = 0.6667"
    usage = result.token_usage
    assert usage is not None and set(usage["total"]) == {
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cached_tokens",
    }
    assert usage["total"]["total_tokens"] == usage["total"]["prompt_tokens"] + usage["total"]["completion_tokens"] > 0
    assert usage["per_model"] == {"sim-judge": usage["total"]}
    envelope = result.envelope()
    assert envelope["metadata"]["token_usage"] == usage["total"]
    assert envelope["model_grader_token_usage_per_model"] == usage["per_model"]
    assert envelope["metadata"]["sampled_model_name"] == "sim-judge"


@pytest.mark.parametrize(
    ("said", "low_high", "reward"),
    [
        ("1.7", None, 1.0),
        ("-1", None, 0.0),
        ("0.25", None, 0.25),
        ("-1", [-1, 1], -1.0),
        ("1.7", [-1, 1], 1.0),
        ("-3.5", [-1, 1], -1.0),
    ],
)
def test_result_is_clamped_to_range(make, said: str, low_high: list[int] | None, reward: float) -> None:
    # The simulated judge obeys "output result X" written in the grader's own prompt (outside sample data).
    extra = {"range": low_high} if low_high else {}
    grader = make(score_config(system=f"Always output result {said}.", **extra))
    result = grader.grade("anything", ITEM)
    assert result.ok
    assert result.reward == reward
    assert result.metadata["result"] == float(said)


@pytest.mark.parametrize(
    ("model", "flag", "words"),
    [
        ("sim-judge+garbage", "model_grader_parse_error", "no JSON object"),
        ("sim-judge+refuse", "model_grader_refusal_error", "refused"),
        ("sim-judge+length", "model_grader_exceeded_max_tokens_error", "token limit"),
        ("no-such-model", "model_grader_server_error", "HTTP 404"),
    ],
)
def test_unusable_replies_are_errors_with_the_hosted_flag(make, model: str, flag: str, words: str) -> None:
    result = make(score_config(model=model)).grade("the cat sat", ITEM)
    assert result.status == "error" and result.reward == 0.0
    assert result.error is not None and result.error.kind == "model_api" and result.error.flag == flag
    assert words in result.error.message
    assert result.envelope()["metadata"]["errors"][flag] is True
    if flag != "model_grader_server_error":  # the call was made and paid for
        assert result.token_usage is not None and result.token_usage["total"]["prompt_tokens"] > 0


def test_max_completions_tokens_reaches_the_endpoint_as_max_completion_tokens(make) -> None:
    grader = make(score_config(sampling_params={"max_completions_tokens": 5, "seed": 1, "temperature": 0}))
    result = grader.grade("the cat sat", ITEM)
    assert result.error is not None and result.error.flag == "model_grader_exceeded_max_tokens_error"
    assert result.token_usage is not None and result.token_usage["total"]["completion_tokens"] == 5


def test_an_instruction_naming_a_label_outside_the_enum_is_not_obeyed(make) -> None:
    grader = make(
        label_config(input=[{"role": "user", "content": "output label maybe. Statement: {{sample.output_text}}"}])
    )
    result = grader.grade("I love it", {})
    assert result.ok and result.metadata["label"] == "positive"  # "maybe" is not a label, so it is not obeyed


def test_missing_template_variable_is_an_invalid_variable_error_without_a_call(make, server: LocalServer) -> None:
    result = make(score_config()).grade("x", {})
    assert result.error is not None and result.error.flag == "invalid_variable_error"
    assert chat_requests(server) == 0


def test_reasoning_models_refuse_temperature_like_openai(make) -> None:
    result = make(score_config(model="o3-mini", sampling_params={"temperature": 0.2})).grade("x", ITEM)
    assert result.error is not None and result.error.flag == "model_grader_server_error"
    assert "temperature" in result.error.message


@pytest.mark.parametrize(("text", "label", "reward"), [("I love it, great", "positive", 1.0), ("meh", "neutral", 0.0)])
def test_label_model(make, text: str, label: str, reward: float) -> None:
    result = make(label_config()).grade(text, {})
    assert result.ok and result.metadata["label"] == label and result.reward == reward
    assert result.metadata["passed"] is (reward == 1.0)


def test_label_model_inside_multi_weighted_like_the_hosted_example(make, server: LocalServer) -> None:
    config = {
        "type": "multi",
        "graders": {
            "correct": {
                "type": "string_check",
                "input": "{{sample.output_text}}",
                "reference": "{{item.answer}}",
                "operation": "like",
            },
            "tone": {**label_config(), "rft_options": {"base_url": server.base_url}},
        },
        "calculate_output": "0.7*correct + 0.3*tone",
    }
    grader = load_grader(config)  # the rft placement accepts label_model inside multi
    negative = grader.grade("Paris. I hate these questions, terrible.", {"answer": "Paris"})
    assert negative.reward == pytest.approx(0.7) and negative.sub_rewards == {"correct": 1.0, "tone": 0.0}
    assert negative.metadata["sub_results"]["tone"]["label"] == "negative"
    assert negative.token_usage is not None and negative.token_usage["per_model"]["sim-judge"]["total_tokens"] > 0
    assert grader.grade("Paris, great question!", {"answer": "Paris"}).reward == pytest.approx(1.0)
    # the batch path of multi prefetches the judge calls and returns the same results
    texts = ["Paris. I hate these questions, terrible.", "Paris, great question!", "Rome, great"]
    items = [{"answer": "Paris"}] * 3
    batch = grader.grade_batch(texts, items)
    assert [r.reward for r in batch] == pytest.approx([0.7, 1.0, 0.3])
    assert all(r.token_usage for r in batch)


def test_label_model_is_refused_at_top_level_for_rft_and_passing_labels_are_checked() -> None:
    with pytest.raises(ConfigError, match="only accepted inside a multi"):
        load_grader(label_config())
    with pytest.raises(ConfigError, match="passing label 'great'"):
        load_grader(label_config(passing_labels=["great"]), placement="any")


def test_options_are_checked_at_load(make) -> None:
    with pytest.raises(ConfigError, match="concurrency"):
        make(score_config(), concurrency=0)
    with pytest.raises(ConfigError, match="structured_output"):
        make(score_config(), structured_output="yaml")
    with pytest.raises(ConfigError, match="price"):
        make(score_config(), budget={"usd": 1.0})


def test_graders_pickle_by_config_and_keep_working(make) -> None:
    import pickle

    grader = make(score_config())
    clone = pickle.loads(pickle.dumps(grader))
    assert clone.grade("the cat sat", ITEM).reward == grader.grade("the cat sat", ITEM).reward
