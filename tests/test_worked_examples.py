"""Every worked example of docs/hosted-semantics.md (string_check, text_similarity except BLEU, multi), to 1e-4."""

from __future__ import annotations

import json

import pytest

import rft_kit


def string_check(input_: str, reference: str, operation: str) -> rft_kit.Grader:
    return rft_kit.load_grader(
        {"type": "string_check", "name": "c", "input": input_, "reference": reference, "operation": operation}
    )


# -- 3.1 string_check ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [("Hardware", 1.0), ("hardware", 0.0), ("Hardware\n", 0.0)],
    ids=["exact", "case", "newline"],
)
def test_3_1_example_1_eq_is_exact(output: str, expected: float) -> None:
    grader = string_check("{{sample.output_text}}", "{{item.label}}", "eq")
    result = grader.run(output, {"label": "Hardware"})
    assert result.status == "scored"
    assert result.reward == expected


@pytest.mark.parametrize(("operation", "expected"), [("ilike", 1.0), ("like", 0.0)])
def test_3_1_example_2_ilike_contains_case_insensitive(operation: str, expected: float) -> None:
    grader = string_check("{{sample.output_text}}", "paris", operation)
    assert grader.run("The capital is PARIS.", {}).reward == expected


def test_3_1_example_3_tool_name_check() -> None:
    grader = string_check("get_acceptors", "{{sample.output_tools[0].function.name}}", "eq")
    called = {
        "output_text": "",
        "output_tools": [{"id": "c1", "type": "function", "function": {"name": "get_acceptors", "arguments": "{}"}}],
    }
    assert grader.run(called, {}).reward == 1.0
    no_tool = grader.run("I will not call a tool.", {})
    assert no_tool.reward == 0.0
    assert no_tool.status == "error"
    assert no_tool.error is not None
    assert no_tool.error.flag == "invalid_variable_error"
    assert no_tool.envelope()["metadata"]["errors"]["invalid_variable_error"] is True


def test_3_1_ne_and_like_direction() -> None:
    assert string_check("{{sample.output_text}}", "yes", "ne").run("no", {}).reward == 1.0
    assert string_check("{{sample.output_text}}", "yes", "ne").run("yes", {}).reward == 0.0
    # like: the *input* must contain the reference; swapping them gives 0 (pitfall 3)
    assert string_check("{{sample.output_text}}", "cat", "like").run("concatenate", {}).reward == 1.0
    assert string_check("cat", "{{sample.output_text}}", "like").run("concatenate", {}).reward == 0.0


# -- 3.2 text_similarity --------------------------------------------------------------------------------------------


def similarity(metric: str, input_: str = "{{sample.output_text}}", reference: str = "{{item.reference_answer}}"):
    return rft_kit.load_grader(
        {"type": "text_similarity", "name": "sim", "input": input_, "reference": reference, "evaluation_metric": metric}
    )


def test_3_2_example_1_fuzzy_match() -> None:
    result = similarity("fuzzy_match").run("fuzzy wuzzy was a bear", {"reference_answer": "fuzzy wuzzy had no hair"})
    assert result.reward == pytest.approx(0.7556, abs=1e-4)


def test_3_2_example_2_fuzzy_name_field() -> None:
    grader = similarity("fuzzy_match", "{{sample.output_json.name}}", "{{item.name}}")
    result = grader.run(json.dumps({"name": "Jon Doe"}), {"name": "John Doe"})
    assert result.reward == pytest.approx(0.9333, abs=1e-4)


@pytest.mark.parametrize(
    ("metric", "expected"), [("rouge_1", 0.4), ("rouge_2", 0.25), ("rouge_l", 0.4), ("gleu", 0.2143)]
)
def test_3_2_example_3_rouge_and_gleu(metric: str, expected: float) -> None:
    result = similarity(metric).run("fuzzy wuzzy was a bear", {"reference_answer": "fuzzy wuzzy had no hair"})
    assert result.reward == pytest.approx(expected, abs=1e-4)


def test_3_2_meteor_fragmentation_penalty() -> None:
    sentence = "the quick brown fox jumps over the lazy dog"
    result = similarity("meteor").run(sentence, {"reference_answer": sentence})
    assert result.reward == pytest.approx(1 - 0.5 * (1 / 9) ** 3, abs=1e-4)


def test_3_2_rouge_n_is_zero_for_texts_shorter_than_n() -> None:
    assert similarity("rouge_2").run("Paris", {"reference_answer": "Paris"}).reward == 0.0
    assert similarity("rouge_1").run("Paris", {"reference_answer": "Paris"}).reward == 1.0


