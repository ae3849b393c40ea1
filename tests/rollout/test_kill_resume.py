"""SIGKILL a real `rft rollout` process mid-run; the re-run must finish with every episode exactly once."""

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
from typing import Any

import pytest

from rft_kit.environments import environment_class
from rft_kit.local_openai import LocalServer

RFT = [sys.executable, "-m", "rft_kit"]
ITEMS, PER_ITEM = 40, 4

pytestmark = pytest.mark.slow


def _row(k: int) -> dict[str, Any]:
    """A support_store row (the real environment) whose plan looks things up over three turns."""
    order = {
        "id": f"O-{1000 + k}",
        "customer_id": f"C-{k}",
        "status": "delivered",
        "placed": "2026-03-01",
        "delivered": "2026-03-04",
        "items": [{"sku": f"SKU-{k}", "product_id": f"P-{k}", "name": "mug", "price_cents": 1200, "final_sale": False}],
    }
    spec = {
        "name": "support_store",
        "today": "2026-03-10",
        "customers": [{"id": f"C-{k}", "name": "Ann Lee", "email": f"ann{k}@example.com", "tier": "standard"}],
        "orders": [order],
        "products": [{"id": f"P-{k}", "name": "mug", "variants": {f"SKU-{k}": 3}}],
    }
    return {
        "id": f"kill-{k}",
        "messages": [{"role": "user", "content": f"What is the status of order O-{1000 + k}?"}],
        "tools": environment_class("support_store").tool_schemas(spec),
        "environment": spec,
        "oracle_plan": [
            {"name": "find_customer", "arguments": {"email": f"ann{k}@example.com"}},
            {"name": "get_order", "arguments": {"order_id": f"O-{1000 + k}"}},
            {"name": "get_product", "arguments": {"product_id": f"P-{k}"}},
            {"final_answer": "It was delivered on 2026-03-04."},
        ],
    }


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.fixture
def slow_server() -> Iterator[LocalServer]:
    with LocalServer(latency_s=0.01) as server:
        yield server


def test_killed_rollout_resumes_with_every_episode_once(slow_server: LocalServer, tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text("".join(json.dumps(_row(k)) + "\n" for k in range(ITEMS)))
    out = tmp_path / "episodes.jsonl"
    command = [
        *RFT, "rollout", str(tasks), "--model", "sim-agent-oracle", "-n", str(PER_ITEM),
        "--base-url", slow_server.base_url, "--concurrency", "2", "-o", str(out),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while _lines(out) < 30:
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
    assert process.returncode == -signal.SIGKILL
    partial = _lines(out)
    assert 30 <= partial < ITEMS * PER_ITEM
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]  # every line whole JSON after the re-run
    keys = Counter((r["item_id"], r["sample_index"]) for r in records)
    assert len(keys) == ITEMS * PER_ITEM and set(keys.values()) == {1}
    assert {r["stop_reason"] for r in records} == {"final_answer"}
    assert all(r["turns"] == 4 and len(r["output_tools"]) == 3 for r in records)
    assert "episodes written now" in finished.stderr and str(ITEMS * PER_ITEM - partial) in finished.stderr
