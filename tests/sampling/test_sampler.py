"""rft_kit.sample through the real openai SDK against the local server with the SIMULATED solver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rft_kit.grading import grade
from rft_kit.local_openai import LocalServer
from rft_kit.sampling import SamplingParams, sample
from rft_kit.sampling.request import build_request

ROOT = Path(__file__).resolve().parents[2]
ITEMS = ROOT / "examples" / "quickstart" / "items.jsonl"
GRADER = ROOT / "examples" / "quickstart" / "grader.yaml"
CHAT = ("POST", "/v1/chat/completions")


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_faults(server: LocalServer) -> None:
    server.configure_faults()
    server.stats.reset()


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _keys(path: Path) -> Counter[tuple[str, int]]:
    return Counter((r["item_id"], r["sample_index"]) for r in _records(path))


def _items(n: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ITEMS.read_text().splitlines()[:n]]


def test_samples_every_item_k_times_with_usage_latency_and_parsed_json(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    summary = sample(ITEMS, out, model="sim-base", n=3, base_url=server.base_url, temperature=1.0)
    records = _records(out)
    assert summary.written == len(records) == 40 * 3
    assert set(_keys(out).values()) == {1}
    assert summary.failed == 0 and summary.retries == 0
    first = records[0]
    assert first["model"] == "sim-base"
    assert first["usage"]["completion_tokens"] > 0 and first["latency_ms"] > 0 and first["attempts"] == 1
    parsed = [r for r in records if r["output_json"] is not None]
    assert parsed and all(json.loads(r["output_text"]) == r["output_json"] for r in parsed)
    assert summary.prompt_tokens == sum(r["usage"]["prompt_tokens"] for r in records)
    # the records grade as rft-kit samples, joined to items by id
    graded = grade(GRADER, out, ITEMS)
    assert graded.graded == 120 and graded.input_error_count == 0
    assert 0.2 < graded.mean_reward < 1.0


def test_retries_429_honouring_retry_after_and_counts_them(server: LocalServer, tmp_path: Path) -> None:
    server.configure_faults(fail_first=3, fail_status=429, retry_after_ms=250)
    out = tmp_path / "samples.jsonl"
    start = time.perf_counter()
    summary = sample(_items(2), out, model="sim-base", n=1, base_url=server.base_url, concurrency=1)
    elapsed = time.perf_counter() - start
    assert summary.retries == 3 and summary.failed == 0 and summary.succeeded == 2
    assert elapsed >= 3 * 0.25  # three waits of the requested 250 ms, not the SDK's or our own backoff
    assert sorted(r["attempts"] for r in _records(out)) == [1, 4]


def test_a_call_that_keeps_failing_is_recorded_with_its_error(server: LocalServer, tmp_path: Path) -> None:
    server.configure_faults(fail_first=100, fail_status=500)
    out = tmp_path / "samples.jsonl"
    summary = sample(_items(3), out, model="sim-base", n=2, base_url=server.base_url, max_retries=1)
    records = _records(out)
    assert summary.failed == len(records) == 6
    assert all(r["error"]["status"] == 500 and r["attempts"] == 2 and r["output_text"] == "" for r in records)
    graded = grade(GRADER, out, ITEMS)
    assert graded.errored == 6 and dict(graded.error_kinds) == {"sample": 6}


def test_client_errors_are_not_retried(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    summary = sample(_items(2), out, model="no-such-model", base_url=server.base_url)
    assert summary.failed == 2 and summary.retries == 0
    assert {r["error"]["status"] for r in _records(out)} == {404}


def test_unreachable_endpoint_gives_connection_errors(tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    summary = sample(_items(1), out, model="sim-base", base_url="http://127.0.0.1:9/v1", max_retries=0)
    assert summary.failed == 1
    assert _records(out)[0]["error"]["kind"] == "connection"


def test_resume_skips_done_pairs_and_repairs_a_torn_line(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    items = _items(5)
    sample(items[:3], out, model="sim-base", n=2, base_url=server.base_url)
    with open(out, "a") as handle:
        handle.write('{"item_id": "invoice-003", "sample_ind')  # a killed writer's torn last line
    summary = sample(items, out, model="sim-base", n=2, base_url=server.base_url)
    assert summary.skipped == 6 and summary.written == 4
    keys = _keys(out)
    assert len(keys) == 10 and set(keys.values()) == {1}
    again = sample(items, out, model="sim-base", n=2, base_url=server.base_url)
    assert again.written == 0 and again.skipped == 10


def test_retry_errors_replaces_failed_records(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    server.configure_faults(fail_first=2, fail_status=503)
    sample(_items(4), out, model="sim-base", base_url=server.base_url, max_retries=0, concurrency=1)
    assert sum(1 for r in _records(out) if r.get("error")) == 2
    summary = sample(_items(4), out, model="sim-base", base_url=server.base_url, retry_errors=True)
    records = _records(out)
    assert summary.written == 2 and not any(r.get("error") for r in records)
    assert set(_keys(out).values()) == {1} and len(records) == 4


def test_concurrency_is_bounded(server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inner = server.app.routes[CHAT]
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def counting(server_state: Any, request: Any) -> Any:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        try:
            time.sleep(0.02)
            return inner(server_state, request)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setitem(server.app.routes, CHAT, counting)
    sample(_items(20), tmp_path / "s.jsonl", model="sim-base", n=2, base_url=server.base_url, concurrency=3)
    assert state["peak"] == 3


def test_items_without_id_are_reported_not_sampled(server: LocalServer, tmp_path: Path) -> None:
    items = [{"messages": [{"role": "user", "content": "hi"}]}, *_items(1), "not an object"]
    summary = sample(items, tmp_path / "s.jsonl", model="sim-base", base_url=server.base_url)  # type: ignore[list-item]
    assert summary.written == 1 and summary.input_error_count == 2
    assert "no 'id'" in str(summary.input_errors[0])


def test_sample_works_from_inside_a_running_event_loop(server: LocalServer, tmp_path: Path) -> None:
    async def notebook_cell() -> int:
        return sample(_items(2), tmp_path / "s.jsonl", model="sim-base", base_url=server.base_url).written

    assert asyncio.run(notebook_cell()) == 2


def test_build_request_maps_roles_and_passes_item_fields() -> None:
    item = {
        "id": "x",
        "messages": [{"role": "developer", "content": "rules"}, {"role": "user", "content": "q"}],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "response_format": {"type": "json_object"},
        "answer": "secret",
    }
    params = SamplingParams(model="m", developer_role="system", seed=10, max_tokens=50, temperature=0.7)
    request = build_request(item, 2, params)
    assert [m["role"] for m in request["messages"]] == ["system", "user"]
    assert item["messages"][0]["role"] == "developer"  # the item itself is untouched
    assert request["seed"] == 12 and request["max_completion_tokens"] == 50 and request["temperature"] == 0.7
    assert request["tools"] == item["tools"] and request["response_format"] == {"type": "json_object"}
    assert "secret" not in json.dumps(request)  # reference fields never reach the model
    override = {"type": "json_schema", "json_schema": {"name": "s", "schema": {}}}
    kept = build_request(item, 0, SamplingParams(model="m", response_format=override))
    assert kept["messages"][0]["role"] == "developer" and kept["response_format"] == override
    with pytest.raises(ValueError, match="messages"):
        build_request({"id": "y"}, 0, params)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"n": 0}, "n "),
        ({"concurrency": 0}, "concurrency"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"model": ""}, "model"),
        ({"developer_role": "x"}, "developer_role"),
    ],
)
def test_invalid_params_are_rejected(bad: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SamplingParams(**{"model": "m", **bad})


def test_rft_sample_cli(server: LocalServer, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rft_kit.cli import app

    schema = {"type": "object", "properties": {"name": {}, "email": {}, "total": {}}}
    response_format = tmp_path / "rf.json"
    response_format.write_text(
        json.dumps({"type": "json_schema", "json_schema": {"name": "invoice", "schema": schema}})
    )
    out, summary = tmp_path / "samples.jsonl", tmp_path / "summary.json"
    args = [
        "sample", str(ITEMS), "--model", "sim-strong", "-n", "2", "--base-url", server.base_url,
        "--response-format", str(response_format), "--developer-role", "system", "-o", str(out),
        "--summary-json", str(summary),
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(summary.read_text())["written"] == 80
    records = _records(out)
    assert sum(r["output_json"] is not None for r in records) > 60  # JSON requested, JSON parsed
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and json.loads(summary.read_text())["skipped_already_sampled"] == 80
    bad = CliRunner().invoke(app, [*args[:-4], "--response-format", str(tmp_path / "missing.json"), "-o", str(out)])
    assert bad.exit_code == 2 and "response-format" in bad.output
