"""The rollout engine through the real openai SDK against the local server's SIMULATED agents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rft_kit.local_openai import LocalServer
from rft_kit.records import STOP_REASONS, Sample
from rft_kit.rollout import RolloutParams, rollout

from .envs import counter_row


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_oracle_episode_executes_the_plan_and_records_every_field(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    rows = [counter_row("a", [("x", 2), ("y", 3), ("x", 4)])]
    summary = rollout(rows, out, model="sim-agent-oracle", base_url=base_url)
    assert summary.written == 1 and summary.failed == 0
    (record,) = _records(out)
    assert record["stop_reason"] == "final_answer" and "error" not in record
    assert record["output_text"] == "done a"
    assert record["final_state"] == {"values": {"x": 6, "y": 3}, "log": ["add x 2", "add y 3", "add x 4"]}
    assert record["turns"] == 4  # three tool turns and the final answer
    assert [c["function"]["name"] for c in record["output_tools"]] == ["add", "add", "add"]
    assert json.loads(record["output_tools"][2]["function"]["arguments"]) == {"key": "x", "amount": 4}
    assert all(c["type"] == "function" and c["id"].startswith("call_") for c in record["output_tools"])
    roles = [m["role"] for m in record["trajectory"]]
    assert roles == ["assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant"]
    tool_msgs = [m for m in record["trajectory"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_msgs] == [c["id"] for c in record["output_tools"]]
    assert [m["content"] for m in tool_msgs] == ["2", "3", "6"]
    assert record["tool_errors"] == {"total": 0, "by_kind": {}, "by_tool": {}}
    assert record["usage"]["total_tokens"] > 0 and record["latency_ms"] > 0
    assert record["model"] == "sim-agent-oracle"
    sample = Sample.from_obj(record)  # what graders read
    assert sample.is_episode and sample.namespace()["final_state"]["values"]["x"] == 6
    assert sample.stop_reason in STOP_REASONS


def test_parallel_tool_calls_run_in_order_in_one_turn(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    rollout([counter_row("p", [("a", 1), ("a", 10), ("b", 5)], parallel=True)], out, model="sim-agent-oracle",
            base_url=base_url)  # fmt: skip
    (record,) = _records(out)
    assert record["turns"] == 2
    first = record["trajectory"][0]
    assert len(first["tool_calls"]) == 3
    assert [m["content"] for m in record["trajectory"][1:4]] == ["1", "11", "5"]
    assert [m["tool_call_id"] for m in record["trajectory"][1:4]] == [c["id"] for c in first["tool_calls"]]
    assert record["final_state"]["values"] == {"a": 11, "b": 5}


def test_bad_calls_get_tool_results_naming_the_problem_and_the_episode_goes_on(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    row = counter_row("bad", [("x", 1)])
    row["oracle_plan"].insert(0, {"name": "explode", "arguments": {"reason": "disk quota"}})
    rollout([row], out, model="sim-agent-oracle+bad-calls", base_url=base_url)
    (record,) = _records(out)
    assert record["stop_reason"] == "final_answer" and record["final_state"]["values"] == {"x": 1}
    results = [m["content"] for m in record["trajectory"] if m["role"] == "tool"]
    assert "no tool named 'no_such_tool_simulated'" in results[0]
    assert "not valid JSON" in results[1]
    assert "unexpected_argument_simulated" in results[2]
    assert "ValueError" in results[3] and "disk quota" in results[3]
    assert record["tool_errors"]["by_kind"] == {"unknown_tool": 1, "bad_json": 1, "bad_arguments": 1, "tool_error": 1}
    assert record["tool_errors"]["total"] == 4
    assert record["tool_errors"]["by_tool"] == {"no_such_tool_simulated": 1, "explode": 3}


def test_a_model_that_never_stops_ends_at_max_turns(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    rollout([counter_row("loop", [("x", 1)])], out, model="sim-agent-oracle+never-stop", base_url=base_url,
            max_turns=7)  # fmt: skip
    (record,) = _records(out)
    assert record["stop_reason"] == "max_turns" and record["turns"] == 7
    assert record["final_state"]["values"] == {"x": 7} and record["output_text"] == ""
    assert "error" not in record or record["error"] is None


def test_token_budget_ends_the_episode(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    rollout([counter_row("b", [("x", 1)])], out, model="sim-agent-oracle+never-stop", base_url=base_url,
            max_turns=100, token_budget=400)  # fmt: skip
    (record,) = _records(out)
    assert record["stop_reason"] == "token_budget"
    assert record["usage"]["total_tokens"] >= 400 and record["turns"] < 100


def test_environment_failures_end_the_episode_as_env_error(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    broken_tool = counter_row("tool", [("x", 1)])
    broken_tool["oracle_plan"].insert(1, {"name": "break_environment", "arguments": {}})
    rows = [broken_tool, counter_row("build", [("x", 1)], broken=True), counter_row("unknown", [])]
    rows[2]["environment"] = {"name": "no_such_environment"}
    summary = rollout(rows, out, model="sim-agent-oracle", base_url=base_url)
    by_id = {r["item_id"]: r for r in _records(out)}
    assert summary.failed == 3 and summary.stop_reasons["env_error"] == 3
    assert by_id["tool"]["error"]["message"].endswith("the counter store lost its backing file")
    assert by_id["tool"]["final_state"] == {"values": {"x": 1}, "log": ["add x 1"]}  # the state before it broke
    assert "asked to fail at build time" in by_id["build"]["error"]["message"]
    assert "unknown environment 'no_such_environment'" in by_id["unknown"]["error"]["message"]
    assert all(r["stop_reason"] == "env_error" for r in by_id.values())


def test_model_errors_are_retried_then_recorded(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    server.configure_faults(fail_first=2, fail_status=503)
    rollout([counter_row("r", [("x", 1)])], out, model="sim-agent-oracle", base_url=server.base_url)
    (record,) = _records(out)
    assert record["stop_reason"] == "final_answer" and record["attempts"] == record["turns"] + 2
    assert record["retries"] == 2
    server.configure_faults(fail_first="all", fail_status=500)
    out2 = tmp_path / "failed.jsonl"
    rollout([counter_row("f", [("x", 1)])], out2, model="sim-agent-oracle", base_url=server.base_url,
            max_retries=1)  # fmt: skip
    server.configure_faults()
    (failed,) = _records(out2)
    assert failed["stop_reason"] == "model_error" and failed["error"]["status"] == 500
    assert (
        failed["attempts"] == 2
        and failed["retries"] == 1
        and failed["turns"] == 0
        and failed["final_state"] == {"values": {}, "log": []}
    )


def test_a_model_refusing_the_request_is_a_model_error_not_retried(base_url: str, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    row = counter_row("x", [("x", 1)])
    del row["oracle_plan"]  # the SIMULATED agent answers 400
    rollout([row], out, model="sim-agent-oracle", base_url=base_url)
    (record,) = _records(out)
    assert record["stop_reason"] == "model_error" and record["error"]["status"] == 400 and record["attempts"] == 1
    assert "oracle plan" in record["error"]["message"]


def test_resume_skips_done_episodes_and_retry_errors_redoes_failed_ones(server: LocalServer, tmp_path: Path) -> None:
    out = tmp_path / "episodes.jsonl"
    rows = [counter_row(f"i{k}", [("x", k)]) for k in range(5)]
    first = rollout(rows[:3], out, model="sim-agent-oracle", base_url=server.base_url, n=2)
    assert first.written == 6
    second = rollout(rows, out, model="sim-agent-oracle", base_url=server.base_url, n=2)
    assert second.written == 4 and second.skipped == 6
    keys = [(r["item_id"], r["sample_index"]) for r in _records(out)]
    assert len(keys) == len(set(keys)) == 10


def test_params_are_validated() -> None:
    with pytest.raises(ValueError, match="max_turns"):
        RolloutParams.of("m", max_turns=0)
    with pytest.raises(ValueError, match="token_budget"):
        RolloutParams.of("m", token_budget=0)
    with pytest.raises(ValueError, match="concurrency"):
        RolloutParams.of("m", concurrency=0)


def test_slow_environment_work_runs_off_the_event_loop(base_url: str, tmp_path: Path) -> None:
    """Eight episodes of two 150 ms tool calls each: inline on the loop they would take 2.4 s one after another."""
    out = tmp_path / "episodes.jsonl"
    rows = []
    for k in range(8):
        row = counter_row(f"s{k}", [])
        row["oracle_plan"][:0] = [{"name": "slow", "arguments": {"ms": 150}}] * 2
        rows.append(row)
    summary = rollout(rows, out, model="sim-agent-oracle", base_url=base_url, concurrency=8)
    assert summary.written == 8 and summary.stop_reasons == {"final_answer": 8}
    assert summary.environment_offloaded >= 16
    assert summary.duration_s < 1.6, summary.duration_s


def test_the_tool_runner_keeps_fast_work_inline_and_moves_slow_work_to_threads() -> None:
    import asyncio
    import threading
    import time

    from rft_kit.rollout.tools import ToolRunner

    runner = ToolRunner(2, offload_after_ms=2.0)
    seen: dict[str, set[str]] = {"fast": set(), "slow": set()}

    def fast() -> int:
        seen["fast"].add(threading.current_thread().name)
        return 1

    def slow() -> int:
        seen["slow"].add(threading.current_thread().name)
        time.sleep(0.01)
        return 2

    async def drive() -> None:
        for _ in range(50):
            assert (await runner.run("env", "fast", fast))[0] == 1
        for _ in range(5):
            value, elapsed = await runner.run("env", "slow", slow)
            assert value == 2 and elapsed >= 10

    asyncio.run(drive())
    runner.close()
    # the first run of each operation is measured in the pool; a fast one then stays on the loop's thread (a
    # preempted call on a loaded machine can push the mean over the threshold for a few calls: it decays back)
    assert "MainThread" in seen["fast"] and runner.inline >= 40
    assert seen["slow"] and "MainThread" not in seen["slow"]
    mean = runner.mean_ms("env", "slow")
    assert mean is not None and mean >= 10


def test_reference_fields_reach_only_the_simulated_agents(tmp_path: Path) -> None:
    """A real model must never see the row's answer: rft_reference is sent to sim-agent-* models only."""
    from rft_kit.local_openai import LocalServer
    from rft_kit.local_openai.routes import DEFAULT_ROUTES

    key = ("POST", "/v1/chat/completions")
    bodies: list[dict[str, Any]] = []
    original = DEFAULT_ROUTES[key]

    def recording(state: Any, request: Any) -> Any:
        bodies.append(dict(request.body))
        return original(state, request)

    # A server of this test's own whose chat route records what arrives (no shared route table is touched).
    server = LocalServer(routes={key: recording})
    server.start()
    try:
        _assert_reference_reaches_agents_only(server.base_url, tmp_path, bodies)
    finally:
        server.stop()