def test_3_2_evals_pass_threshold() -> None:
    """With pass_threshold 0.8, example 1 fails and example 2 passes (the threshold is Evals-only)."""
    ex1 = similarity("fuzzy_match").run("fuzzy wuzzy was a bear", {"reference_answer": "fuzzy wuzzy had no hair"})
    ex2 = similarity("fuzzy_match", "{{sample.output_json.name}}", "{{item.name}}").run(
        '{"name": "Jon Doe"}', {"name": "John Doe"}
    )
    assert ex1.reward < 0.8 <= ex2.reward


# -- 3.6 multi ------------------------------------------------------------------------------------------------------

NAME_EMAIL = {
    "type": "multi",
    "name": "contact",
    "graders": {
        "name": {
            "type": "text_similarity",
            "name": "name",
            "input": "{{sample.output_json.name}}",
            "reference": "{{item.name}}",
            "evaluation_metric": "fuzzy_match",
        },
        "email": {
            "type": "string_check",
            "name": "email",
            "input": "{{sample.output_json.email}}",
            "reference": "{{item.email}}",
            "operation": "eq",
        },
    },
    "calculate_output": "(name + email) / 2",
}


def test_3_6_example_1_name_and_email() -> None:
    grader = rft_kit.load_grader(NAME_EMAIL)
    item = {"name": "John Doe", "email": "john.doe@gmail.com"}
    right = grader.run(json.dumps({"name": "Jon Doe", "email": "john.doe@gmail.com"}), item)
    assert right.reward == pytest.approx(0.9667, abs=1e-4)
    assert right.sub_rewards["name"] == pytest.approx(0.9333, abs=1e-4)
    assert right.sub_rewards["email"] == 1.0
    wrong = grader.run(json.dumps({"name": "Jon Doe", "email": "jon.doe@gmail.com"}), item)
    assert wrong.reward == pytest.approx(0.4667, abs=1e-4)
    assert 0.5 <= right.reward <= 1.0
    assert 0.0 <= wrong.reward <= 0.5


TOOL_CALL = {
    "type": "multi",
    "name": "tool_call",
    "graders": {
        "function_name": {
            "type": "string_check",
            "name": "function_name",
            "input": "get_acceptors",
            "reference": "{{sample.output_tools[0].function.name}}",
            "operation": "eq",
        },
        "arguments": {
            "type": "string_check",
            "name": "arguments",
            "input": '{"smiles": "{{item.smiles}}"}',
            "reference": "{{sample.output_tools[0].function.arguments}}",
            "operation": "eq",
        },
    },
    "calculate_output": "0.5 * function_name + 0.5 * arguments",
}


def tool_sample(arguments: str) -> dict[str, object]:
    return {
        "output_text": "",
        "output_tools": [
            {"id": "call_1", "type": "function", "function": {"name": "get_acceptors", "arguments": arguments}}
        ],
    }


def test_3_6_example_2_tool_call_is_byte_exact() -> None:
    grader = rft_kit.load_grader(TOOL_CALL)
    item = {"smiles": "CCO"}
    assert grader.run(tool_sample('{"smiles":"CCO"}'), item).reward == pytest.approx(0.5)
    assert grader.run(tool_sample('{"smiles": "CCO"}'), item).reward == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("formula", "env", "expected"),
    [("min(a, b) ^ 2", {"a": 0.8, "b": 0.9}, 0.64), ("max(0, a - 0.5) * 2", {"a": 0.8}, 0.6)],
)
def test_3_6_example_3_functions(formula: str, env: dict[str, float], expected: float) -> None:
    graders = {
        key: {"type": "string_check", "name": key, "input": "x", "reference": "x", "operation": "eq"} for key in env
    }
    # feed fixed sub-rewards through the formula: string_check gives 1.0, so evaluate the formula object directly too
    grader = rft_kit.load_grader({"type": "multi", "name": "f", "graders": graders, "calculate_output": formula})
    assert grader.formula.evaluate(env) == pytest.approx(expected, abs=1e-4)


def test_3_4_example_2_label_inside_multi_formula() -> None:
    """The multi example with a label_model (docs/hosted-semantics.md): 0.7*correct + 0.3*tone with tone=0 -> 0.7."""
    from rft_kit.graders.formula import Formula

    assert Formula("0.7*correct + 0.3*tone", {"correct", "tone"}).evaluate({"correct": 1.0, "tone": 0.0}) == 0.7
