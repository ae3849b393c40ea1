"""SIGKILL `rft sample` and `rft grade` mid-run; the re-run must finish with every record exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from rft_kit.io.jsonl import iter_jsonl
from rft_kit.local_openai import LocalServer

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"
RFT = [sys.executable, "-m", "rft_kit"]

pytestmark = pytest.mark.slow


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _kill_when(command: list[str], output: Path, at_least: int, timeout_s: float = 60.0) -> int:
    """Start ``command`` in its own process group and SIGKILL the group once ``output`` has ``at_least`` lines."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    try:
        while _lines(output) < at_least:
            if process.poll() is not None:
                pytest.fail(f"finished before it could be killed: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                pytest.fail("no progress to kill")
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        assert process.stderr is not None
        process.stderr.close()
    return process.returncode


def _keys(path: Path) -> Counter[tuple[str, int]]:
    keys: Counter[tuple[str, int]] = Counter()
    for line in path.read_text().splitlines():
        record = json.loads(line)  # every line must be whole JSON after the re-run
        keys[(record["item_id"], record["sample_index"])] += 1
    return keys


@pytest.fixture
def slow_server() -> Iterator[LocalServer]:
    with LocalServer(latency_s=0.01) as server:
        yield server


def test_killed_sample_run_resumes_with_every_sample_once(slow_server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    command = [
        *RFT, "sample", str(QUICKSTART / "items.jsonl"), "--model", "sim-base", "-n", "8",
        "--base-url", slow_server.base_url, "--concurrency", "2", "-o", str(out),
    ]  # fmt: skip
    code = _kill_when(command, out, at_least=40)
    assert code == -signal.SIGKILL
    partial = _lines(out)
    assert 40 <= partial < 320
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr
    keys = _keys(out)
    assert len(keys) == 40 * 8 and set(keys.values()) == {1}


def test_killed_grade_run_resumes_with_every_grade_once(tmp_path: Path) -> None:
    bundled = [line.value for line in iter_jsonl(QUICKSTART / "samples.jsonl") if line.error is None]
    texts = [record["output_text"] for record in bundled if isinstance(record, dict) and "output_text" in record]
    items = [json.loads(line)["id"] for line in (QUICKSTART / "items.jsonl").read_text().splitlines()]
    samples = tmp_path / "samples.jsonl"
    per_item = 500
    with open(samples, "w") as handle:
        for index in range(per_item):
            for n, item_id in enumerate(items):
                text = texts[(index + n) % len(texts)]
                handle.write(json.dumps({"item_id": item_id, "sample_index": index, "output_text": text}) + "\n")
    grades = tmp_path / "grades.jsonl"
    command = [
        *RFT, "grade", str(QUICKSTART / "grader.yaml"), "--items", str(QUICKSTART / "items.jsonl"),
        "--samples", str(samples), "-o", str(grades), "--workers", "1", "--batch-size", "16",
    ]  # fmt: skip
    code = _kill_when(command, grades, at_least=2000)
    assert code == -signal.SIGKILL
    assert _lines(grades) < len(items) * per_item
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr
    keys = _keys(grades)
    assert len(keys) == len(items) * per_item and set(keys.values()) == {1}
