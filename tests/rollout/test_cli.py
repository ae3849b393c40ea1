"""`rft rollout` from the command line, with the local server started in-process (`--base-url local`)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rft_kit.cli import app

from .envs import counter_row


def test_rollout_command_with_a_local_server(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    rows = [counter_row(f"c{k}", [("x", k), ("y", 1)]) for k in range(3)]
    tasks.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n")
    out, summary = tmp_path / "episodes.jsonl", tmp_path / "summary.json"
    result = CliRunner().invoke(
        app,
        ["rollout", str(tasks), "-m", "sim-agent-oracle", "--base-url", "local", "-n", "2", "--max-turns", "5",
         "-o", str(out), "--summary-json", str(summary)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(summary.read_text())
    assert data["written"] == 6 and data["stop_reasons"] == {"final_answer": 6} and data["input_errors"] == 1
    assert data["tool_calls"] == 12 and data["turns"] == 18
    text = " ".join(result.output.split())
    assert "SIMULATED agent" in text and "tasks.jsonl:4: invalid JSON" in text.replace(" ", "").replace(
        "invalidJSON", " invalid JSON"
    )
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted((r["item_id"], r["sample_index"]) for r in records) == [
        (f"c{k}", i) for k in range(3) for i in (0, 1)
    ]


def test_rollout_command_rejects_bad_settings(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["rollout", str(tmp_path / "t.jsonl"), "-m", "m", "-o", "o", "--max-turns", "0"])
    assert result.exit_code != 0 and "max-turns" in result.output
    missing = CliRunner().invoke(app, ["rollout", str(tmp_path / "none.jsonl"), "-m", "m", "-o", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "cannot open" in missing.output
    (tmp_path / "t.jsonl").write_text("")
    no_key = CliRunner(env={"OPENAI_API_KEY": None, "OPENAI_BASE_URL": None}).invoke(
        app, ["rollout", str(tmp_path / "t.jsonl"), "-m", "m", "-o", str(tmp_path / "o")]
    )
    assert no_key.exit_code == 2 and "OPENAI_API_KEY" in no_key.output
