"""The final_state and trajectory graders: scoring, config errors, robustness and the hosted export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rft_kit
from rft_kit.errors import ConfigError
from rft_kit.records import Sample

ROOT = Path(__file__).resolve().parents[2]


def calls(*pairs: tuple[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"c{i}",
            "type": "function",
            "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
        }
        for i, (name, args) in enumerate(pairs)
    ]


def episode(tools: list[dict[str, Any]], state: dict[str, Any] | None = None) -> Sample:
    return Sample.from_obj({"output_text": "done", "output_tools": tools, "final_state": state, "trajectory": []})


TRAJ = {
    "type": "trajectory",
    "required": [
        {"name": "find_customer"},
        {"name": "refund_items", "arguments": {"order_id": "O-1", "skus": {"set_eq": ["A", "B"]}}, "max": 1},
    ],
    "forbidden": [{"name": "refund_items", "arguments": {"order_id": "O-2"}}],
    "order": [{"before": {"name": "find_customer"}, "after": {"name": "refund_items"}}],
    "budget": {"max_calls": 6, "max_identical": 2},
}


def test_trajectory_full_partial_and_gates() -> None:
    grader = rft_kit.load_grader(TRAJ)
    good = calls(("find_customer", {"email": "a"}), ("refund_items", {"order_id": "O-1", "skus": ["B", "A"]}))
    assert grader.grade(episode(good)).reward == 1.0
    # refund before identity check: order fails (2 of 3 checks)
    swapped = list(reversed(good))
    assert grader.grade(episode(swapped)).reward == pytest.approx(2 / 3)
    # forbidden call anywhere: 0
    bad = [*calls(("refund_items", {"order_id": "O-2", "skus": ["X"]})), *good]
    result = grader.grade(episode(bad))
    assert result.reward == 0.0
    assert result.metadata["forbidden"] == [{"name": "refund_items", "calls": [0]}]
    # spam: the same call three times breaks max_identical
    spam = [*good, *calls(*[("find_customer", {"email": "a"})] * 2)]
    assert grader.grade(episode(spam)).reward == 0.0
    # refunding twice breaks the required max
    twice = [*good, *calls(("refund_items", {"order_id": "O-1", "skus": ["A", "B"]}))]
    assert grader.grade(episode(twice)).reward == pytest.approx(2 / 3)
    # no calls at all
    assert grader.grade(episode([])).reward == pytest.approx(1 / 3)  # only the vacuous order check passes


def test_trajectory_rules_from_the_item_and_unwrap() -> None:
    grader = rft_kit.load_grader(
        {"type": "trajectory", "required": "{{item.required_calls}}", "unwrap": ["call_tool"], "credit": "all"}
    )
    item = {"required_calls": [{"name": "refund_items", "arguments": {"reason": {"icontains": "DAMAGED"}}}]}
    direct = calls(("refund_items", {"reason": "it arrived damaged"}))
    wrapped = calls(("call_tool", {"name": "refund_items", "arguments": {"reason": "damaged box"}}))
    wrapped_str = calls(("call_tool", {"name": "refund_items", "arguments": json.dumps({"reason": "damaged"})}))
    for tools in (direct, wrapped, wrapped_str):
        assert grader.grade(episode(tools), item).reward == 1.0
    assert grader.grade(episode(calls(("refund_items", "{not json"))), item).reward == 0.0
    bad_item = grader.grade(episode(direct), {"required_calls": "nope"})
    assert bad_item.status == "error"
    assert bad_item.error is not None and "must be a list" in bad_item.error.message


@pytest.mark.parametrize(
    ("predicate", "value", "ok"),
    [
        ({"gt": 3}, 4, True),
        ({"gt": 3}, True, False),
        ({"lte": 3}, 3.0, True),
        ({"in": ["a", "b"]}, "b", True),
        ({"regex": "^O-\\d+$"}, "O-12", True),
        ({"regex": "^O-\\d+$"}, 12, False),
        ({"exists": False}, None, True),
        ({"len": 2}, [1, 2], True),
        ({"ne": 1}, True, True),
        (1, 1.0, True),
        (1, True, False),
        ({"contains": "x"}, ["x"], True),
        ({"contains": "x"}, "axb", True),
        ({"set_eq": [1, 2]}, [2, 1, 1], True),
    ],
)
def test_argument_predicates(predicate: Any, value: Any, ok: bool) -> None:
    grader = rft_kit.load_grader({"type": "trajectory", "required": [{"name": "f", "arguments": {"a": predicate}}]})
    args = {} if predicate == {"exists": False} else {"a": value}
    assert grader.grade(episode(calls(("f", args)))).reward == (1.0 if ok else 0.0)


def test_trajectory_config_errors() -> None:
    with pytest.raises(ConfigError, match="required"):
        rft_kit.load_grader({"type": "trajectory", "required": [{"arguments": {}}]})
    with pytest.raises(ConfigError, match="exactly one"):
        rft_kit.load_grader({"type": "trajectory", "required": "{{sample.output_text}}"})
    with pytest.raises(ConfigError, match="needs a list"):
        rft_kit.load_grader({"type": "trajectory", "forbidden": [{"name": "f", "arguments": {"a": {"in": 3}}}]})


STATE = {
    "orders": {"O-1": {"status": "refunded"}, "O-2": {"status": "delivered"}},
    "refunded_cents": 1500,
    "escalated": ["O-3"],
    "flag": True,
}


def test_final_state_per_field_credit() -> None:
    grader = rft_kit.load_grader({"type": "final_state", "expected": "{{item.expected_state}}"})
    item = {
        "expected_state": {
            "orders.O-1.status": "refunded",
            "orders.O-2.status": "delivered",
            "refunded_cents": 1500.0,
            "escalated": ["O-3"],
            "flag": True,
        }
    }
    assert grader.grade(episode([], STATE), item).reward == 1.0
    item["expected_state"]["flag"] = 1
    item["expected_state"]["orders.O-9.status"] = "refunded"
    result = grader.grade(episode([], STATE), item)
    assert result.reward == pytest.approx(4 / 6)
    assert {m["path"] for m in result.metadata["mismatches"]} == {"flag", "orders.O-9.status"}
    strict = rft_kit.load_grader({"type": "final_state", "expected": {"refunded_cents": 0}, "credit": "all"})
    assert strict.grade(episode([], STATE)).reward == 0.0


def test_final_state_without_an_episode_is_a_parse_error_and_export_is_refused() -> None:
    grader = rft_kit.load_grader({"type": "final_state", "expected": {"a": 1}})
    result = grader.grade("just text")
    assert result.status == "error"
    assert result.error is not None and result.error.kind == "parse"
    with pytest.raises(ConfigError, match=r"only sample\.output_text and sample\.output_tools"):
        grader.to_hosted()  # type: ignore[attr-defined]


def test_graders_compose_in_multi() -> None:
    grader = rft_kit.load_grader(
        {
            "type": "multi",
            "graders": {
                "state": {"type": "final_state", "expected": {"refunded_cents": 1500}},
                "calls": {**TRAJ},
                "answer": {
                    "type": "string_check",
                    "input": "{{sample.output_text}}",
                    "reference": "done",
                    "operation": "eq",
                },
            },
            "calculate_output": "state * calls * answer",
        }
    )
    good = calls(("find_customer", {"email": "a"}), ("refund_items", {"order_id": "O-1", "skus": ["A", "B"]}))
    assert grader.grade(episode(good, STATE)).reward == 1.0


# ------------------------------------------------------------------------------------------------ properties
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
)
names = st.sampled_from(["find_customer", "refund_items", "call_tool", "x"]) | st.text(max_size=6)
arguments = st.one_of(
    json_values.map(json.dumps),
    st.dictionaries(st.sampled_from(["order_id", "skus", "name", "arguments"]), json_values, max_size=3).map(
        json.dumps
    ),
    st.text(max_size=20),
    json_values,
)
tool_call = st.one_of(
    st.builds(lambda n, a: {"id": "c", "type": "function", "function": {"name": n, "arguments": a}}, names, arguments),
    json_values,
)
trajectories = st.lists(tool_call, max_size=8)
UNWRAPPED = {**TRAJ, "unwrap": ["call_tool"]}


def exported(config: dict[str, Any]) -> Any:
    source = rft_kit.load_grader(config).to_hosted()["source"]  # type: ignore[attr-defined]
    namespace: dict[str, Any] = {}
    exec(compile(source, "<hosted>", "exec"), namespace)
    return namespace["grade"]


@settings(max_examples=300, deadline=None)
@given(tools=trajectories)
def test_trajectory_never_raises_and_agrees_with_its_export(tools: list[Any]) -> None:
    grader = rft_kit.load_grader(UNWRAPPED)
    sample = Sample(output_text="", output_tools=tools)
    local = grader.grade(sample)
    assert local.status == "scored", local.error
    assert 0.0 <= local.reward <= 1.0
    assert exported(UNWRAPPED)(sample.hosted_namespace(), {}) == local.reward


@settings(max_examples=150, deadline=None)
@given(tools=trajectories, rules=st.lists(json_values, max_size=2))
def test_item_rules_never_raise_and_agree_with_export(tools: list[Any], rules: list[Any]) -> None:
    config = {"type": "trajectory", "required": "{{item.rules}}", "forbidden": "{{item.rules}}"}
    grader = rft_kit.load_grader(config)
    sample = Sample(output_text="", output_tools=tools)
    item = {"rules": rules}
    local = grader.grade(sample, item)
    assert local.status == "scored" or (local.error is not None and local.error.kind == "config")
    try:
        hosted = exported(config)(sample.hosted_namespace(), item)
    except Exception:  # the hosted service records a runtime error with reward 0
        hosted = None
    assert (hosted if hosted is not None else 0.0) == local.reward
    assert (hosted is None) == (local.status == "error")


@settings(max_examples=200, deadline=None)
@given(
    state=json_values, expected=st.dictionaries(st.text(min_size=1, max_size=10), json_values, min_size=1, max_size=4)
)
def test_final_state_never_raises(state: Any, expected: dict[str, Any]) -> None:
    grader = rft_kit.load_grader({"type": "final_state", "expected": "{{item.expected}}"})
    sample = Sample(output_text="", final_state=state if isinstance(state, dict) else {"v": state})
    result = grader.grade(sample, {"expected": expected})
    assert result.status == "scored" or (result.error is not None and result.error.kind == "config")
    assert 0.0 <= result.reward <= 1.0


# ------------------------------------------------------------------------------------------------ required_facts
def test_required_facts_alternatives_and_credit() -> None:
    grader = rft_kit.load_grader({"type": "required_facts", "facts": "{{item.facts}}"})
    item = {"facts": ["O-1042", ["$19.00", "19.00 USD"], "[doc-007]"]}
    assert grader.grade("Refunded  19.00 usd on o-1042 [DOC-007].", item).reward == 1.0
    result = grader.grade("Refunded on O-1042.", item)
    assert result.reward == pytest.approx(1 / 3)
    assert result.metadata["missing"] == [["$19.00", "19.00 USD"], "[doc-007]"]
    strict = rft_kit.load_grader({"type": "required_facts", "facts": ["a", "b"], "credit": "all"})
    assert strict.grade("a only").reward == 0.0
    assert grader.grade("x", {"facts": [3]}).status == "error"
    with pytest.raises(ConfigError, match=r"facts\[0\]"):
        rft_kit.load_grader({"type": "required_facts", "facts": [[]]})


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=60),
    facts=st.lists(
        st.text(min_size=1, max_size=6) | st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=2), max_size=4
    ),
)
def test_required_facts_never_raise_and_agree_with_export(text: str, facts: list[Any]) -> None:
    config = {"type": "required_facts", "facts": "{{item.facts}}"}
    grader = rft_kit.load_grader(config)
    local = grader.grade(text, {"facts": facts})
    sample = Sample.from_text(text).hosted_namespace()
    try:
        hosted = exported(config)(sample, {"facts": facts})
    except Exception:
        hosted = None
    if local.status == "error":
        assert hosted is None
    else:
        assert hosted == local.reward


# ------------------------------------------------------------------------------------------------ exports
def test_template_graders_export_refuses_with_the_reason_and_trajectory_alone_exports() -> None:
    from rft_kit.export.hosted_grader import hosted_grader
    from rft_kit.export.issues import Issues
    from rft_kit.graders.loading import read_grader_file

    config = read_grader_file(ROOT / "graders/tasks/support_desk.yaml").config
    issues = Issues()
    assert hosted_grader(config, issues) is None
    (issue,) = issues.errors
    assert issue.where == "grader: graders.state.type"
    assert "not the environment's final state" in issue.message
    calls_only = hosted_grader(config["graders"]["calls"], Issues())
    assert calls_only is not None and calls_only["type"] == "python"
    assert "def grade(sample, item)" in calls_only["source"]


def test_exported_trajectory_grader_agrees_on_real_episodes() -> None:
    from rft_kit.check.probes import agentic_variants
    from rft_kit.graders.loading import read_grader_file
    from rft_kit.tasks import generate, get_template

    gen = get_template("support_desk")
    config = read_grader_file(ROOT / "graders/tasks/support_desk.yaml").config["graders"]["calls"]
    local = rft_kit.load_grader(config)
    hosted = exported(config)
    for level in ("easy", "hard"):
        for item in generate(gen, 5, seed=3, difficulty=level):
            episodes = [gen.reference_sample(item), *agentic_variants(item).values()]
            for episode in episodes:
                sample = Sample.from_obj(episode)
                assert hosted(sample.hosted_namespace(), item) == local.grade(sample, item).reward
