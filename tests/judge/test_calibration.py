"""Calibration statistics against hand-computed values, and ``rft calibrate`` end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rft_kit.calibration import agreement as stats
from rft_kit.calibration.run import check_thresholds
from rft_kit.cli import app
from rft_kit.local_openai import LocalServer

from .conftest import chat_requests, label_config, score_config


def test_accuracy_and_confusion() -> None:
    judge, human = ["a", "a", "b", "b"], ["a", "b", "b", "b"]
    assert stats.accuracy(judge, human) == 0.75
    assert stats.confusion_matrix(judge, human) == {"a": {"a": 1, "b": 0}, "b": {"a": 1, "b": 2}}


def test_cohen_kappa_hand_computed() -> None:
    # 50 items: both yes 20, judge yes/human no 5, judge no/human yes 10, both no 15.
    # p_o = 35/50 = 0.7; p_e = 0.5*0.6 + 0.5*0.4 = 0.5; kappa = 0.2/0.5 = 0.4
    judge = ["y"] * 20 + ["y"] * 5 + ["n"] * 10 + ["n"] * 15
    human = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert stats.cohen_kappa(judge, human) == pytest.approx(0.4)
    # p_o = 0.8, both raters 50/50 -> p_e = 0.5 -> kappa 0.6
    judge2 = list("yynnynyynn")
    human2 = list("ynnnynyyyn")
    assert stats.cohen_kappa(judge2, human2) == pytest.approx(0.6)
    assert stats.cohen_kappa(["a", "b"], ["a", "b"]) == pytest.approx(1.0)
    assert math.isnan(stats.cohen_kappa(["a", "a"], ["a", "a"]))  # chance agreement is 1: undefined


def test_spearman_hand_computed() -> None:
    # no ties: rho = 1 - 6*sum(d^2)/(n(n^2-1)) = 1 - 6*4/120 = 0.8
    assert stats.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) == pytest.approx(0.8)
    # ties: ranks of y are [1, 2, 3.5, 5, 3.5]; Pearson of ranks = 8 / sqrt(10 * 9.5)
    assert stats.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))
    assert stats.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(stats.spearman([1, 1, 1], [1, 2, 3]))
    assert list(stats.rank_average([10, 20, 20, 5])) == [2.0, 3.5, 3.5, 1.0]


def test_mae_variance_flip_rate_hand_computed() -> None:
    assert stats.mean_absolute_error([0.5, 1, 0], [1, 1, 1]) == pytest.approx(0.5)
    # row 1: variance 0; row 2: mean 0.5, squared deviations 0.25, 0.25, 0 -> 1/6; mean 1/12
    assert stats.mean_variance([[1, 1, 1], [0, 1, 0.5]]) == pytest.approx(1 / 12)
    assert stats.flip_rate([["p", "p", "p"], ["p", "f", "p"], ["f", "f", "f"], ["f", "p", "p"]]) == 0.5
    with pytest.raises(ValueError, match="length"):
        stats.accuracy(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="at least one"):
        stats.accuracy([], [])


def test_check_thresholds_directions() -> None:
    report = {"kappa": 0.5, "mae": 0.2, "spearman": None}
    assert check_thresholds(report, {"kappa": 0.4, "mae": 0.3}) == []
    failed = check_thresholds(report, {"kappa": 0.6, "mae": 0.1, "spearman": 0.5})
    assert len(failed) == 3 and "below" in failed[0] and "above" in failed[1] and "not available" in failed[2]


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_calibrate_cli_with_labels(server: LocalServer, tmp_path: Path) -> None:
    grader = {**label_config(), "rft_options": {"base_url": server.base_url}}
    grader_file = tmp_path / "tone.json"
    grader_file.write_text(json.dumps(grader), encoding="utf-8")
    # the simulated judge says: positive, negative, neutral, positive; humans disagree on the third
    rows = [
        {"item": {}, "sample": "I love it", "label": "positive"},
        {"item": {}, "sample": "terrible, I hate it", "label": "negative"},
        {"item": {}, "sample": "it is a chair", "label": "positive"},
        {"item": {}, "sample": "great stuff", "label": "positive"},
    ]
    labels = write(tmp_path / "human.jsonl", rows)
    out = tmp_path / "report.json"
    runner = CliRunner()
    ok = runner.invoke(
        app, ["calibrate", str(grader_file), "--labels", str(labels), "--json", str(out), "-t", "accuracy=0.7"]
    )
    assert ok.exit_code == 0, ok.output
    report = json.loads(out.read_text())
    assert report["accuracy"] == 0.75 and report["judge_errors"] == 0
    # judge: pos, neg, neu, pos; human: pos, neg, pos, pos -> p_o 0.75; p_e = 0.5*0.75 + 0.25*0.25 = 0.4375
    assert report["kappa"] == pytest.approx((0.75 - 0.4375) / (1 - 0.4375), abs=1e-6)
    assert report["confusion"]["positive"]["neutral"] == 1
    assert "calibration" in ok.output
    failed = runner.invoke(app, ["calibrate", str(grader_file), "--labels", str(labels), "-t", "kappa=0.9"])
    assert failed.exit_code == 1


def test_calibrate_scores_with_repeats_bypasses_the_cache(server: LocalServer, tmp_path: Path) -> None:
    grader = {**score_config(), "rft_options": {"base_url": server.base_url}}
    grader_file = tmp_path / "score.json"
    grader_file.write_text(json.dumps(grader), encoding="utf-8")
    item = {"reference_answer": "the cat sat on the mat"}
    rows = [
        {"item": item, "sample": "the cat sat on the mat", "label": 1.0},  # judge 1.0
        {"item": item, "sample": "the cat sat", "label": 0.5},  # judge 0.6667
        {"item": item, "sample": "dogs", "label": 0.0},  # judge 0.0
    ]
    labels = write(tmp_path / "human.jsonl", rows)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["calibrate", str(grader_file), "--labels", str(labels), "--repeats", "3", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert chat_requests(server) == 9  # 3 rows x 3 repeats: no cache reads
    assert report["mae"] == pytest.approx((0 + 0.1667 + 0) / 3, abs=1e-4)
    assert report["spearman"] == pytest.approx(1.0)
    assert report["accuracy"] == 1.0  # thresholded at 0.5 on both sides
    assert report["mean_variance"] == 0.0 and report["flip_rate"] == 0.0  # the simulated judge is deterministic


def test_calibrate_rejects_mixed_labels(server: LocalServer, tmp_path: Path) -> None:
    grader_file = tmp_path / "score.json"
    grader_file.write_text(json.dumps({**score_config(), "rft_options": {"base_url": server.base_url}}))
    labels = write(
        tmp_path / "h.jsonl", [{"item": {}, "sample": "a", "label": 1}, {"item": {}, "sample": "b", "label": "good"}]
    )
    result = CliRunner().invoke(app, ["calibrate", str(grader_file), "--labels", str(labels)])
    assert result.exit_code == 2 and "mix" in result.output
