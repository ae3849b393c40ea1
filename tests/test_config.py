from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import rft_kit
from rft_kit.errors import ConfigError
from rft_kit.graders.loading import read_grader_file

CHECK = {"type": "string_check", "name": "c", "input": "{{sample.output_text}}", "reference": "x", "operation": "eq"}
LABEL = {
    "type": "label_model",
    "name": "tone",
    "model": "gpt-4o-mini-2024-07-18",
    "input": [{"role": "user", "content": "Classify: {{item.response}}"}],
    "labels": ["positive", "neutral", "negative"],
    "passing_labels": ["positive"],
}


def error_of(config: object, **kwargs) -> str:
    with pytest.raises(ConfigError) as info:
        rft_kit.load_grader(config, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def test_bad_enum_names_path_value_and_expected() -> None:
    message = error_of({**CHECK, "operation": "equals"})
    assert "operation" in message
    assert "'equals'" in message
    assert "'eq'" in message and "'ilike'" in message


def test_nested_errors_name_the_multi_key_path() -> None:
    config = {"type": "multi", "graders": {"email": {**CHECK, "operation": "neq"}}, "calculate_output": "email"}
    message = error_of(config)
    assert "graders.email.operation" in message
    assert "did you mean 'ne'" in message


def test_unknown_type_lists_known_types_and_suggests() -> None:
    message = error_of({**CHECK, "type": "strng_check"})
    assert "did you mean 'string_check'" in message
    for known in ("text_similarity", "multi", "score_model", "python"):
        assert known in message


def test_unknown_field_and_missing_field() -> None:
    without_operation = {k: v for k, v in CHECK.items() if k != "operation"}
    assert "missing required field 'operation'" in error_of(without_operation)
    message = error_of({**CHECK, "operaton": "eq"})
    assert "unknown field 'operaton'" in message
    assert "did you mean 'operation'" in message
    assert "missing required field 'reference'" in error_of({k: v for k, v in CHECK.items() if k != "reference"})


def test_wrong_type_value() -> None:
    message = error_of({**CHECK, "input": 42})
    assert "input" in message and "42" in message and "expected string" in message


def test_placement_rules() -> None:
    assert "only accepted inside a multi" in error_of(LABEL)
    rft_kit.graders.validate.validate_grader_config(LABEL, placement="evals")  # allowed as an Evals criterion
    nested = {
        "type": "multi",
        "graders": {"inner": {"type": "multi", "graders": {"a": CHECK}, "calculate_output": "a"}},
        "calculate_output": "inner",
    }
    assert "cannot contain another multi" in error_of(nested, placement="any")
    assert "exist only for RFT" in error_of(
        {"type": "multi", "graders": {"a": CHECK}, "calculate_output": "a"}, placement="evals"
    )
    # label_model inside multi validates in the rft placement (it cannot run until model graders land)
    wrapped = {"type": "multi", "graders": {"tone": LABEL}, "calculate_output": "tone"}
    validated = rft_kit.graders.validate.validate_grader_config(wrapped)
    assert validated["graders"]["tone"]["type"] == "label_model"


def test_multi_graders_must_be_a_map() -> None:
    message = error_of({"type": "multi", "graders": [CHECK], "calculate_output": "a"})
    assert "graders" in message and "expected object" in message


def test_formula_errors_are_config_errors_at_load() -> None:
    base = {"type": "multi", "graders": {"name": CHECK, "email": CHECK}}
    assert "unknown grader key 'emial'" in error_of({**base, "calculate_output": "name + emial"})
    assert "did you mean 'email'" in error_of({**base, "calculate_output": "name + emial"})
    assert "position" in error_of({**base, "calculate_output": "(name + email"})
    assert "unknown function 'mean'" in error_of({**base, "calculate_output": "mean(name, email)"})
    assert "takes 1 argument" in error_of({**base, "calculate_output": "sqrt(name, email)"})
    assert "calculate_output" in error_of({**base, "calculate_output": "name % email"})


def test_label_semantics_and_score_range() -> None:
    wrapped = {"type": "multi", "graders": {"tone": {**LABEL, "passing_labels": ["great"]}}, "calculate_output": "tone"}
    assert "passing label 'great'" in error_of(wrapped)
    score = {
        "type": "score_model",
        "model": "m",
        "input": [{"role": "user", "content": "{{item.x}}"}],
        "range": [1, 0],
    }
    assert "low < high" in error_of(score)
    bad_template = {**score, "range": [0, 1], "input": [{"role": "user", "content": "{{itm.x}}"}]}
    message = error_of(bad_template)
    assert "input[0].content" in message and "namespace 'itm'" in message


def test_python_grader_config_validates() -> None:
    python = {"type": "python", "name": "p", "source": "def grade(sample, item):\n    return 1.0\n"}
    assert rft_kit.graders.validate.validate_grader_config(python)["name"] == "p"
    too_big = {**python, "source": "#" * 300_000}
    assert "at most 262144" in error_of(too_big)


def test_round_trip_and_name_normalisation() -> None:
    config = {
        "type": "multi",
        "graders": {"a": {k: v for k, v in CHECK.items() if k != "name"}},
        "calculate_output": "a",
    }
    grader = rft_kit.load_grader(config)
    out = grader.to_config()
    assert out["name"] == "multi"
    assert out["graders"]["a"]["name"] == "a"
    assert rft_kit.load_grader(out).to_config() == out
    clone = pickle.loads(pickle.dumps(grader))
    assert clone.to_config() == out
    assert clone.grade("x").reward == grader.grade("x").reward == 1.0


def test_yaml_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(
        "type: multi\ngraders:\n  email:\n    type: string_check\n    input: x\n    reference: y\n"
        "    operation: equal\ncalculate_output: email\n"
    )
    with pytest.raises(ConfigError) as info:
        read_grader_file(path)
    message = str(info.value)
    assert f"{path}:7" in message
    assert "graders.email.operation" in message
    broken = tmp_path / "broken.yaml"
    broken.write_text("type: string_check\ninput: [unclosed\n")
    with pytest.raises(ConfigError, match=r"invalid YAML at line \d+"):
        read_grader_file(broken)
    bad_json = tmp_path / "g.json"
    bad_json.write_text('{"type": "string_check",\n "input": }')
    with pytest.raises(ConfigError, match="invalid JSON at line 2"):
        read_grader_file(bad_json)
    with pytest.raises(ConfigError, match="not found"):
        read_grader_file(tmp_path / "missing.yaml")


def test_cases_key_is_kept_beside_the_grader(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps({**CHECK, "cases": [{"item": {}, "sample": "x", "expect": 1.0}]}))
    file = read_grader_file(path)
    assert "cases" not in file.config
    assert file.extras["cases"][0]["expect"] == 1.0


def test_text_similarity_options_are_validated() -> None:
    config = {
        "type": "text_similarity",
        "input": "{{sample.output_text}}",
        "reference": "{{item.a}}",
        "evaluation_metric": "fuzzy_match",
        "rft_options": {"fuzzy_scorer": "nonsense"},
    }
    message = error_of(config)
    assert "rft_options.fuzzy_scorer" in message
    grader = rft_kit.load_grader({**config, "rft_options": {"fuzzy_scorer": "ratio", "fuzzy_processor": "none"}})
    assert grader.grade("john doe", {"a": "John Doe"}).reward == pytest.approx(0.75)
