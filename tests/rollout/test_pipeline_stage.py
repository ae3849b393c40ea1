"""`rft run` pipelines roll out agentic tasks in their samples stage, and resume or redo it like sampling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rft_kit.errors import ConfigError
from rft_kit.runs.config import RolloutSettings, load_pipeline, parse_pipeline
from rft_kit.runs.pipeline import run_pipeline

from .envs import counter_row
from .test_report_view import GRADER


def _pipeline(tmp_path: Path, **extra: object) -> Path:
    rows = []
    for k in range(6):
        row = counter_row(f"p{k}", [("x", k), ("x", 1)])
        row["expected_x"] = str(k + 1)
        rows.append(row)
    (tmp_path / "tasks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "grader.yaml").write_text(yaml.safe_dump(GRADER))
    doc = {"name": "agentic", "tasks": {"path": "tasks.jsonl"}, "grader": "grader.yaml",
           "model": {"name": "sim-agent-oracle", "n": 2}, **extra}  # fmt: skip
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_agentic_rows_roll_out_in_the_samples_stage(tmp_path: Path) -> None:
    config = load_pipeline(_pipeline(tmp_path))
    assert config.rollout is None  # agentic rows roll out anyway, with the default limits
    result = run_pipeline(config, tmp_path / "runs")
    assert result.simulated
    stage = {s.stage: s for s in result.stages}["samples"]
    assert stage.summary["mode"] == "rollout" and stage.summary["stop_reasons"] == {"final_answer": 12}
    records = [json.loads(line) for line in result.folder.samples.read_text().splitlines()]
    assert len(records) == 12 and all(r["turns"] == 3 for r in records)
    assert result.report is not None and result.report["summary"]["mean_reward"] == 1.0
    assert result.report["agentic"]["episodes"] == 12
    meta = json.loads(result.folder.run_json.read_text())
    assert meta["model"]["rollout"] == {"max_turns": 10, "token_budget": None}
    assert meta["stages"]["samples"]["inputs"]["mode"] == "rollout"
    again = run_pipeline(config, tmp_path / "runs")
    assert [s.action for s in again.stages] == ["skipped"] * 4


def test_changing_the_episode_limits_redoes_the_rollout(tmp_path: Path) -> None:
    run_pipeline(load_pipeline(_pipeline(tmp_path)), tmp_path / "runs")
    limited = load_pipeline(_pipeline(tmp_path, rollout={"max_turns": 2}))
    assert limited.rollout == RolloutSettings(max_turns=2)
    result = run_pipeline(limited, tmp_path / "runs")
    assert [s.action for s in result.stages] == ["skipped", "done", "done", "done"]
    records = [json.loads(line) for line in result.folder.samples.read_text().splitlines()]
    assert {r["stop_reason"] for r in records} == {"max_turns"} and len(records) == 12


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"max_turn": 3}, "unknown key 'max_turn'"),
        ({"max_turns": 0}, "rollout.max_turns"),
        ({"token_budget": "lots"}, "rollout.token_budget"),
        ("yes", "must be true or"),
    ],
)
def test_bad_rollout_settings_name_the_field(tmp_path: Path, value: object, message: str) -> None:
    doc = {"name": "x", "tasks": {"path": "t.jsonl"}, "grader": "g.yaml", "model": "m", "rollout": value}
    with pytest.raises(ConfigError, match=message):
        parse_pipeline(doc, base_dir=tmp_path)


def test_the_bundled_agentic_pipeline_runs(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "pipeline_agentic.yaml"
    config = load_pipeline(example)
    assert config.rollout == RolloutSettings(max_turns=20) and config.tasks.template == "support_desk"
    small = parse_pipeline(
        {**yaml.safe_load(example.read_text()), "tasks": {"template": "support_desk", "n": 5, "seed": 7}},
        base_dir=example.parent,
    )
    result = run_pipeline(small, tmp_path / "runs")
    assert result.simulated and result.report is not None
    assert result.report["agentic"]["episodes"] == 20
    assert sum(result.report["agentic"]["stop_reasons"].values()) == 20
