"""Acceptance (issue 14): a test acting as the hosted trainer replays local rollouts' tool calls against a real
tool server, many traces interleaved concurrently; every tool output equals the local rollout's, and every /grade
equals the local grade of the local episode.

Per agentic template: items at every level rolled out locally through the real SDK by sim-agent-oracle (the plan)
and sim-agent-base (deterministic mistakes: unknown tools, bad arguments, stopping early), then each episode is one
trace on a ToolServer (uvicorn on 127.0.0.1) with the template's grader in a worker process. 16 threads replay the
traces at once, each trace's calls in order, as a trainer waits for each output before the next turn.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rft_kit.local_openai import LocalServer
from rft_kit.rollout import rollout
from rft_kit.serving import ServeSettings
from rft_kit.tasks import generate, get_template, known_templates, load_template_grader
from rft_kit.tool_server import ToolServer, ToolServerConfig

from .trainer import Trainer

AGENTIC = [name for name in known_templates() if getattr(get_template(name), "kind", "") == "agentic"]
PER_LEVEL = 4
TOKEN = "trainer-key"


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def _episodes(name: str, local: LocalServer, tmp_path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = [row for level in ("easy", "medium", "hard") for row in generate(name, PER_LEVEL, seed=14, difficulty=level)]
    episodes: list[dict[str, Any]] = []
    for model in ("sim-agent-oracle", "sim-agent-base"):
        out = tmp_path / f"{model}.jsonl"
        rollout(rows, out, model=model, base_url=local.base_url, concurrency=16, max_turns=40)
        episodes += [{**json.loads(line), "agent": model} for line in out.read_text().splitlines()]
    return {row["id"]: row for row in rows}, episodes


def _replay(trainer: Trainer, trace_id: str, row: dict[str, Any], episode: dict[str, Any]) -> dict[str, Any]:
    """Send the episode's calls in order; returns what the server answered and when."""
    started = time.monotonic()
    outputs: dict[str, str] = {}
    for message in episode["trajectory"]:
        for call in message.get("tool_calls") or []:
            fn = call["function"]
            status, body = trainer.call(trace_id, row, fn["name"], fn["arguments"], call["id"])
            assert status == 200, (status, body)
            assert body["type"] == "function_call_output" and body["call_id"] == call["id"]
            assert body["id"] == f"fc_{call['id']}"
            outputs[call["id"]] = body["output"]
    sample = {"output_text": episode["output_text"], "output_tools": episode["output_tools"]}
    status, graded = trainer.grade(trace_id, row, sample)
    assert status == 200, (status, graded)
    return {"outputs": outputs, "grade": graded, "span": (started, time.monotonic())}


@pytest.mark.slow
@pytest.mark.parametrize("name", AGENTIC)
def test_replayed_rollouts_get_the_local_outputs_and_grades(name: str, local: LocalServer, tmp_path: Path) -> None:
    rows, episodes = _episodes(name, local, tmp_path)
    # what a trainer can replay: episodes that ended with an answer (a model_error/env_error episode never did)
    episodes = [e for e in episodes if e["stop_reason"] in ("final_answer", "max_turns")]
    assert len(episodes) >= len(rows) * 2 - 2
    assert any(e["tool_errors"]["total"] for e in episodes), "the base agent made no mistake: the test lost its bite"
    grader = load_template_grader(name)
    config = ToolServerConfig(grader=grader, workers=1, settings=ServeSettings(token=TOKEN))
    local_threads = threading.local()

    def trainer(url: str) -> Trainer:
        if not hasattr(local_threads, "trainer"):
            local_threads.trainer = Trainer(url, TOKEN)
        return local_threads.trainer

    with ToolServer(config) as server, cf.ThreadPoolExecutor(16) as pool:
        futures = {
            pool.submit(
                lambda e=e, i=i: _replay(trainer(server.url), f"trace-{i}-{e['item_id']}", rows[e["item_id"]], e)
            ): e
            for i, e in enumerate(episodes)
        }
        replies = [(futures[f], f.result()) for f in cf.as_completed(futures)]

    compared = 0
    for episode, reply in replies:
        local_outputs = {m["tool_call_id"]: m["content"] for m in episode["trajectory"] if m["role"] == "tool"}
        assert reply["outputs"] == local_outputs, episode["item_id"]
        compared += len(local_outputs)
        expected = grader.grade(episode, rows[episode["item_id"]])
        assert reply["grade"]["score"] == expected.reward, (episode["item_id"], episode["agent"], reply["grade"])
        assert reply["grade"]["sub_rewards"] == dict(expected.sub_rewards)
    assert compared > len(episodes)  # several calls per episode on average
    # the traces really were in flight together, not one after another
    spans = sorted(reply["span"] for _, reply in replies)
    overlapping = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert overlapping >= 4, overlapping
    # and the mistaken agent scored lower somewhere: the grades compared are not all the same number
    assert len({reply["grade"]["score"] for _, reply in replies}) > 1
