"""`rft export openai`: what is written, and every refusal names the place and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rft_kit.export.issues import ExportError, Issues
from rft_kit.export.openai_job import OpenAIExportOptions, export_openai
from rft_kit.export.sdk_check import check_grader_with_sdk, check_job_with_sdk

from .conftest import GRADERS, qa_rows, tool_rows, write_grader, write_jsonl


def _refused(tasks: Path, grader: Path, out: Path, **options) -> ExportError:
    with pytest.raises(ExportError) as info:
        export_openai(tasks, grader, out, OpenAIExportOptions(**options))
    assert not out.exists(), "nothing may be written when the export is refused"
    return info.value


def _messages(error: ExportError) -> str:
    return "\n".join(str(i) for i in error.issues.errors)


def test_writes_the_job_folder(qa_tasks, exact_grader, tmp_path):
    out = tmp_path / "job"
    result = export_openai(
        qa_tasks,
        exact_grader,
        out,
        OpenAIExportOptions(split=0.2, hyperparameters={"n_epochs": 2, "eval_samples": "auto"}, suffix="qa"),
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "export_report.json",
        "grader.json",
        "job.json",
        "train.jsonl",
        "valid.jsonl",
    ]
    assert (result.train_rows, result.valid_rows, result.graded_rows) == (24, 6, 20)
    job = json.loads((out / "job.json").read_text())
    assert job["model"] == "o4-mini-2025-04-16"
    assert job["training_file"] == "upload:train.jsonl"
    assert job["validation_file"] == "upload:valid.jsonl"
    assert job["suffix"] == "qa" and job["seed"] == 42
    reinforcement = job["method"]["reinforcement"]
    assert job["method"]["type"] == "reinforcement"
    assert reinforcement["hyperparameters"] == {"n_epochs": 2, "eval_samples": "auto"}
    grader = json.loads((out / "grader.json").read_text())
    assert reinforcement["grader"] == grader
    assert "cases" not in grader and "check" not in grader
    train_ids = {json.loads(line)["id"] for line in (out / "train.jsonl").read_text().splitlines()}
    valid_ids = {json.loads(line)["id"] for line in (out / "valid.jsonl").read_text().splitlines()}
    assert not train_ids & valid_ids and len(train_ids | valid_ids) == 30


def test_split_is_seeded(qa_tasks, exact_grader, tmp_path):
    a = export_openai(qa_tasks, exact_grader, tmp_path / "a", OpenAIExportOptions(seed=1))
    export_openai(qa_tasks, exact_grader, tmp_path / "b", OpenAIExportOptions(seed=1))
    export_openai(qa_tasks, exact_grader, tmp_path / "c", OpenAIExportOptions(seed=2))
    assert a.valid_rows == 3
    assert (tmp_path / "a/valid.jsonl").read_text() == (tmp_path / "b/valid.jsonl").read_text()
    assert (tmp_path / "a/valid.jsonl").read_text() != (tmp_path / "c/valid.jsonl").read_text()


def test_explicit_valid_file(tmp_path, exact_grader):
    train = write_jsonl(tmp_path / "train.jsonl", qa_rows(5))
    valid = write_jsonl(tmp_path / "valid.jsonl", qa_rows(2))
    result = export_openai(train, exact_grader, tmp_path / "job", OpenAIExportOptions(valid=valid))
    assert (result.train_rows, result.valid_rows) == (5, 2)


def test_extension_sub_grader_compiles_to_python(tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", tool_rows(10))
    result = export_openai(tasks, GRADERS / "tool_call.yaml", tmp_path / "job", OpenAIExportOptions())
    graders = result.grader["graders"]
    assert set(graders) == {"function", "city", "days"}, "multi.graders stays a name map"
    assert graders["days"]["type"] == "python" and "def grade(sample, item)" in graders["days"]["source"]
    assert graders["function"]["type"] == "string_check"


def test_math_equivalence_is_refused_with_its_reason(qa_tasks, tmp_path):
    error = _refused(qa_tasks, GRADERS / "math_answer.yaml", tmp_path / "job")
    assert "math-verify is not in the hosted python-grader image" in _messages(error)


def test_non_default_rft_option_is_refused_naming_the_option(qa_tasks, tmp_path):
    grader = write_grader(
        tmp_path / "g.yaml",
        {
            "type": "text_similarity",
            "name": "sim",
            "input": "{{sample.output_text}}",
            "reference": "{{item.answer}}",
            "evaluation_metric": "fuzzy_match",
            "rft_options": {"fuzzy_scorer": "ratio"},
        },
    )
    error = _refused(qa_tasks, grader, tmp_path / "job")
    (issue,) = error.issues.errors
    assert issue.where == "grader: rft_options.fuzzy_scorer"
    assert "'ratio'" in issue.message and "'WRatio'" in issue.message


def test_default_and_execution_rft_options_are_stripped(qa_tasks, tmp_path):
    grader = write_grader(
        tmp_path / "g.yaml",
        {
            "type": "multi",
            "name": "m",
            "graders": {
                "a": {
                    "type": "string_check",
                    "input": "{{sample.output_text}}",
                    "reference": "{{item.answer}}",
                    "operation": "eq",
                    "rft_options": {"like_wildcards": False},
                }
            },
            "calculate_output": "a",
            "rft_options": {"sub_error": "error"},
        },
    )
    result = export_openai(qa_tasks, grader, tmp_path / "job", OpenAIExportOptions())
    assert "rft_options" not in json.dumps(result.grader)


def test_label_model_top_level_is_refused_by_placement(qa_tasks, tmp_path):
    grader = write_grader(
        tmp_path / "g.yaml",
        {
            "type": "label_model",
            "name": "l",
            "model": "gpt-4o-mini",
            "input": [{"role": "user", "content": "{{sample.output_text}}"}],
            "labels": ["a", "b"],
            "passing_labels": ["a"],
        },
    )
    with pytest.raises(Exception, match="label_model is only accepted inside a multi"):
        export_openai(qa_tasks, grader, tmp_path / "job", OpenAIExportOptions())


def test_rows_are_checked_with_row_and_field(tmp_path, exact_grader):
    rows = qa_rows(6)
    rows[2]["messages"][0]["role"] = "system"
    rows[4]["messages"].append({"role": "assistant", "content": "8"})
    del rows[5]["answer"]
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    text = _messages(_refused(tasks, exact_grader, tmp_path / "job", split=0.5))
    assert "tasks.jsonl line 3: messages[0].role: role 'system' is not accepted" in text
    assert "tasks.jsonl line 5: messages[2].role: the prompt ends with an assistant message" in text
    assert "tasks.jsonl line 6: {{item.answer}}: key 'answer' is missing" in text


def test_hyperparameter_typo_blocks_export(qa_tasks, exact_grader, tmp_path):
    text = _messages(_refused(qa_tasks, exact_grader, tmp_path / "job", hyperparameters={"etest_samples": 2}))
    assert "did you mean 'eval_samples'" in text


def test_validation_row_cap(tmp_path, exact_grader, monkeypatch):
    monkeypatch.setattr("rft_kit.export.openai_job.MAX_VALID_ROWS", 3)
    monkeypatch.setattr("rft_kit.export.openai_job.MAX_TRAIN_ROWS", 50)
    tasks = write_jsonl(tmp_path / "tasks.jsonl", qa_rows(50))
    result = export_openai(tasks, exact_grader, tmp_path / "job", OpenAIExportOptions(split=0.5))
    assert result.valid_rows == 3
    assert any("capped at 3" in str(w) for w in result.issues.warnings)
    big = write_jsonl(tmp_path / "big.jsonl", qa_rows(60))
    text = _messages(_refused(big, exact_grader, tmp_path / "job2", split=0.05))
    assert "train.jsonl: has 57 rows; the hosted limit is 50" in text


def test_grading_pass_catches_config_errors(tmp_path):
    # The reference is not a number on any row: a config error whatever the model answers.
    rows = [{"messages": [{"role": "user", "content": "q"}], "answer": "n/a"} for _ in range(4)]
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    grader = write_grader(
        tmp_path / "g.yaml",
        {"type": "numeric", "name": "n", "input": "{{sample.output_text}}", "reference": "{{item.answer}}"},
    )
    text = _messages(_refused(tasks, grader, tmp_path / "job", split=0.25))
    assert "grading failed with a config error" in text and "not a number" in text


def test_sample_side_template_errors_are_fine(tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", tool_rows(4))
    result = export_openai(tasks, GRADERS / "tool_call.yaml", tmp_path / "job", OpenAIExportOptions(split=0.25))
    assert result.graded_rows == 4


def test_output_json_without_response_format_warns(tmp_path):
    rows = [{"messages": [{"role": "user", "content": "q"}], "name": "Ann"} for _ in range(4)]
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    grader = write_grader(
        tmp_path / "g.yaml",
        {
            "type": "string_check",
            "name": "n",
            "input": "{{sample.output_json.name}}",
            "reference": "{{item.name}}",
            "operation": "eq",
        },
    )
    result = export_openai(tasks, grader, tmp_path / "job", OpenAIExportOptions(split=0.25))
    assert any("response_format" in str(w) for w in result.issues.warnings)
    schema = tmp_path / "person.json"
    schema.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "additionalProperties": False,
            }
        )
    )
    result = export_openai(tasks, grader, tmp_path / "job2", OpenAIExportOptions(split=0.25, response_format=schema))
    fmt = result.job["method"]["reinforcement"]["response_format"]
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "person", "strict": True, "schema": json.loads(schema.read_text())},
    }
    azure = export_openai(
        tasks, grader, tmp_path / "job3", OpenAIExportOptions(split=0.25, response_format=schema, azure=True)
    )
    assert azure.job["method"]["reinforcement"]["response_format"] == {
        "type": "json_schema",
        "name": "person",
        "schema": json.loads(schema.read_text()),
        "strict": True,
    }


def test_azure_endpoint_grader(qa_tasks, exact_grader, tmp_path):
    result = export_openai(
        qa_tasks,
        exact_grader,
        tmp_path / "job",
        OpenAIExportOptions(azure=True, endpoint_url="https://grader.example/score", endpoint_token="t0k"),
    )
    assert result.grader == {
        "type": "endpoint",
        "name": "exact_answer",
        "url": "https://grader.example/score",
        "headers": {"Authorization": "Bearer t0k"},
    }
    text = _messages(_refused(qa_tasks, exact_grader, tmp_path / "job2", endpoint_url="https://grader.example/score"))
    assert "endpoint graders exist only on Azure OpenAI" in text


def test_metadata_and_suffix_limits(qa_tasks, exact_grader, tmp_path):
    text = _messages(
        _refused(
            qa_tasks,
            exact_grader,
            tmp_path / "job",
            suffix="x" * 65,
            metadata={f"k{i}": "v" for i in range(17)},
        )
    )
    assert "suffix: is 65 characters" in text and "at most 16" in text


def test_sdk_types_check_sub_graders_one_by_one():
    issues = Issues()
    multi = {
        "type": "multi",
        "name": "m",
        "calculate_output": "a",
        "graders": {"a": {"type": "string_check", "name": "a", "input": "x", "reference": "y", "operation": "equals"}},
    }
    check_grader_with_sdk(multi, issues)
    (error,) = issues.errors
    assert error.where == "grader.json.graders.a.operation"
    ok = Issues()
    multi["graders"]["a"]["operation"] = "eq"
    check_grader_with_sdk(multi, ok)
    assert ok.items == [], "a name map of valid graders passes despite the SDK typing graders as one grader"


def test_sdk_types_check_job_fields():
    issues = Issues()
    job = {
        "model": "o4-mini-2025-04-16",
        "training_file": "file-1",
        "seed": "forty-two",
        "test_file": "file-2",
        "method": {"type": "reinforcement", "reinforcement": {"grader": {"type": "string_check"}}},
    }
    check_job_with_sdk(job, issues)
    text = "\n".join(str(e) for e in issues.errors)
    assert "job.json.seed" in text
    assert "job.json.test_file: not a field of the SDK's JobCreateParams" in text
    assert "job.json.method.reinforcement.grader" in text


def test_model_graders_are_not_called_on_export(qa_tasks, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9")  # any call would fail loudly
    grader = write_grader(
        tmp_path / "g.yaml",
        {
            "type": "score_model",
            "name": "judge",
            "model": "gpt-4o-mini-2024-07-18",
            "input": [{"role": "user", "content": "Answer {{item.answer}}; reply {{sample.output_text}}. Score 0-1."}],
            "range": [0, 1],
            "rft_options": {"harden": True},
        },
    )
    text = _messages(_refused(qa_tasks, grader, tmp_path / "job"))
    assert "rft_options.harden" in text
    grader.write_text(grader.read_text().replace("harden: true", "cache: false"))
    result = export_openai(qa_tasks, grader, tmp_path / "job", OpenAIExportOptions())
    assert result.graded_rows == 0
    assert any("local grading pass was skipped" in str(w) for w in result.issues.warnings)
    assert "rft_options" not in result.grader
