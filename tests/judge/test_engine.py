"""The judge engine through real HTTP: retries, Retry-After, cache, budget, bounded concurrency, fallback, batching."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rft_kit.judge.engine import EngineSettings
from rft_kit.judge.runner import engine_for
from rft_kit.local_openai import LocalServer
from rft_kit.local_openai.routes.chat import ChatControls
from rft_kit.openai_client import backoff_s, retry_after_s

from .conftest import chat_requests, score_config

ITEM = {"reference_answer": "the cat sat on the mat"}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_until_success_and_counts_them(make, server: LocalServer, status: int) -> None:
    server.configure_faults(fail_first=2, fail_status=status)
    grader = make(score_config(), max_retries=3)
    result = grader.grade("the cat sat", ITEM)
    assert result.ok and result.reward == pytest.approx(0.6667)
    assert chat_requests(server) == 3 and server.stats.faults == 2
    assert grader.ledger.retries == 2
    assert grader.ledger.snapshot()["per_model"]["sim-judge"]["calls"] == 1  # failed attempts are not charged


def test_retry_after_is_respected(make, server: LocalServer) -> None:
    server.configure_faults(fail_first=1, fail_status=429, retry_after_ms=400)
    grader = make(score_config())
    start = time.perf_counter()
    assert grader.grade("the cat sat", ITEM).ok
    assert time.perf_counter() - start >= 0.4
    assert chat_requests(server) == 2


def test_retries_give_up_with_a_server_error_naming_the_attempts(make, server: LocalServer) -> None:
    server.configure_faults(fail_first="all", fail_status=500)
    result = make(score_config(), max_retries=2).grade("the cat sat", ITEM)
    assert result.error is not None and result.error.flag == "model_grader_server_error"
    assert "HTTP 500" in result.error.message and "after 3 attempts" in result.error.message
    assert chat_requests(server) == 3  # our retries only: the SDK's own are off


def test_a_400_is_not_retried(make, server: LocalServer) -> None:
    result = make(score_config(model="o1", sampling_params={"temperature": 0.5}), max_retries=3).grade("x", ITEM)
    assert result.error is not None and "HTTP 400" in result.error.message
    assert chat_requests(server) == 1


def test_backoff_and_retry_after_parsing() -> None:
    import random

    rng = random.Random(0)
    for attempt in range(8):
        delay = backoff_s(attempt, rng)
        cap = min(8.0, 0.5 * 2**attempt)
        assert cap / 2 <= delay < cap
    assert retry_after_s({"retry-after-ms": "250"}) == 0.25
    assert retry_after_s({"Retry-After": "2"}) == 2.0
    assert retry_after_s({"retry-after": "100000"}) == 60.0
    assert retry_after_s({"retry-after": "soon"}) is None
    assert retry_after_s({}) is None


def test_regrading_hits_the_cache_across_instances(make, server: LocalServer) -> None:
    first = make(score_config()).grade("the cat sat", ITEM)
    assert chat_requests(server) == 1 and first.metadata["cached"] is False
    again = make(score_config())  # a new grader instance
    second = again.grade("the cat sat", ITEM)
    assert chat_requests(server) == 1
    assert second.metadata["cached"] is True and second.reward == first.reward
    assert second.token_usage == first.token_usage
    assert again.ledger.cache_hits == 1 and again.ledger.tokens == 0
    # anything that changes the request misses
    make(score_config(sampling_params={"seed": 7})).grade("the cat sat", ITEM)
    assert chat_requests(server) == 2


def test_the_cache_is_shared_across_processes(make, server: LocalServer, fresh: Path) -> None:
    make(score_config()).grade("the cat sat", ITEM)
    assert chat_requests(server) == 1
    config = {**score_config(), "rft_options": {"base_url": server.base_url}}
    code = (
        "import json, sys; from rft_kit import load_grader; "
        "g = load_grader(json.loads(sys.argv[1])); r = g.grade('the cat sat', json.loads(sys.argv[2])); "
        "print(json.dumps([r.reward, r.metadata['cached']]))"
    )
    env = {**os.environ, "RFT_KIT_CACHE": str(fresh)}
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(config), json.dumps(ITEM)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout) == [pytest.approx(0.6667), True]
    assert chat_requests(server) == 1
    assert (fresh / "judge-cache.sqlite").is_file()


def test_cache_off_always_calls(make, server: LocalServer) -> None:
    grader = make(score_config(), cache=False)
    grader.grade("the cat sat", ITEM)
    grader.grade("the cat sat", ITEM)
    assert chat_requests(server) == 2


def test_budget_stops_further_calls_cleanly(make, server: LocalServer) -> None:
    grader = make(score_config(), budget={"tokens": 50})
    first = grader.grade("the cat sat", ITEM)  # one call uses ~75 tokens: the budget is spent after it
    assert first.ok
    later = grader.grade_batch(["a", "b", "c"], [ITEM] * 3)
    assert chat_requests(server) == 1
    for result in later:
        assert result.status == "error" and result.reward == 0.0
        assert result.error is not None and result.error.kind == "model_api"
        assert result.error.flag == "model_grader_server_error"
        assert result.error.message.startswith("budget exhausted")
    # cached replies cost nothing and are still served
    assert grader.grade("the cat sat", ITEM).ok


def test_usd_budget_with_known_prices(make, server: LocalServer) -> None:
    grader = make(score_config(model="gpt-4o-mini-2024-07-18"), budget={"usd": 1e-5})
    assert grader.grade("the cat sat", ITEM).ok
    cost = grader.ledger.cost_usd
    assert cost is not None and cost > 1e-5
    assert grader.grade("the cat", ITEM).error.message.startswith("budget exhausted")


@pytest.mark.parametrize("limit", [1, 4])
def test_concurrency_is_bounded_and_real(make, server: LocalServer, controls: ChatControls, limit: int) -> None:
    controls.reset(think_s=0.05)  # each completion stays in flight inside the handler for 50 ms
    grader = make(score_config(), concurrency=limit)
    results = grader.grade_batch([f"answer {n}" for n in range(24)], [ITEM] * 24)
    assert all(r.ok for r in results)
    assert controls.max_in_flight <= limit
    assert controls.max_in_flight >= min(limit, 2)  # calls really overlap when allowed to


def test_engines_are_shared_per_settings() -> None:
    settings = EngineSettings(base_url="http://127.0.0.1:1/v1")
    assert engine_for(settings) is engine_for(EngineSettings(base_url="http://127.0.0.1:1/v1"))
    assert engine_for(settings) is not engine_for(EngineSettings(base_url="http://127.0.0.1:1/v1", concurrency=2))


@pytest.mark.parametrize(
    ("model", "mode", "first_calls"),
    [("sim-judge+no-json-schema", "json_object", 2), ("sim-judge+no-response-format", "none", 3)],
)
def test_structured_output_falls_back_and_remembers(
    make, server: LocalServer, model: str, mode: str, first_calls: int
) -> None:
    grader = make(score_config(model=model), cache=False)
    first = grader.grade("the cat sat", ITEM)
    assert first.ok and first.reward == pytest.approx(0.6667)
    assert first.metadata["structured_output"] == mode
    assert chat_requests(server) == first_calls
    grader.grade("the cat", ITEM)
    assert chat_requests(server) == first_calls + 1  # the engine remembered what works for this model


def test_forced_json_schema_does_not_fall_back(make, server: LocalServer) -> None:
    result = make(score_config(model="sim-judge+no-json-schema"), structured_output="json_schema").grade("x", ITEM)
    assert result.error is not None and result.error.flag == "model_grader_server_error"
    assert "json_schema" in result.error.message and chat_requests(server) == 1


@pytest.mark.parametrize("mode", ["json_object", "none"])
def test_explicit_fallback_modes(make, mode: str) -> None:
    result = make(score_config(), structured_output=mode).grade("the cat sat", ITEM)
    assert result.ok and result.reward == pytest.approx(0.6667) and result.metadata["structured_output"] == mode


def test_grade_batch_equals_per_pair_grading(make, server: LocalServer) -> None:
    grader = make(score_config(), cache=False)
    samples = ["the cat sat", "dogs bark", "", "the cat sat on the mat", "x"]
    items = [ITEM, ITEM, ITEM, ITEM, {}]  # the last one lacks the variable: an error in both paths
    batch = grader.grade_batch(samples, items)
    single = [grader.grade(s, i) for s, i in zip(samples, items, strict=True)]

    def comparable(result):
        data = result.to_dict()
        data.pop("duration_ms")
        return data

    assert [comparable(r) for r in batch] == [comparable(r) for r in single]
    assert batch[-1].error is not None and batch[-1].error.flag == "invalid_variable_error"
    assert chat_requests(server) == 8  # 4 callable pairs, twice


def test_unreachable_endpoint_is_a_server_error() -> None:
    from rft_kit import load_grader

    grader = load_grader(
        {**score_config(), "rft_options": {"base_url": "http://127.0.0.1:9/v1", "max_retries": 1, "timeout_s": 2}}
    )
    result = grader.grade("x", ITEM)
    assert result.error is not None and result.error.flag == "model_grader_server_error"
    assert "could not connect" in result.error.message


def _grade_in_child(config: dict) -> float:
    from rft_kit import load_grader

    return load_grader(config).grade("the cat sat", ITEM).reward


def test_a_forked_worker_gets_its_own_loop_and_clients(make, server: LocalServer) -> None:
    import multiprocessing

    grader = make(score_config(), cache=False)
    assert grader.grade("the cat sat", ITEM).ok  # the parent's loop thread and clients now exist
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_grade_in_child, (grader.to_config(),)) == pytest.approx(0.6667)
    assert grader.grade("the cat", ITEM).ok  # and the parent's still work


def test_timeouts_are_retried_then_reported(make, server: LocalServer, controls: ChatControls) -> None:
    controls.reset(think_s=0.6)
    result = make(score_config(), timeout_s=0.2, max_retries=1).grade("the cat sat", ITEM)
    assert result.error is not None and result.error.flag == "model_grader_server_error"
    assert "timed out after 0.2 s (after 2 attempts)" in result.error.message
    assert chat_requests(server) == 2
