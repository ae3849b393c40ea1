from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rft_kit.check import check_file, discover, parse_cases
from rft_kit.cli import app
from rft_kit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


WEAK_LIKE = {
    "type": "string_check",
    "name": "capital_like",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "ilike",
    "cases": [
        {
            "item": {"answer": "Paris", "messages": [{"role": "user", "content": "Capital of France?"}]},
            "sample": "Paris",
            "expect": 1.0,
        },
        {"item": {"answer": "Rome"}, "sample": "Madrid", "expect": 0.0},
    ],
}


def outcome(report, check: str):
    return next(o for o in report.outcomes if o.check == check)


def test_like_grader_is_defeated_by_the_padding_probe(tmp_path: Path) -> None:
    report = check_file(write(tmp_path, "weak.yaml", WEAK_LIKE))
    padding = outcome(report, "probe padding")
    assert padding.status == "fail"
    assert "buried among many alternatives" in padding.message
    assert "check.probes.padding: false" in padding.fix
    assert outcome(report, "probe all_labels").status == "fail"
    assert outcome(report, "probe empty").status == "pass"
    # the same grader with eq passes every probe except the metamorphic ones a strict grader fails on purpose
    strict = {**WEAK_LIKE, "operation": "eq"}
    strict_report = check_file(write(tmp_path, "strict.yaml", strict))
    assert outcome(strict_report, "probe padding").status == "pass"
    assert outcome(strict_report, "probe whitespace").status == "fail"


def test_cli_exit_code_names_the_probe_and_writes_reports(tmp_path: Path) -> None:
    path = write(tmp_path, "weak.yaml", WEAK_LIKE)
    json_out, junit = tmp_path / "r.json", tmp_path / "r.xml"
    result = runner.invoke(app, ["check", str(path), "--json", str(json_out), "--junit", str(junit)])
    assert result.exit_code == 1
    assert "[probe padding]" in result.stdout
    assert "fix:" in result.stdout
    data = json.loads(json_out.read_text())
    assert data["passed"] is False
    checks = {c["check"]: c["status"] for c in data["files"][0]["checks"]}
    assert checks["probe padding"] == "fail"
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("failures", "0")) >= 1
    names = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert "probe padding" in names


def test_probes_can_be_switched_off_per_grader(tmp_path: Path) -> None:
    doc = {**WEAK_LIKE, "check": {"probes": {"padding": False, "all_labels": False, "whitespace": False}}}
    report = check_file(write(tmp_path, "weak.yaml", doc))
    assert outcome(report, "probe padding").status == "skip"
    assert not report.failed, report.failed


def test_case_failures_determinism_and_templates(tmp_path: Path) -> None:
    doc = {
        "type": "string_check",
        "input": "{{sample.output_text}}",
        "reference": "{{item.answer}}",
        "operation": "eq",
        "cases": [
            {"name": "wrong expectation", "item": {"answer": "a"}, "sample": "a", "expect": "< 0.5"},
            {"name": "missing field", "item": {"solution": "a"}, "sample": "a", "expect": 1.0},
            {"name": "error expected", "item": {}, "sample": "a", "expect": {"error": "template"}},
        ],
    }
    report = check_file(write(tmp_path, "g.yaml", doc), probes=False)
    assert outcome(report, "case 0 (wrong expectation)").status == "fail"
    assert "expected reward < 0.5, got 1" in outcome(report, "case 0 (wrong expectation)").message
    templates = outcome(report, "templates")
    assert templates.status == "fail"
    assert "case 1 (missing field)" in templates.message
    assert "case 2" not in templates.message  # a case that expects the template error is exempt
    assert outcome(report, "case 2 (error expected)").status == "pass"
    assert outcome(report, "determinism").status == "pass"


