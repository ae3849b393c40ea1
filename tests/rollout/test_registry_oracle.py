"""Acceptance (issue 13): for every agentic template, 200 items per level rolled out with sim-agent-oracle through
the real openai SDK against the local server score the maximum with the template's own grader.

One in-process server and one rollout per template and level at concurrency 32; the episodes then go through
`rft grade`'s own grading path. Every episode must end with a final answer, make no tool error and get reward 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rft_kit.grading import grade
from rft_kit.local_openai import LocalServer
from rft_kit.rollout import rollout
from rft_kit.tasks import generate, get_template, known_templates, load_template_grader, write_items

AGENTIC = [name for name in known_templates() if getattr(get_template(name), "kind", "") == "agentic"]
LEVELS = ("easy", "medium", "hard")
ITEMS = 200

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


def test_the_registry_has_agentic_templates() -> None:
    assert AGENTIC, "no agentic template is registered"


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", AGENTIC)
def test_oracle_rollouts_score_the_maximum(name: str, level: str, local: LocalServer, tmp_path: Path) -> None:
    tasks, samples, grades = tmp_path / "tasks.jsonl", tmp_path / "samples.jsonl", tmp_path / "grades.jsonl"
    write_items(generate(name, ITEMS, seed=2026, difficulty=level), tasks)
    summary = rollout(tasks, samples, model="sim-agent-oracle", base_url=local.base_url, concurrency=32, max_turns=40)
    assert summary.written == ITEMS and summary.input_error_count == 0
    assert summary.stop_reasons == {"final_answer": ITEMS}, summary.stop_reasons
    assert summary.tool_errors == 0
    episodes = [json.loads(line) for line in samples.read_text().splitlines()]
    plans = {json.loads(line)["id"]: json.loads(line)["oracle_plan"] for line in tasks.read_text().splitlines()}
    for episode in episodes:  # the SIMULATED oracle really made the plan's calls, through the protocol
        planned = [s["name"] for s in plans[episode["item_id"]] if "final_answer" not in s]
        assert [c["function"]["name"] for c in episode["output_tools"]] == planned
    report = grade(load_template_grader(name), samples, tasks, output=grades)
    results = [json.loads(line) for line in grades.read_text().splitlines()]
    assert len(results) == ITEMS, report
    below = [(r["item_id"], r["reward"], r.get("sub_rewards"), r.get("error")) for r in results if r["reward"] < 1.0]
    assert not below, below[:3]


@pytest.mark.parametrize("name", AGENTIC)
def test_the_same_grader_scores_a_mistaken_agent_lower(name: str, local: LocalServer, tmp_path: Path) -> None:
    """Control: the maximum above is not a grader that always says 1 (SIMULATED base agent, same task family)."""
    tasks, samples, grades = tmp_path / "tasks.jsonl", tmp_path / "samples.jsonl", tmp_path / "grades.jsonl"
    write_items(generate(name, 100, seed=2026, difficulty="medium"), tasks)
    rollout(tasks, samples, model="sim-agent-base", base_url=local.base_url, concurrency=32, max_turns=40)
    grade(load_template_grader(name), samples, tasks, output=grades)
    rewards = [json.loads(line)["reward"] for line in grades.read_text().splitlines()]
    assert len(rewards) == 100
    assert sum(rewards) / len(rewards) < 0.95 and 0 < sum(r >= 1.0 for r in rewards) < 100
