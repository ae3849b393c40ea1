"""Report contents: figures computed from known grades, and the self-contained HTML / Markdown / JSON files."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rft_kit.cli import app
from rft_kit.errors import InputError
from rft_kit.report import make_report, write_report
from rft_kit.report.stats import paired_bootstrap

# item -> rewards of samples 0..3 (None: a grading error)
RUN_A = {"a": [1, 1, 1, 1], "b": [0, 0, 0, 0], "c": [1, 0, 0, 0], "d": [1, 0, None, 1]}
RUN_B = {"a": [1, 1, 1, 1], "b": [0, 1, 1, 0], "c": [0, 0, 0, 0], "d": [1, 1, 1, 1]}


def _write_run(folder: Path, rewards: dict[str, list[float | None]], *, threshold: float = 1.0) -> Path:
    folder.mkdir(parents=True)
    with open(folder / "tasks.jsonl", "w") as tasks:
        for n, item_id in enumerate(rewards):
            metadata = {"template": "t1" if n < 2 else "t2", "difficulty": "easy" if n % 2 == 0 else "hard"}
            tasks.write(json.dumps({"id": item_id, "messages": [], "metadata": metadata}) + "\n")
    with open(folder / "grades.jsonl", "w") as grades:
        for item_id, values in rewards.items():
            for index, value in enumerate(values):
                record: dict[str, Any] = {"key": f"{item_id}#{index}", "item_id": item_id, "sample_index": index}
                if value is None:
                    record |= {"reward": 0.0, "status": "error", "error": {"kind": "parse", "message": "not JSON"}}
                else:
                    record |= {"reward": float(value), "status": "scored", "error": None}
                    record["sub_rewards"] = {"part": float(value) / 2}
                record |= {"duration_ms": 1.0 + index, "grader": {"name": "g", "type": "multi"}}
                record["token_usage"] = {
                    "per_model": {"gpt-4o-mini": {"prompt_tokens": 1000, "completion_tokens": 100}}
                }
                grades.write(json.dumps(record) + "\n")
    meta = {"name": folder.name, "grader": {"config": {"pass_threshold": threshold}}, "model": {"name": "m"}}
    (folder / "run.json").write_text(json.dumps(meta))
    return folder


def test_single_run_figures(tmp_path: Path) -> None:
    report = make_report(_write_run(tmp_path / "A", RUN_A))
    assert report["counts"] == {
        "items": 4, "samples": 0, "graded": 16, "scored": 15, "grading_errors": 1, "sampling_errors": 0,
        "unreadable_lines": 0,
    }  # fmt: skip
    assert report["summary"]["mean_reward"] == pytest.approx(7 / 16)  # the error counts 0
    assert report["summary"]["pass_rate"] == pytest.approx(7 / 15)  # the error is not a failure
    assert report["summary"]["error_rate"] == pytest.approx(1 / 16)
    # pass@1 = mean(c/n) = (1 + 0 + 1/4 + 2/3) / 4; pass@2: a 1, b 0, c 1-C(3,2)/C(4,2) = 1/2, d 1-C(1,2)/C(3,2) = 1
    assert report["pass_at_k"]["1"] == pytest.approx((1 + 0 + 0.25 + 2 / 3) / 4)
    assert report["pass_at_k"]["2"] == pytest.approx((1 + 0 + 0.5 + 1) / 4)
    assert report["pass_at_k"]["4"] == pytest.approx((1 + 0 + 1) / 3)  # d has only 3 scored samples
    assert report["mean_at_k"]["1"] == pytest.approx((1 + 0 + 1 + 1) / 4)
    signal = report["learning_signal"]
    assert (signal["no_signal"], signal["no_signal_all_same_max"], signal["no_signal_all_zero"]) == (2, 1, 1)
    assert signal["share_no_signal"] == 0.5
    assert report["reward_histograms"]["g"] == [8, 0, 0, 0, 0, 0, 0, 0, 0, 7]  # 8 zeros, 7 ones among scored
    assert report["reward_histograms"]["g.part"] == [8, 0, 0, 0, 0, 7, 0, 0, 0, 0]
    by_template = {row["value"]: row for row in report["breakdown"]["template"]}
    assert by_template["t1"]["mean_reward"] == pytest.approx(0.5) and by_template["t1"]["items"] == 2
    assert report["errors"]["grading"] == {"parse": 1}
    judge = report["judge_usage"]["per_model"][0]
    assert judge["model"] == "gpt-4o-mini" and judge["prompt_tokens"] == 16000
    assert judge["cost_usd"] == pytest.approx((16000 * 0.15 + 1600 * 0.60) / 1e6)
    timing = report["grader_timing"]["per_grader"][0]
    assert timing["max_ms"] == 4.0 and timing["n"] == 16
    assert report["comparison"] is None


def test_comparison_deltas_intervals_and_flips(tmp_path: Path) -> None:
    base = _write_run(tmp_path / "A", RUN_A)
    report = make_report(_write_run(tmp_path / "B", RUN_B), base)
    cmp = report["comparison"]
    assert cmp["paired_items"] == 4
    diffs = [0.0, 0.5, -0.25, 0.5]  # per-item mean reward B - A (d: 3/4 with the error as 0 -> 1)
    expected = paired_bootstrap(diffs, resamples=2000, seed=cmp["bootstrap"]["seed"])
    assert cmp["mean_reward_delta"]["mean"] == pytest.approx(0.1875)
    assert (cmp["mean_reward_delta"]["low"], cmp["mean_reward_delta"]["high"]) == (expected.low, expected.high)
    # item passes when >= half its samples pass: b 0 -> 1/2 (flips up), c 1/4 -> 0 (stays failing), d 2/3 -> 1
    assert cmp["flipped"]["fail_to_pass_count"] == 1 and cmp["flipped"]["fail_to_pass"][0]["id"] == "b"
    assert cmp["flipped"]["pass_to_fail_count"] == 0
    # sub-rewards average over scored samples only: d's baseline is (0.5 + 0 + 0.5) / 3
    sub_diffs = [0.0, 0.25, -0.125, 0.5 - 1 / 3]
    assert cmp["sub_graders"]["part"]["delta"]["mean"] == pytest.approx(sum(sub_diffs) / 4)
    assert cmp["pass_at_k"]["1"]["delta"] == pytest.approx(
        cmp["pass_at_k"]["1"]["value"] - cmp["pass_at_k"]["1"]["baseline"]
    )
    assert cmp["grading_errors"] == {"parse": {"value": 0, "baseline": 1}}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained(tmp_path: Path) -> None:
    base = _write_run(tmp_path / "A", RUN_A)
    html, md, js = write_report(make_report(_write_run(tmp_path / "B", RUN_B), base), tmp_path / "out" / "report.html")
    text = html.read_text()
    parser = _Collector()
    parser.feed(text)
    tags = [t for t, _ in parser.tags]
    assert tags.count("svg") >= 5 and tags.count("table") >= 8
    assert not {"script", "img", "link", "iframe", "object", "embed"} & set(tags)
    for _, attrs in parser.tags:
        for name in ("src", "href", "action", "data"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(name) or ""), attrs
    assert "url(" not in text and "@import" not in text
    csp = [a for t, a in parser.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0]["content"].startswith("default-src 'none'")
    assert "Against the baseline" in text
    assert json.loads(js.read_text())["comparison"]["paired_items"] == 4
    markdown = md.read_text()
    assert "| pass@1 |" in markdown and "Against the baseline: A" in markdown


def test_simulated_runs_are_labelled(tmp_path: Path) -> None:
    folder = _write_run(tmp_path / "S", RUN_A)
    meta = json.loads((folder / "run.json").read_text())
    meta["model"]["simulated"] = True
    (folder / "run.json").write_text(json.dumps(meta))
    html, md, _ = write_report(make_report(folder), folder / "report.html")
    assert "SIMULATED" in html.read_text() and "SIMULATED" in md.read_text()
    plain = _write_run(tmp_path / "P", RUN_A)
    html, _, _ = write_report(make_report(plain), plain / "report.html")
    assert "SIMULATED" not in html.read_text()


def test_report_cli(tmp_path: Path) -> None:
    base = _write_run(tmp_path / "A", RUN_A)
    run = _write_run(tmp_path / "B", RUN_B)
    out = tmp_path / "r" / "report.html"
    result = CliRunner().invoke(app, ["report", str(run), "--baseline", str(base), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and out.with_suffix(".md").exists() and out.with_suffix(".json").exists()
    assert "vs baseline A" in result.output
    missing = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no grades.jsonl" in missing.output


def test_missing_grades_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no grades\.jsonl"):
        make_report(tmp_path)


def test_a_hand_edited_run_json_with_a_grader_path_still_reports(tmp_path: Path) -> None:
    folder = _write_run(tmp_path / "A", RUN_A)
    meta = json.loads((folder / "run.json").read_text())
    (folder / "run.json").write_text(json.dumps({**meta, "grader": "graders/exact_answer.yaml"}))
    report = make_report(folder)  # used to raise AttributeError ('str' object has no attribute 'get')
    assert report["summary"]["pass_rate"] == pytest.approx(7 / 15)  # the default threshold, 1.0
