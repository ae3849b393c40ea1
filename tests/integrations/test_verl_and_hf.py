"""verl Parquet + compute_score (loaded by path, called as verl calls it) and Hugging Face dataset round trips."""

from __future__ import annotations

import importlib.util
import json
import pickle
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rft_kit.cli import app
from rft_kit.export.hf import graded_run_dataset, load_task_dataset, rows_from_dataset, save_dataset, task_dataset
from rft_kit.export.verl import export_verl
from rft_kit.integrations.verl import ComputeScore

REPO = Path(__file__).resolve().parents[2]
GRADERS = REPO / "graders"


def _tool_rows(n: int) -> list[dict]:
    return [
        {
            "id": f"t{i}",
            "messages": [
                {"role": "developer", "content": "Call a tool."},
                {"role": "user", "content": f"Lisbon, {i + 1} days"},
            ],
            "function": "get_forecast",
            "arguments": {"city": "Lisbon", "days": i + 1},
        }
        for i in range(n)
    ]


def _write(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _import_by_path(path: Path):
    # What verl's custom_reward_function loader does: spec_from_file_location + exec_module.
    spec = importlib.util.spec_from_file_location("custom_module", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_verl_export_and_compute_score(tmp_path):
    pd = pytest.importorskip("pandas")
    tasks = _write(tmp_path / "tasks.jsonl", _tool_rows(3))
    out = tmp_path / "verl"
    result = export_verl(tasks, GRADERS / "tool_call.yaml", out)
    assert result.reference_field == "function"
    frame = pd.read_parquet(out / "train.parquet")
    assert list(frame.columns) == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    row = frame.iloc[1].to_dict()
    assert row["data_source"] == "rft_kit/tool_call" and row["ability"] == "rft"
    assert [dict(m) for m in row["prompt"]] == [
        {"role": "system", "content": "Call a tool."},
        {"role": "user", "content": "Lisbon, 2 days"},
    ]
    assert dict(row["reward_model"]) == {"style": "rule", "ground_truth": "get_forecast"}
    assert json.loads(row["extra_info"]["item"]) == _tool_rows(3)[1]

    compute_score = _import_by_path(out / "compute_score.py").compute_score
    # A text-only solution has no tool call: the grader fails (template error), verl gets score 0 and grade_error 1.
    scored = compute_score(
        row["data_source"], "I would call it", row["reward_model"]["ground_truth"], row["extra_info"]
    )
    assert scored == {"score": 0.0, "grade_error": 1.0, "sub/function": 0.0, "sub/city": 0.0, "sub/days": 0.0}


def test_compute_score_without_extra_info_uses_ground_truth():
    fn = ComputeScore(GRADERS / "exact_answer.yaml")
    assert fn("src", "Paris", "Paris") == {"score": 1.0, "grade_error": 0.0}
    assert fn("src", "Lyon", "Paris", extra_info={"index": 0}) == {"score": 0.0, "grade_error": 0.0}
    assert pickle.loads(pickle.dumps(fn))("src", "Paris", "Paris")["score"] == 1.0


def test_verl_cli(tmp_path):
    tasks = _write(
        tmp_path / "tasks.jsonl", [{"messages": [{"role": "user", "content": "Capital of France?"}], "answer": "Paris"}]
    )
    result = CliRunner().invoke(
        app,
        [
            "export",
            "verl",
            str(tasks),
            "-g",
            str(GRADERS / "exact_answer.yaml"),
            "-o",
            str(tmp_path / "v"),
            "--data-source",
            "geo",
        ],
    )
    assert result.exit_code == 0, result.output
    module = _import_by_path(tmp_path / "v" / "compute_score.py")
    assert module.compute_score("geo", "Paris", "Paris", None)["score"] == 1.0


def test_verl_refuses_rows_without_a_prompt(tmp_path):
    tasks = _write(tmp_path / "tasks.jsonl", [{"answer": "x"}])
    result = CliRunner().invoke(
        app, ["export", "verl", str(tasks), "-g", str(GRADERS / "exact_answer.yaml"), "-o", str(tmp_path / "v")]
    )
    assert result.exit_code == 1 and "needs a non-empty 'messages'" in result.output


def test_task_set_round_trips_through_datasets(tmp_path):
    pytest.importorskip("datasets")
    rows = [*_tool_rows(4), {"messages": [{"role": "user", "content": "q"}], "answer": "x", "arguments": "not a dict"}]
    dataset = task_dataset(rows)
    assert "function" in dataset.column_names and "arguments" not in dataset.column_names  # mixed types stay in item
    save_dataset(dataset, tmp_path / "ds")
    assert rows_from_dataset(load_task_dataset(tmp_path / "ds")) == rows


def test_graded_run_joins_tasks_samples_and_grades(tmp_path):
    pytest.importorskip("datasets")
    from rft_kit import grade

    quick = REPO / "examples" / "quickstart"
    grades = tmp_path / "grades.jsonl"
    grade(quick / "grader.yaml", quick / "samples.jsonl", items=quick / "items.jsonl", output=grades, workers=1)
    dataset = graded_run_dataset(quick / "items.jsonl", quick / "samples.jsonl", grades)
    n_samples = len(grades.read_text().splitlines())  # one grade per readable sample line
    assert n_samples == len((quick / "samples.jsonl").read_text().splitlines()) - 1  # the example has one torn line
    assert len(dataset) == n_samples
    first = dataset[0]
    assert first["item_id"] == json.loads(first["item"])["id"] == json.loads(first["sample"])["item_id"]
    assert 0.0 <= first["reward"] <= 1.0 and set(json.loads(first["sub_rewards"])) == {"name", "email", "total"}
    save_dataset(dataset, tmp_path / "run")
    assert len(load_task_dataset(tmp_path / "run")) == n_samples


def test_hf_cli(tmp_path):
    pytest.importorskip("datasets")
    tasks = _write(tmp_path / "tasks.jsonl", _tool_rows(2))
    result = CliRunner().invoke(app, ["export", "hf", str(tasks), "-o", str(tmp_path / "ds")])
    assert result.exit_code == 0, result.output
    assert rows_from_dataset(load_task_dataset(tmp_path / "ds")) == _tool_rows(2)


def test_verl_hint_follows_current_verl(tmp_path):
    """Issue 19: verl >= 0.7.1 reads reward.custom_reward_function; verl 0.9's main_ppo no longer migrates the
    legacy top-level key, so telling users to set custom_reward_function.path trained on verl's default reward."""
    tasks = _write(
        tmp_path / "tasks.jsonl", [{"messages": [{"role": "user", "content": "Capital of France?"}], "answer": "Paris"}]
    )
    result = CliRunner().invoke(
        app, ["export", "verl", str(tasks), "-g", str(GRADERS / "exact_answer.yaml"), "-o", str(tmp_path / "v")]
    )
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert f"reward.custom_reward_function.path={tmp_path / 'v' / 'compute_score.py'}" in output
    assert "reward.custom_reward_function.name=compute_score" in output
    assert "ground_truth = item.answer" in output
    module_text = (tmp_path / "v" / "compute_score.py").read_text()
    assert "reward.custom_reward_function.path=" in module_text and "verl >= 0.7.1" in module_text


PY_GRADER = {
    "type": "python",
    "name": "py_exact",
    "source": "def grade(sample, item):\n    return 1.0 if sample['output_text'] == item['solution'] else 0.0\n",
}


def test_python_grader_reference_comes_from_its_source(tmp_path):
    pd = pytest.importorskip("pandas")
    rows = [{"messages": [{"role": "user", "content": "2+2?"}], "solution": "4", "note": "x"}]
    tasks = _write(tmp_path / "tasks.jsonl", rows)
    grader = tmp_path / "py.json"
    grader.write_text(json.dumps(PY_GRADER))
    result = export_verl(tasks, grader, tmp_path / "v")
    assert (result.reference_field, result.reference_origin) == ("solution", "python source")
    assert "read from the python grader's source" in result.describe_reference()
    frame = pd.read_parquet(tmp_path / "v" / "train.parquet")
    assert dict(frame.iloc[0]["reward_model"])["ground_truth"] == "4"
    module = _import_by_path(tmp_path / "v" / "compute_score.py")
    assert module.compute_score("src", "4", "4", None)["score"] == 1.0  # without extra_info, ground_truth is used


def test_no_reference_field_says_what_ground_truth_holds(tmp_path):
    rows = [{"messages": [{"role": "user", "content": "Say hi"}]}]
    tasks = _write(tmp_path / "tasks.jsonl", rows)
    grader = tmp_path / "py.json"
    grader.write_text(json.dumps({**PY_GRADER, "source": "def grade(sample, item):\n    return 1.0\n"}))
    result = CliRunner().invoke(app, ["export", "verl", str(tasks), "-g", str(grader), "-o", str(tmp_path / "v")])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "item.None" not in output
    assert "ground_truth left empty" in output and "--reference FIELD" in output