def _assert_reference_reaches_agents_only(base_url: str, tmp_path: Path, bodies: list[dict[str, Any]]) -> None:
    row = counter_row("secret", [("x", 1)])
    row["expected_state"] = {"values.x": 1}
    rollout([row], tmp_path / "agent.jsonl", model="sim-agent-oracle", base_url=base_url)
    assert bodies and all(b["rft_reference"]["expected_state"] == {"values.x": 1} for b in bodies)
    assert all("environment" not in b["rft_reference"] and "messages" not in b["rft_reference"] for b in bodies)
    assert bodies[0]["tools"] == row["tools"] and bodies[0]["messages"] == row["messages"]
    bodies.clear()
    rollout([row], tmp_path / "judge.jsonl", model="sim-judge", base_url=base_url, max_turns=2)
    assert bodies and not any("rft_reference" in b or "oracle_plan" in json.dumps(b) for b in bodies)
    (record,) = _records(tmp_path / "judge.jsonl")
    assert record["stop_reason"] == "final_answer" and record["turns"] == 1  # a plain chat model answers in text


def test_a_refused_connection_is_retried_and_recorded_as_a_connection_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "episodes.jsonl"
    rollout([counter_row("c", [("x", 1)])], out, model="m", base_url=f"http://127.0.0.1:{port}/v1", max_retries=1)
    (record,) = _records(out)
    assert record["stop_reason"] == "model_error" and record["retries"] == 1
    assert record["error"]["kind"] == "connection" and "Connect" in record["error"]["message"]


def test_both_sdk_transports_give_the_same_episodes(base_url: str, tmp_path: Path) -> None:
    import asyncio

    import openai

    from rft_kit.rollout import rollout_async
    from rft_kit.sampling.call import aiohttp_available

    assert aiohttp_available()  # the dev extra installs it; rollouts then use the SDK's aiohttp transport
    rows = [counter_row(f"t{k}", [("x", k), ("y", 1)]) for k in range(5)]
    rollout(rows, tmp_path / "aiohttp.jsonl", model="sim-agent-base", base_url=base_url, n=2)

    async def with_httpx() -> None:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="local", max_retries=0)
        params = RolloutParams.of("sim-agent-base", n=2)
        await rollout_async(rows, tmp_path / "httpx.jsonl", params, client=client)
        await client.close()

    asyncio.run(with_httpx())

    def episodes(name: str) -> list[Any]:
        return sorted((r["item_id"], r["sample_index"], r["trajectory"]) for r in _records(tmp_path / name))

    assert episodes("aiohttp.jsonl") == episodes("httpx.jsonl")
