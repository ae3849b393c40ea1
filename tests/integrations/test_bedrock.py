"""``rft export bedrock``: the dataset format, and the reward Lambda called as Lambda calls it (a fresh process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rft_kit import load_grader
from rft_kit.cli import app
from rft_kit.environments.episode import split_plan
from rft_kit.export import ExportError
from rft_kit.export.bedrock import export_bedrock
from rft_kit.integrations.bedrock import BedrockReward
from rft_kit.records import Sample
from rft_kit.tasks import generate, get_template

REPO = Path(__file__).resolve().parents[2]
GRADER = REPO / "graders" / "tasks" / "support_desk.yaml"
EXACT = REPO / "graders" / "exact_answer.yaml"

_SUPPORT = BedrockReward(GRADER)

# What the Lambda runtime does: import the handler module from the package root and call handler(event, context).
_RUNTIME = """
import json, sys
import handler, rft_kit
event = json.load(sys.stdin)
result = handler.lambda_handler(event, object())
json.dump({"rft_kit": rft_kit.__file__, "result": result}, sys.stdout)
"""


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _invoke(package: Path, event: Any, tmp_path: Path) -> dict[str, Any]:
    """The handler in a fresh interpreter whose only path entry besides the installed packages is the package dir."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(package)
    done = subprocess.run(
        [sys.executable, "-c", _RUNTIME],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, Any] = json.loads(done.stdout)
    out["stderr"] = done.stderr
    return out


def _assistant_turn(row: dict[str, Any], *, drop_calls: int = 0) -> dict[str, Any]:
    calls, answer = split_plan(row["reference_answer"]["oracle_plan"])
    calls = calls[: len(calls) - drop_calls] if drop_calls else calls
    tool_calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
        }
        for i, c in enumerate(calls)
    ]
    return {"role": "assistant", "content": answer, "tool_calls": tool_calls}


def test_dataset_rows_are_bedrock_records(tmp_path):
    rows = [dict(r) for r in generate(get_template("support_desk"), 3, seed=2)]
    rows[0]["messages"] = [{"role": "developer", "content": "Be kind."}, *rows[0]["messages"]]
    result = export_bedrock(_write(tmp_path / "t.jsonl", rows), GRADER, tmp_path / "out")
    records = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    assert result.rows == len(records) == 3
    assert records[0]["messages"][0] == {"role": "system", "content": "Be kind."}
    for row, record in zip(rows, records, strict=True):
        assert record["id"] == row["id"] and record["tools"] == row["tools"]
        assert {m["role"] for m in record["messages"]} <= {"system", "user", "assistant"}
        assert record["reference_answer"]["expected_state"] == row["expected_state"]
        assert record["reference_answer"]["environment"] == row["environment"]
        assert "messages" not in record["reference_answer"]
    assert any("at least 100" in w.message for w in result.issues.warnings)
    package = tmp_path / "out" / "lambda"
    assert {p.name for p in package.iterdir()} >= {"handler.py", "grader.json", "requirements.txt", "rft_kit"}
    assert "jsonschema" in (package / "requirements.txt").read_text()


