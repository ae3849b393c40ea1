"""The agentic view of reports, from real rollouts of the SIMULATED agents graded on their final state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rft_kit.graders.loading import load_grader
from rft_kit.grading import grade
from rft_kit.report import make_report, write_report
from rft_kit.rollout import rollout

from .envs import counter_row

GRADER: dict[str, Any] = {
    "type": "string_check",
    "name": "x_total",
    "input": "{{sample.final_state.values.x}}",
    "reference": "{{item.expected_x}}",
    "operation": "eq",
}


def _run(folder: Path, model: str, base_url: str) -> Path:
    folder.mkdir()
    rows = []
    for k in range(30):
        row = counter_row(f"r{k}", [("x", k), ("y", 1), ("x", 2), ("z", 5)])
        row["expected_x"] = str(k + 2)
        rows.append(row)
    (folder / "tasks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    rollout(folder / "tasks.jsonl", folder / "samples.jsonl", model=model, base_url=base_url, n=2, max_turns=8)
    grader = load_grader(GRADER, placement="any")
    grade(grader, folder / "samples.jsonl", folder / "tasks.jsonl", output=folder / "grades.jsonl")
    (folder / "run.json").write_text(json.dumps({"name": folder.name, "model": {"name": model, "simulated": True}}))
    return folder


def test_report_shows_episodes_and_compares_them_with_a_baseline(base_url: str, tmp_path: Path) -> None:
    base = _run(tmp_path / "base", "sim-agent-base", base_url)
    oracle = _run(tmp_path / "oracle", "sim-agent-oracle", base_url)
    report = make_report(oracle, base)
    section = report["agentic"]
    assert section["episodes"] == 60 and section["stop_reasons"] == {"final_answer": 60}
    assert section["turns"]["mean"] == 5 and section["tool_calls"]["total"] == 240
    assert section["tool_errors"]["rate"] == 0 and section["tools"][0] == {
        "tool": "add", "calls": 240, "errors": 0, "error_rate": 0.0,
    }  # fmt: skip
    assert section["mean_reward_by_stop_reason"] == {"final_answer": 1.0}
    assert report["summary"]["mean_reward"] == 1.0

    baseline = make_report(base)["agentic"]
    assert baseline["episodes"] == 60
    assert baseline["tool_errors"]["total"] > 0 and baseline["tool_errors"]["rate"] > 0
    assert sum(baseline["stop_reasons"].values()) == 60
    errors_by_tool = sum(t["errors"] for t in baseline["tools"])
    assert errors_by_tool == baseline["tool_errors"]["total"] == sum(baseline["tool_errors"]["by_kind"].values())

    cmp = report["comparison"]["agentic"]
    assert (
        cmp["tool_error_rate"]["value"] == 0 and cmp["tool_error_rate"]["baseline"] == baseline["tool_errors"]["rate"]
    )
    assert cmp["mean_turns"]["delta"] == 5 - baseline["turns"]["mean"]
    assert cmp["stop_reason_shares"]["final_answer"]["value"] == 1.0

    html, md, _ = write_report(report, tmp_path / "oracle" / "report.html")
    markdown = md.read_text()
    assert "## Agentic episodes" in markdown and "### Episodes against the baseline" in markdown
    assert "| add | 240 | 0 | 0.0% |" in markdown
    assert 'id="agentic"' in html.read_text()


def test_single_turn_runs_have_no_agentic_section(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "samples.jsonl").write_text(json.dumps({"item_id": "a", "sample_index": 0, "output_text": "x"}) + "\n")
    (folder / "grades.jsonl").write_text(
        json.dumps({"item_id": "a", "sample_index": 0, "reward": 1.0, "status": "scored"}) + "\n"
    )
    report = make_report(folder)
    assert report["agentic"] is None
    _, md, _ = write_report(report, folder / "report.html")
    assert "Agentic" not in md.read_text()
