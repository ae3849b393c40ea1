"""Calibration as a gate: labelled cases and ``check.agreement`` in ``rft check`` (against the SIMULATED judge)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rft_kit.check.runner import check_file

ROOT = Path(__file__).resolve().parents[2]


def grader_file(tmp_path: Path, model: str, agreement: dict[str, Any] | None, cases: list[dict[str, Any]]) -> Path:
    config: dict[str, Any] = {
        "type": "score_model",
        "name": "answer_judge",
        "model": model,
        "input": [{"role": "user", "content": "Reference: {{item.ref}}\nModel answer: {{sample.output_text}}"}],
        "range": [0, 1],
        "rft_options": {"base_url": "local", "cache": False},
        "cases": cases,
        "check": {"threshold": 0.5, "time_budget_ms": 10000, "probes": {"empty": False}}
        | ({"agreement": agreement} if agreement else {}),
    }
    path = tmp_path / "judge.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


LABELLED = [
    {"name": "right", "item": {"ref": "Paris"}, "sample": "Paris", "label": 1.0},
    {"name": "wrong and long", "item": {"ref": "Paris"}, "sample": " ".join(["Lyon is lovely"] * 20), "label": 0.0},
    {"name": "wrong and longer", "item": {"ref": "Paris"}, "sample": " ".join(["Lyon maybe"] * 40), "label": 0.0},
    {"name": "half", "item": {"ref": "Paris France"}, "sample": "Paris", "label": 0.6},
]


def outcome(path: Path, name: str) -> Any:
    return next(o for o in check_file(path, placement="any").outcomes if o.check == name)


def test_a_verbose_judge_fails_the_agreement_gate_naming_value_and_worst_cases(tmp_path: Path) -> None:
    cases = [c for c in LABELLED if "label" in c] + [
        {"name": "golden", "item": {"ref": "Paris"}, "sample": "Paris", "expect": ">= 0.9"}
    ]
    fair = outcome(grader_file(tmp_path, "sim-judge", {"metric": "accuracy", "minimum": 0.9}, cases), "agreement")
    assert fair.status == "pass" and "accuracy = 1 over 4" in fair.message
    verbose = outcome(
        grader_file(tmp_path, "sim-judge+verbose", {"metric": "accuracy", "minimum": 0.9}, cases), "agreement"
    )
    assert verbose.status == "fail"
    assert "accuracy = 0.5 over 4" in verbose.message and "below the minimum 0.9" in verbose.message
    assert "case 2 (wrong and longer): human 0.0, judge 1" in verbose.message
    spearman = outcome(
        grader_file(tmp_path, "sim-judge+verbose", {"metric": "spearman", "minimum": 0.5}, cases), "agreement"
    )
    assert spearman.status == "fail" and spearman.message.startswith("spearman = -")


def test_agreement_config_errors_name_the_field(tmp_path: Path) -> None:
    golden = [{"item": {"ref": "Paris"}, "sample": "Paris", "expect": 1.0}]
    no_labels = check_file(grader_file(tmp_path, "sim-judge", {"minimum": 0.5}, golden), placement="any")
    assert any("check.agreement needs cases with a human label" in o.message for o in no_labels.outcomes)
    both = [{"item": {}, "sample": "x", "expect": 1.0, "label": 1.0}]
    report = check_file(grader_file(tmp_path, "sim-judge", None, both), placement="any")
    assert any("either expect" in o.message and "cases[0]" in o.message for o in report.outcomes)
    bad_metric = check_file(
        grader_file(tmp_path, "sim-judge", {"metric": "f1", "minimum": 0.5}, LABELLED[:1]), placement="any"
    )
    assert any("check.agreement.metric" in o.message for o in bad_metric.outcomes)


def test_the_domain_graders_pass_rft_check_with_their_labelled_cases() -> None:
    for name in ("clinical_answer_rubric", "contract_review_rubric"):
        report = check_file(ROOT / "graders" / f"{name}.yaml")
        assert not report.failed, [(o.check, o.message) for o in report.failed]
        agreement = next(o for o in report.outcomes if o.check == "agreement")
        assert agreement.status == "pass" and "worst disagreements" in agreement.message
        pitfalls = [
            c for c in yaml.safe_load((ROOT / "graders" / f"{name}.yaml").read_text())["criteria"] if c["points"] < 0
        ]
        assert len(pitfalls) >= 2
