"""Row-format and hyperparameter checks: each problem names the row and field and says the fix."""

from __future__ import annotations

import pytest

from rft_kit.export.hyper import check_hyperparameters, parse_hyper
from rft_kit.export.issues import Issues
from rft_kit.export.rows import check_row, check_sizes


def _issues(row: object) -> Issues:
    issues = Issues()
    check_row(row, "tasks.jsonl line 7", issues)
    return issues


def test_valid_row_has_no_issue():
    row = {"messages": [{"role": "developer", "content": "x"}, {"role": "user", "content": "q"}], "answer": "a"}
    assert _issues(row).items == []


def test_system_role_is_an_error_with_fix():
    issues = _issues({"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "q"}]})
    (error,) = issues.errors
    assert error.where == "tasks.jsonl line 7: messages[0].role"
    assert "use 'developer'" in error.fix


def test_last_assistant_is_error_and_last_developer_is_warning():
    assert _issues({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}).errors
    issues = _issues({"messages": [{"role": "user", "content": "q"}, {"role": "tool", "content": "r"}]})
    assert not issues.errors
    assert issues.warnings[0].where.endswith("messages[1].role")


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({}, "tasks.jsonl line 7"),
        ({"messages": []}, "tasks.jsonl line 7: messages"),
        ({"messages": "hi"}, "tasks.jsonl line 7: messages"),
        ({"messages": [{"role": "user"}]}, "tasks.jsonl line 7: messages[0].content"),
        ({"messages": [{"role": "robot", "content": "q"}]}, "tasks.jsonl line 7: messages[0].role"),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]},
            "tasks.jsonl line 7: messages[0].content[0]",
        ),
        ({"messages": [{"role": "user", "content": "q"}], "tools": {"x": 1}}, "tasks.jsonl line 7: tools"),
        (
            {
                "messages": [{"role": "user", "content": "q"}],
                "tools": [{"type": "function", "function": {"name": "bad name!"}}],
            },
            "tasks.jsonl line 7: tools[0].function.name",
        ),
        ([1, 2], "tasks.jsonl line 7"),
    ],
)
def test_malformed_rows_name_the_field(row, where):
    issues = _issues(row)
    assert issues.errors, row
    assert issues.errors[0].where == where


def test_size_limits():
    issues = Issues()
    check_sizes("valid.jsonl", 1001, 100, 1000, issues)
    check_sizes("train.jsonl", 10, 513 * 2**20, 50_000, issues)
    check_sizes("empty.jsonl", 0, 0, 10, issues)
    messages = [str(e) for e in issues.errors]
    assert "1,001 rows" in messages[0] and "1,000" in messages[0]
    assert "512 MB" in messages[1]
    assert "no rows" in messages[2]


def test_hyperparameter_typo_gets_did_you_mean():
    issues = Issues()
    check_hyperparameters({"etest_samples": 4}, issues)
    (error,) = issues.errors
    assert "etest_samples" in error.message and error.fix == "did you mean 'eval_samples'?"


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("n_epochs", 1, True),
        ("n_epochs", 50, True),
        ("n_epochs", 51, False),
        ("n_epochs", 0, False),
        ("n_epochs", "auto", True),
        ("n_epochs", 2.0, False),
        ("batch_size", 256, True),
        ("batch_size", 257, False),
        ("learning_rate_multiplier", 0.0, False),
        ("learning_rate_multiplier", 3.5, True),
        ("compute_multiplier", 10, True),
        ("compute_multiplier", 10.5, False),
        ("compute_multiplier", 0.00001, False),
        ("eval_interval", 0, False),
        ("eval_samples", 1, True),
        ("reasoning_effort", "medium", True),
        ("reasoning_effort", "extreme", False),
        ("reasoning_effort", "auto", False),
        ("n_epochs", True, False),
    ],
)
def test_hyperparameter_ranges(name, value, ok):
    issues = Issues()
    check_hyperparameters({name: value}, issues)
    assert (issues.error_count == 0) is ok


def test_parse_hyper_types():
    assert parse_hyper(["n_epochs=2", "learning_rate_multiplier=0.5", "batch_size=auto"]) == {
        "n_epochs": 2,
        "learning_rate_multiplier": 0.5,
        "batch_size": "auto",
    }
    with pytest.raises(ValueError, match="name=value"):
        parse_hyper(["n_epochs"])
