"""rft check's agentic probes: every agentic template's grader passes them, and graders that look at too little
fail the probe that catches them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rft_kit.check.runner import check_file
from rft_kit.environments.episode import split_plan
from rft_kit.tasks import generate

ROOT = Path(__file__).resolve().parents[2]
AGENTIC = ["support_desk", "calendar_scheduling", "data_analysis", "multi_hop_research"]


def outcome(report, check: str) -> str:
    return next(o.status for o in report.outcomes if o.check == check)


@pytest.mark.parametrize("name", AGENTIC)
def test_agentic_template_graders_pass_the_probes(name: str) -> None:
    report = check_file(ROOT / "graders" / "tasks" / f"{name}.yaml")
    assert not report.failed, [(o.check, o.message) for o in report.failed]
    for check in (
        "agentic oracle",
        "probe claim_without_calls",
        "probe policy_violation",
        "probe call_spam",
        "probe tool_errors_only",
    ):
        assert outcome(report, check) == "pass", check


def write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "grader.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_an_answer_only_grader_fails_every_probe(tmp_path: Path) -> None:
    config = {
        "type": "required_facts",
        "name": "answer_only",
        "facts": "{{item.required_facts}}",
        "check": {"agentic": {"template": "support_desk", "items": 2}},
    }
    report = check_file(write(tmp_path, config))
    for probe in ("claim_without_calls", "policy_violation", "call_spam", "tool_errors_only"):
        assert outcome(report, f"probe {probe}") == "fail", probe
    assert outcome(report, "agentic oracle") == "pass"


def test_a_state_only_grader_fails_the_policy_and_spam_probes(tmp_path: Path) -> None:
    # research: the state is "the evidence was opened", so opening a forum post first or spamming does not change it
    config = {
        "type": "final_state",
        "name": "state_only",
        "expected": "{{item.expected_state}}",
        "check": {"agentic": {"template": "multi_hop_research", "items": 2}},
    }
    report = check_file(write(tmp_path, config))
    assert outcome(report, "probe policy_violation") == "fail"
    assert outcome(report, "probe call_spam") == "fail"
    assert outcome(report, "probe claim_without_calls") == "pass"


def test_bad_agentic_settings_are_reported(tmp_path: Path) -> None:
    config = {"type": "final_state", "expected": {"a": 1}, "check": {"agentic": {"template": "arithmetic_word"}}}
    report = check_file(write(tmp_path, config))
    assert any("not an agentic template" in o.message for o in report.failed)
    config["check"] = {"agentic": {"templat": "support_desk"}}
    report = check_file(write(tmp_path, config))
    assert any("agentic must be" in o.message for o in report.failed)


def test_probe_episodes_are_executed_not_faked() -> None:
    from rft_kit.check.probes import SPAM_REPEATS, agentic_variants

    item = next(generate("support_desk", 1, seed=0, difficulty="easy"))
    variants = agentic_variants(item)
    calls, _ = split_plan(item["oracle_plan"])
    assert len(variants["call_spam"]["output_tools"]) == len(calls) + SPAM_REPEATS
    errors = variants["tool_errors_only"]["tool_errors"]
    assert errors == {"unknown_tool": 1, "bad_json": 1, "bad_arguments": 2}
    assert variants["policy_violation"]["output_tools"][0]["function"]["name"] == item["policy_violation"]["name"]