def test_grader_without_cases_and_invalid_files(tmp_path: Path) -> None:
    no_cases = write(tmp_path, "a.yaml", {k: v for k, v in WEAK_LIKE.items() if k != "cases"})
    assert outcome(check_file(no_cases), "cases").status == "fail"
    bad = write(tmp_path, "b.yaml", {**WEAK_LIKE, "operation": "equals"})
    config = outcome(check_file(bad), "config")
    assert config.status == "fail"
    assert "operation" in config.message
    bad_case = write(tmp_path, "c.yaml", {**WEAK_LIKE, "cases": [{"sample": "x", "expect": "about 1"}]})
    assert "cases[0].expect" in outcome(check_file(bad_case), "config").message
    unknown_probe = write(tmp_path, "d.yaml", {**WEAK_LIKE, "check": {"probes": {"padd": False}}})
    assert "unknown probe 'padd'" in outcome(check_file(unknown_probe), "config").message


def test_parse_cases_expectations() -> None:
    cases = parse_cases(
        [
            {"sample": "x", "expect": 1},
            {"sample": "x", "expect": ">= 0.9"},
            {"sample": {"output_text": "x"}, "expect": {"error": "parse"}},
        ]
    )
    assert [c.expect.describe() for c in cases] == ["reward == 1", "reward >= 0.9", "error parse"]
    with pytest.raises(ConfigError, match=r"cases\[0\]"):
        parse_cases([{"sample": "x", "expect": True}])
    with pytest.raises(ConfigError, match="unknown key 'expected'"):
        parse_cases([{"sample": "x", "expected": 1}])


def test_discover_skips_non_grader_yaml(tmp_path: Path) -> None:
    write(tmp_path, "grader.yaml", WEAK_LIKE)
    (tmp_path / "notes.yaml").write_text("title: not a grader\n")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "other.json", WEAK_LIKE)
    assert sorted(p.name for p in discover([tmp_path])) == ["grader.yaml", "other.json"]


def test_the_grader_library_passes_rft_check() -> None:
    result = runner.invoke(app, ["check", str(ROOT / "graders")])
    assert result.exit_code == 0, result.stdout
    assert "all checks passed" in result.stdout


# The graders issue 19 found paying wrong answers, rebuilt as python graders so the probes have something to catch.
_LOOSE_SOURCE = """
import math


def grade(sample, item):
    out, ref = sample["output_text"].strip(), item["answer"]
    try:
        return 1.0 if math.isclose(float(out), float(ref), rel_tol=1e-9) else 0.0
    except ValueError:
        pass
    if "," in ref:  # a list compared as a set
        return 1.0 if sorted(out.replace(" ", "").split(",")) == sorted(ref.replace(" ", "").split(",")) else 0.0
    return 1.0 if sorted(out.casefold()) == sorted(ref.casefold()) else 0.0  # a word read as a product of letters
"""


def test_substitution_probes_catch_the_wrong_answers_issue_19_found(tmp_path: Path) -> None:
    loose = {
        "type": "python",
        "name": "loose",
        "source": _LOOSE_SOURCE,
        "cases": [
            {"item": {"answer": "Paris"}, "sample": "Paris", "expect": 1.0},
            {"item": {"answer": "Rome"}, "sample": "Madrid", "expect": 0.0},
        ],
        "check": {"probes": {"all_labels": False, "padding": False, "answer_prefix": False, "code_fence": False}},
    }
    report = check_file(write(tmp_path, "loose.yaml", loose))
    for probe, words in (
        ("large_integer", "'2203636303' scored 1"),
        ("different_word", "'ekilxesnu' scored 1"),
        ("reordered_list", "'7, 5, 3' scored 1"),
    ):
        found = outcome(report, f"probe {probe}")
        assert found.status == "fail", (probe, found)
        assert words in found.message
        assert f"check.probes.{probe}: false" in found.fix
    # the library's own graders take the same references and refuse the near misses
    for name in ("normalized_answer", "numeric_answer", "math_answer"):
        fixed = check_file(ROOT / "graders" / f"{name}.yaml")
        statuses = {
            p: outcome(fixed, f"probe {p}").status for p in ("large_integer", "different_word", "reordered_list")
        }
        assert "fail" not in statuses.values(), (name, statuses)
        assert "pass" in statuses.values(), (name, statuses)


def test_substitution_probe_needs_a_control_that_passes(tmp_path: Path) -> None:
    # a label grader cannot take 'unsexlike' as a reference at all: the probe is skipped, not failed
    report = check_file(ROOT / "graders" / "label_classification.yaml")
    assert outcome(report, "probe different_word").status == "skip"
