"""Every agentic template: row shape, oracle plans that reach the expected state and score the maximum, determinism
across processes, and the environments' robustness on the rows' own environments."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rft_kit.environments import ToolResult, build_environment, environment_class
from rft_kit.environments.episode import play, split_plan
from rft_kit.graders.final_state import state_path
from rft_kit.tasks import dumps_item, generate, get_template, known_templates, load_template_grader
from rft_kit.templating import resolve

AGENTIC = [name for name in known_templates() if getattr(get_template(name), "kind", "") == "agentic"]
LEVELS = ("easy", "medium", "hard")
ROOT = Path(__file__).resolve().parents[2]


def test_the_four_agentic_templates_have_three_levels() -> None:
    assert {"support_desk", "calendar_scheduling", "data_analysis", "multi_hop_research"} <= set(AGENTIC)
    for name in AGENTIC:
        assert set(get_template(name).levels) >= set(LEVELS)


@pytest.mark.parametrize("name", AGENTIC)
@pytest.mark.parametrize("level", LEVELS)
def test_rows_have_the_agentic_shape(name: str, level: str) -> None:
    for item in generate(name, 40, seed=4, difficulty=level):
        assert item["metadata"]["kind"] == "agentic"
        spec = item["environment"]
        assert item["tools"] == environment_class(spec["name"]).tool_schemas(spec)
        assert item["oracle_plan"][-1].keys() == {"final_answer"}
        # the environment spec never carries the answer
        text = json.dumps(spec)
        for key in ("expected_state", "oracle_plan", "required_calls", "required_facts"):
            assert key not in text


@pytest.mark.parametrize("name", AGENTIC)
@pytest.mark.parametrize("level", LEVELS)
def test_oracle_plans_reach_the_expected_state_and_score_the_maximum(name: str, level: str) -> None:
    gen = get_template(name)
    grader = load_template_grader(gen)
    failures = []
    for item in generate(gen, 200, seed=2026, difficulty=level):
        calls, answer = split_plan(item["oracle_plan"])
        episode = play(item["environment"], calls, answer)
        assert episode["tool_errors"] == {}, (item["id"], episode["trajectory"])
        roots = {"sample": {"final_state": episode["final_state"]}, "item": item}
        for path, want in item["expected_state"].items():
            assert resolve(state_path(path), roots) == want, (item["id"], path)
        result = grader.grade(episode, item)
        if result.status != "scored" or result.reward < 1.0:
            failures.append((item["id"], result.reward, result.sub_rewards, result.error))
    assert not failures, failures[:3]


def _digest(name: str) -> str:
    """Rows, and the snapshot after playing each oracle plan, hashed."""
    out = hashlib.sha256()
    for level in LEVELS:
        for item in generate(name, 25, seed=9, difficulty=level):
            out.update(dumps_item(item).encode())
            calls, answer = split_plan(item["oracle_plan"])
            out.update(json.dumps(play(item["environment"], calls, answer), sort_keys=False).encode())
    return out.hexdigest()


@pytest.mark.parametrize("name", AGENTIC)
def test_rows_and_snapshots_are_byte_identical_across_processes(name: str) -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); from tests.tasks.test_agentic_templates import _digest; "
        "print(_digest(sys.argv[1]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    other = subprocess.run(
        [sys.executable, "-c", code, name, str(ROOT)], capture_output=True, text=True, env=env, check=True, timeout=120
    )
    assert other.stdout.strip() == _digest(name)


def test_templates_json_marks_agentic_templates() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "rft_kit", "templates", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    kinds = {row["name"]: row["kind"] for row in json.loads(out.stdout)}
    for name in AGENTIC:
        assert kinds[name] == "agentic"
    assert kinds["arithmetic_word"] == "single_turn"


# ---------------------------------------------------------------------------------------------- robustness
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


def _rows(name: str) -> list[dict[str, Any]]:
    return [i for level in LEVELS for i in generate(name, 3, seed=1, difficulty=level)]


@pytest.mark.parametrize("name", AGENTIC)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_environments_never_raise_on_arbitrary_calls(name: str, data: st.DataObject) -> None:
    item = data.draw(st.sampled_from(_rows(name)))
    env = build_environment(item["environment"])
    schemas = [t["function"] for t in item["tools"]]
    plan_calls = split_plan(item["oracle_plan"])[0]
    for _ in range(data.draw(st.integers(1, 5))):
        tool = data.draw(st.sampled_from(schemas))
        keys = list(tool["parameters"].get("properties", {}))
        mutated = data.draw(st.sampled_from(plan_calls)) if plan_calls else {"name": tool["name"], "arguments": {}}
        mutated = {"name": mutated["name"], "arguments": mutated["arguments"]}
        arguments = data.draw(
            st.one_of(
                st.dictionaries(st.sampled_from(keys) if keys else st.text(max_size=5), json_values, max_size=4).map(
                    json.dumps
                ),
                json_values.map(json.dumps),
                st.text(max_size=30),
                st.just(
                    json.dumps(
                        {
                            **mutated["arguments"],
                            **data.draw(
                                st.dictionaries(
                                    st.sampled_from(keys) if keys else st.text(max_size=5), json_values, max_size=2
                                )
                            ),
                        }
                    )
                ),
            )
        )
        called = data.draw(st.sampled_from([tool["name"], mutated["name"]]) | st.text(max_size=10))
        result = env.call(called, arguments)
        assert isinstance(result, ToolResult)
        assert isinstance(result.output, str)
    json.dumps(env.snapshot(), allow_nan=False)
    env.close()
