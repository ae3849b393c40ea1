"""`rft demo --agentic` end to end, in a fresh process, offline, timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DEMO_BUDGET_S = 120.0


def test_agentic_demo_runs_generate_rollout_grade_report_offline(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}  # no API key, no endpoint
    env["NO_PROXY"] = "*"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "rft_kit", "demo", "--agentic", "--runs-dir", str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        env=env,
        timeout=DEMO_BUDGET_S + 30,
        check=False,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < DEMO_BUDGET_S, f"rft demo --agentic took {elapsed:.1f} s"
    assert "SIMULATED AGENTS" in result.stdout and "agentic episodes" in result.stdout
    for name in ("agentic-base", "agentic-strong"):
        folder = tmp_path / "runs" / name
        meta = json.loads((folder / "run.json").read_text())
        assert {s["status"] for s in meta["stages"].values()} == {"done"}
        assert meta["model"]["simulated"] is True and meta["stages"]["samples"]["summary"]["mode"] == "rollout"
        episodes = [json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()]
        assert len(episodes) == 30 * 4 and all("trajectory" in e and "final_state" in e for e in episodes)
    report = json.loads((tmp_path / "runs" / "agentic-strong" / "report.json").read_text())
    assert report["agentic"]["episodes"] == 120 and report["agentic"]["tool_calls"]["total"] > 120
    # the numbers mean something: the strong agent beats the base one, neither scores 0 or 1 everywhere
    assert 0.5 < report["summary"]["mean_reward"] < 1.0
    assert report["comparison"]["mean_reward_delta"]["mean"] > 0
    assert report["comparison"]["agentic"]["tool_error_rate"]["delta"] < 0
    assert "Agentic episodes" in (tmp_path / "runs" / "agentic-strong" / "report.md").read_text()
    assert not (tmp_path / "runs" / "demo-base").exists()  # plain `rft demo` is a different demo
