"""The tool server's protocol semantics: state by trace, isolation, serialised calls, retries, expiry, conflicts,
model mistakes as tool outputs, and the 4xx/5xx split Azure relies on (a 4xx is shown to the model, a 5xx is
retried three times and then the rollout discarded)."""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from rft_kit.environments import build_environment
from rft_kit.graders.loading import build_grader
from rft_kit.serving import ServeSettings
from rft_kit.tool_server import ToolServer, ToolServerConfig
from tests.rollout.envs import counter_row

from .trainer import Trainer

TOKEN = "k"
# the counter's final value and the server's log of the calls, against what the row expects
GRADER = build_grader({"type": "final_state", "name": "counter", "expected": "{{item.expected_state}}"})


def _expect(row: dict[str, Any], a: int, log: list[str]) -> dict[str, Any]:
    return {**row, "expected_state": {"values.a": a, "log": log}}


def _server(**overrides: Any) -> ToolServer:
    settings = ServeSettings(token=TOKEN, read_timeout_s=0.5, request_timeout_s=2.0, max_body_bytes=64 * 1024)
    config = ToolServerConfig(**{"grader": GRADER, "workers": 0, "settings": settings, **overrides})
    return ToolServer(config)


@pytest.fixture(scope="module")
def server() -> Iterator[ToolServer]:
    with _server() as srv:
        yield srv


ROW = counter_row("r1", [("a", 1)])


def _add(trainer: Trainer, trace: str, amount: int, call_id: str, row: dict[str, Any] = ROW) -> tuple[int, Any]:
    return trainer.call(trace, row, "add", json.dumps({"key": "a", "amount": amount}), call_id)


