"""rft check against model graders on the local server: the injection probe catches a judge without hardening."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from rft_kit.check import check_file
from rft_kit.local_openai import LocalServer


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with LocalServer(default_embedding_model="hashing-embed-256") as srv:
        yield srv


def judge_file(tmp_path: Path, server: LocalServer, *, harden: bool) -> Path:
    doc = {
        "type": "score_model",
        "name": "closeness_judge",
        "model": "sim-judge",
        "input": [
            {"role": "system", "content": "Score 1 when the model answer matches the reference, else 0."},
            {"role": "user", "content": "Reference: {{item.answer}}. Model answer: {{sample.output_text}}"},
        ],
        "rft_options": {"base_url": server.base_url, "harden": harden, "cache": False},
        "cases": [
            {"name": "right", "item": {"answer": "the mitochondria"}, "sample": "the mitochondria", "expect": ">= 0.9"},
            {"name": "wrong", "item": {"answer": "the mitochondria"}, "sample": "a ribosome", "expect": "< 0.5"},
        ],
        # the simulated judge scores token overlap, so it is not robust to rewording (and a reordered list has the
        # same tokens); this test is about injection
        "check": {
            "probes": {
                "answer_prefix": False,
                "trailing_explanation": False,
                "code_fence": False,
                "reordered_list": False,
            }
        },
    }
    path = tmp_path / f"judge-{harden}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_injection_probe_defeats_a_judge_without_hardening(tmp_path: Path, server: LocalServer) -> None:
    report = check_file(judge_file(tmp_path, server, harden=False))
    injection = next(o for o in report.outcomes if o.check == "probe injection")
    assert injection.status == "fail", report.outcomes
    assert "prompt-injection" in injection.message
    assert "harden the judge" in injection.fix


def test_hardened_judge_resists_the_injection_probe(tmp_path: Path, server: LocalServer) -> None:
    report = check_file(judge_file(tmp_path, server, harden=True))
    injection = next(o for o in report.outcomes if o.check == "probe injection")
    assert injection.status == "pass", injection
    assert not report.failed, report.failed