def test_handler_called_as_lambda_grades_like_the_local_grader(tmp_path):
    rows = [dict(r) for r in generate(get_template("support_desk"), 6, seed=4)]
    export_bedrock(_write(tmp_path / "t.jsonl", rows), GRADER, tmp_path / "out")
    records = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text().splitlines()]
    event = []
    for index, record in enumerate(records):
        turn = _assistant_turn(record, drop_calls=index % 2)  # odd rows: the agent stops one call short
        event.append(
            {
                "id": record["id"],
                "messages": [*record["messages"], turn],
                "reference_answer": record["reference_answer"],
            }
        )
    event.append(
        {"id": "broken", "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}]}
    )
    out = _invoke(tmp_path / "out" / "lambda", event, tmp_path)
    assert out["rft_kit"].startswith(str(tmp_path / "out" / "lambda"))  # the vendored copy, not the installed one
    results = out["result"]
    assert [r["id"] for r in results] == [e["id"] for e in event]
    local = load_grader(GRADER)
    gen = get_template("support_desk")
    for row, result in zip(rows, results, strict=False):
        metrics = {m["name"]: (m["value"], m["type"]) for m in result["metrics_list"]}
        assert metrics["support_desk"] == (result["aggregate_reward_score"], "Reward")
        assert metrics["grade_error"] == (0.0, "Metric")
        assert {k for k in metrics if k.startswith("sub/")} == {"sub/state", "sub/calls", "sub/answer"}
        if rows.index(row) % 2 == 0:
            assert result["aggregate_reward_score"] == 1.0
            expected = local.grade(Sample.from_obj(gen.reference_sample(row)), row).reward
            assert result["aggregate_reward_score"] == expected
    short = [r["aggregate_reward_score"] for i, r in enumerate(results[:-1]) if i % 2]
    assert all(score < 1.0 for score in short)  # one call short changes the final state: graded, not passed through
    broken = results[-1]
    assert broken["aggregate_reward_score"] == 0.0
    assert {m["name"]: m["value"] for m in broken["metrics_list"]}["grade_error"] == 1.0
    assert '"id": "broken"' in out["stderr"]  # the error is logged (CloudWatch), the batch went on


def test_plain_rows_grade_without_an_environment(tmp_path):
    rows = [
        {"id": f"q{i}", "messages": [{"role": "user", "content": f"{i}+{i}?"}], "answer": str(2 * i)} for i in range(3)
    ]
    export_bedrock(_write(tmp_path / "t.jsonl", rows), EXACT, tmp_path / "out")
    event = [
        {
            "id": "q0",
            "messages": [*rows[0]["messages"], {"role": "assistant", "content": "0"}],
            "reference_answer": {"answer": "0"},
        },
        {
            "id": "q1",
            "messages": [*rows[1]["messages"], {"role": "assistant", "content": "3"}],
            "reference_answer": {"answer": "2"},
        },
    ]
    results = _invoke(tmp_path / "out" / "lambda", event, tmp_path)["result"]
    assert [r["aggregate_reward_score"] for r in results] == [1.0, 0.0]


def test_a_malformed_event_raises_instead_of_scoring_zeros():
    reward = BedrockReward(EXACT)
    with pytest.raises(Exception, match="expects a list of samples"):
        reward({"samples": []})


def test_rows_without_a_prompt_are_refused_and_nothing_is_written(tmp_path):
    tasks = _write(tmp_path / "t.jsonl", [{"id": "a", "answer": "1"}])
    with pytest.raises(ExportError, match=r"t\.jsonl line 1"):
        export_bedrock(tasks, EXACT, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli(tmp_path):
    rows = [{"id": "q", "messages": [{"role": "user", "content": "1+1?"}], "answer": "2"}]
    tasks = _write(tmp_path / "t.jsonl", rows)
    result = CliRunner().invoke(
        app, ["export", "bedrock", str(tasks), "-g", "rft:exact_answer", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "lambda" / "handler.py").exists() and (tmp_path / "o" / "README.md").exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
records = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "messages": st.lists(
            st.fixed_dictionaries(
                {"role": st.sampled_from(["system", "user", "assistant", "tool"]), "content": json_values},
                optional={"tool_calls": json_values},
            ),
            max_size=4,
        )
        | json_values,
        "reference_answer": json_values,
        "metadata": json_values,
    },
)


@settings(max_examples=150, deadline=None)
@given(event=st.lists(records, max_size=5))
def test_the_handler_answers_any_list_of_records_one_result_each(event):
    """Whatever Bedrock (or a broken dataset) sends in a list, every record gets a result in [0, 1] and the batch
    never raises: a record that cannot be graded is a 0 with grade_error 1."""
    results = _SUPPORT(event)
    assert [r["id"] for r in results] == [r.get("id") for r in event]
    for result in results:
        assert 0.0 <= result["aggregate_reward_score"] <= 1.0
        names = [m["name"] for m in result["metrics_list"]]
        assert names[0] == "support_desk" and names[-1] == "grade_error"
        assert all(m["type"] in ("Reward", "Metric") for m in result["metrics_list"])