def test_state_is_carried_within_a_trace_and_isolated_between_traces(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    assert _add(t, "iso-1", 5, "c1")[1]["output"] == "5"
    assert _add(t, "iso-2", 7, "c1")[1]["output"] == "7"  # same call_id, other trace: its own state
    assert _add(t, "iso-1", 5, "c2")[1]["output"] == "10"
    status, body = t.grade("iso-1", _expect(ROW, 10, ["add a 5", "add a 5"]), {"output_text": "done"})
    assert (status, body["score"]) == (200, 1.0)
    assert t.grade("iso-2", _expect(ROW, 7, ["add a 7"]), "done")[1]["score"] == 1.0
    assert t.grade("iso-2", _expect(ROW, 10, ["add a 7"]), "done")[1]["score"] == 0.5


def test_a_trace_the_server_never_saw_is_graded_on_the_initial_state(server: ToolServer) -> None:
    row = _expect(counter_row("r2", [("a", 1)], start={"a": 40}), 40, [])
    status, body = Trainer(server.url, TOKEN).grade("never-called", row, "I did nothing")
    assert (status, body["score"]) == (200, 1.0)


def test_model_mistakes_are_tool_outputs_the_environment_gives(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    env = build_environment(ROW["environment"])
    cases = [
        ("add", "{not json"),
        ("add", '{"key": "a"}'),
        ("add", '{"key": "a", "amount": "ten"}'),
        ("explode", '{"reason": "boom"}'),
        ("nosuchtool", "{}"),
        ("add", ""),
    ]
    for n, (name, arguments) in enumerate(cases):
        status, body = t.call("mistakes", ROW, name, arguments, f"m{n}")
        assert status == 200, body
        assert body["output"] == env.call(name, arguments).output
        assert body["output"].startswith("error:")


def test_calls_within_a_trace_are_serialised(server: ToolServer) -> None:
    def one(n: int) -> str:
        t = Trainer(server.url, TOKEN)
        try:
            status, body = _add(t, "serial", 1, f"p{n}")
            assert status == 200, body
            return str(body["output"])
        finally:
            t.close()

    with cf.ThreadPoolExecutor(16) as pool:
        outputs = list(pool.map(one, range(48)))
    # every call saw the state the previous one left: no lost update, no two calls at once
    assert sorted(int(o) for o in outputs) == list(range(1, 49))
    status, body = Trainer(server.url, TOKEN).grade("serial", _expect(ROW, 48, ["add a 1"] * 48), "")
    assert (status, body["score"]) == (200, 1.0)


def test_a_retried_call_is_answered_not_executed_again(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    assert _add(t, "retry", 3, "once")[1]["output"] == "3"
    assert _add(t, "retry", 3, "once")[1]["output"] == "3"  # Azure retrying: same output, no second add
    assert _add(t, "retry", 1, "twice")[1]["output"] == "4"
    status, body = _add(t, "retry", 9, "once")  # a reused call_id for another call
    assert status == 409 and body["error"]["kind"] == "call_conflict"


def test_a_trace_id_reused_for_another_row_is_refused(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    assert _add(t, "shared", 1, "c1")[0] == 200
    other = counter_row("r9", [("a", 1)], start={"a": 1000})
    status, body = _add(t, "shared", 1, "c2", row=other)
    assert status == 409 and body["error"]["kind"] == "trace_conflict"
    assert _add(t, "shared", 1, "c3")[1]["output"] == "2"  # the trace itself is untouched


def test_expired_and_evicted_traces_are_refused_not_rebuilt() -> None:
    with _server(ttl_s=0.5, max_traces=2) as srv:
        t = Trainer(srv.url, TOKEN)
        assert _add(t, "old", 1, "c1")[0] == 200
        time.sleep(0.8)
        status, body = _add(t, "old", 1, "c2")
        assert status == 503 and body["error"]["kind"] == "trace_expired"
        assert "expired after 0.5 s idle" in body["error"]["message"]
        assert t.grade("old", ROW, "")[0] == 503
        for trace in ("x", "y", "z"):  # cap 2: x, the least recently used, is evicted when z starts
            assert _add(t, trace, 1, "c1")[0] == 200
        status, body = _add(t, "x", 1, "c2")
        assert status == 503 and "evicted" in body["error"]["message"]
        assert _add(t, "z", 1, "c2")[1]["output"] == "2"
        status, metrics = t.get("/metrics")
        snapshot = json.loads(metrics)
        assert snapshot["traces_expired"] == 1 and snapshot["traces_evicted"] == 1 and snapshot["traces_live"] == 2


def test_a_broken_environment_answers_5xx_for_the_rest_of_its_trace(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    assert _add(t, "breaks", 1, "c1")[0] == 200
    status, body = t.call("breaks", ROW, "break_environment", "{}", "c2")
    assert status == 500 and body["error"]["kind"] == "env_error"
    assert _add(t, "breaks", 1, "c3")[0] == 500
    assert _add(t, "fine", 1, "c1")[0] == 200  # other traces go on


def test_an_environment_spec_no_environment_accepts_is_a_4xx(server: ToolServer) -> None:
    t = Trainer(server.url, TOKEN)
    status, body = _add(t, "bad-spec", 1, "c1", row=counter_row("r3", [("a", 1)], broken=True))
    assert status == 422 and "fail at build time" in body["error"]["message"]
    unknown = {**ROW, "environment": {"name": "no_such_env"}}
    status, body = _add(t, "bad-spec-2", 1, "c1", row=unknown)
    assert status == 422 and "unknown environment" in body["error"]["message"]


def test_a_slow_tool_call_does_not_block_other_traces(server: ToolServer) -> None:
    with cf.ThreadPoolExecutor(2) as pool:
        slow = pool.submit(lambda: Trainer(server.url, TOKEN).call("slow", ROW, "slow", '{"ms": 1500}', "s1"))
        time.sleep(0.2)
        started = time.monotonic()
        assert _add(Trainer(server.url, TOKEN), "meanwhile", 1, "c1")[0] == 200
        assert time.monotonic() - started < 1.0
        assert slow.result()[1]["output"] == "done"


def test_grade_without_a_grader_is_404() -> None:
    with _server(grader=None) as srv:
        status, body = Trainer(srv.url, TOKEN).grade("t", ROW, "x")
        assert status == 404 and "--grader" in body["error"]["message"]


def test_a_call_past_the_deadline_is_504_and_its_retry_gets_the_one_execution() -> None:
    # exactly one call of slow in the episode the server saw (a second execution would score 0)
    counting = build_grader({"type": "trajectory", "required": [{"name": "slow", "min": 1, "max": 1}]})
    settings = ServeSettings(token=TOKEN, handle_timeout_s=0.5)
    with ToolServer(ToolServerConfig(grader=counting, workers=0, settings=settings)) as srv:
        t = Trainer(srv.url, TOKEN)
        status, body = t.call("deadline", ROW, "slow", '{"ms": 1500}', "s1")
        assert status == 504 and body["error"]["kind"] == "timeout"  # a 5xx: the trainer retries
        retries = []
        while len(retries) < 6 and (not retries or retries[-1][0] != 200):  # Azure retries a 5xx
            retries.append(Trainer(srv.url, TOKEN).call("deadline", ROW, "slow", '{"ms": 1500}', "s1"))
        assert retries[-1] == (200, {"type": "function_call_output", "call_id": "s1", "id": "fc_s1", "output": "done"})
        assert all(status == 504 for status, _ in retries[:-1])
        status, graded = Trainer(srv.url, TOKEN).grade("deadline", ROW, "")
        assert (status, graded["score"]) == (200, 1.0), graded  # one call executed, not one per attempt
