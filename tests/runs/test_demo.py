"""`rft demo` end to end, in a fresh process, offline, timed."""

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


def test_rft_demo_runs_the_whole_loop_offline_in_time(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}  # no API key, no endpoint
    env["NO_PROXY"] = "*"
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "rft_kit", "demo", "--runs-dir", str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        env=env,
        timeout=DEMO_BUDGET_S + 30,
        check=False,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < DEMO_BUDGET_S, f"rft demo took {elapsed:.1f} s"
    assert "SIMULATED" in result.stdout
    for name in ("demo-base", "demo-strong"):
        folder = tmp_path / "runs" / name
        meta = json.loads((folder / "run.json").read_text())
        assert {s["status"] for s in meta["stages"].values()} == {"done"}
        assert meta["model"]["simulated"] is True
        assert (folder / "report.html").stat().st_size > 5000
    report = json.loads((tmp_path / "runs" / "demo-strong" / "report.json").read_text())
    # the numbers mean something: neither 0 nor 1 everywhere, pass@k rising with k, a positive comparison
    assert 0.3 < report["summary"]["mean_reward"] < 0.99
    ks = list(report["pass_at_k"].values())
    assert ks == sorted(ks) and ks[-1] > ks[0]
    assert 0 < report["learning_signal"]["share_no_signal"] < 1
    assert report["comparison"]["mean_reward_delta"]["mean"] > 0
    print(f"rft demo: {elapsed:.1f} s")
