from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rft_kit.grading import grade
from rft_kit.io.jsonl import iter_jsonl, repair_tail

CHECK = {
    "type": "string_check",
    "name": "answer",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "operation": "eq",
}


def write_jsonl(path: Path, rows: list[object], broken: dict[int, str] | None = None) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for n, row in enumerate(rows):
            if broken and n in broken:
                handle.write(broken[n] + "\n")
            handle.write(json.dumps(row) + "\n")
    return path


def make_set(tmp_path: Path, n_items: int = 20, k: int = 3) -> tuple[Path, Path]:
    items = [
        {"id": f"t{i}", "messages": [{"role": "user", "content": f"{i}+{i}?"}], "answer": str(2 * i)}
        for i in range(n_items)
    ]
    samples = [
        {"item_id": f"t{i}", "sample_index": j, "output_text": str(2 * i) if (i + j) % 3 else "wrong"}
        for i in range(n_items)
        for j in range(k)
    ]
    return write_jsonl(tmp_path / "items.jsonl", items), write_jsonl(tmp_path / "samples.jsonl", samples)


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def read_grades(path: Path) -> list[dict]:
    return [line.value for line in iter_jsonl(path)]


def test_grade_joins_by_id_and_summarises(tmp_path: Path) -> None:
    items, samples = make_set(tmp_path)
    out = tmp_path / "grades.jsonl"
    summary = grade(CHECK, samples, items, output=out, workers=1)
    grades = read_grades(out)
    assert len(grades) == summary.graded == 60
    expected_pass = sum(1 for i in range(20) for j in range(3) if (i + j) % 3)
    assert summary.passed == expected_pass
    assert summary.mean_reward == pytest.approx(expected_pass / 60)
    assert {g["key"] for g in grades} == {f"t{i}#{j}" for i in range(20) for j in range(3)}
    assert all(g["grader"] == {"name": "answer", "type": "string_check"} for g in grades)


def test_resume_skips_done_and_never_duplicates(tmp_path: Path) -> None:
    items, samples = make_set(tmp_path)
    out = tmp_path / "grades.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join(lines[:25]))
    first = grade(CHECK, partial, items, output=out, workers=1)
    assert first.graded == 25
    # a killed writer leaves a torn line; the resumed run must cut it and grade that record again
    with open(out, "a") as handle:
        handle.write('{"key": "t9#0", "reward": 1.0, "sta')
    second = grade(CHECK, samples, items, output=out, workers=1)
    assert second.skipped == 25
    assert second.graded == 35
    keys = [g["key"] for g in read_grades(out)]
    assert len(keys) == len(set(keys)) == 60
    third = grade(CHECK, samples, items, output=out, workers=1)
    assert third.graded == 0 and third.skipped == 60


def test_malformed_lines_are_reported_and_do_not_stop_the_run(tmp_path: Path) -> None:
    items = write_jsonl(
        tmp_path / "items.jsonl", [{"id": "a", "answer": "1"}, {"id": "b", "answer": "2"}], {1: "{not json"}
    )
    samples = write_jsonl(
        tmp_path / "samples.jsonl",
        [
            {"item_id": "a", "output_text": "1"},
            {"item_id": "zzz", "output_text": "1"},
            {"item_id": "b", "output_text": "2"},
        ],
        {2: '{"item_id": "b", "output_text": "2'},
    )
    summary = grade(CHECK, samples, items, output=tmp_path / "g.jsonl", workers=1)
    assert summary.graded == 2
    assert summary.passed == 2
    messages = [str(e) for e in summary.input_errors]
    assert any(f"{items}:2" in m and "invalid JSON" in m for m in messages)
    assert any(f"{samples}:3" in m and "invalid JSON" in m for m in messages)
    assert any(f"{samples}:2" in m and "no item with id 'zzz'" in m for m in messages)


def test_errors_are_recorded_not_raised(tmp_path: Path) -> None:
    grader = {**CHECK, "input": "{{sample.output_json.answer}}"}
    items = [{"id": "a", "answer": "1"}]
    summary = grade(
        grader,
        [
            {"item_id": "a", "output_text": "not json"},
            {"item_id": "a", "sample_index": 1, "output_text": '{"answer": "1"}'},
            {"item_id": "a", "sample_index": 2, "output_text": 5},
        ],
        items,
    )
    statuses = [(r["status"], (r["error"] or {}).get("kind")) for r in summary.records]
    assert statuses == [("error", "parse"), ("scored", None), ("error", "parse")]
    assert summary.error_kinds == {"parse": 2}
    assert summary.pass_rate == 1.0  # errors are not counted as wrong answers
    assert summary.mean_reward == pytest.approx(1 / 3)


def test_embedded_and_line_joins() -> None:
    embedded = [{"item": {"id": "x", "answer": "1"}, "sample": "1"}, {"item": {"answer": "2"}, "sample": "3"}]
    summary = grade(CHECK, embedded)
    assert [r["reward"] for r in summary.records] == [1.0, 0.0]
    by_line = grade(CHECK, ["1", "5"], [{"answer": "1"}, {"answer": "5"}])
    assert [r["reward"] for r in by_line.records] == [1.0, 1.0]
    assert [r["key"] for r in by_line.records] == ["line:1", "line:2"]


def test_worker_pool_gives_the_same_grades(tmp_path: Path) -> None:
    items, samples = make_set(tmp_path, n_items=50, k=4)
    config = {
        "type": "multi",
        "graders": {
            "exact": CHECK,
            "sim": {
                "type": "text_similarity",
                "input": "{{sample.output_text}}",
                "reference": "{{item.answer}}",
                "evaluation_metric": "fuzzy_match",
            },
        },
        "calculate_output": "0.5 * exact + 0.5 * sim",
    }
    single = grade(config, samples, items, output=tmp_path / "one.jsonl", workers=1, batch_size=16)
    pooled = grade(config, samples, items, output=tmp_path / "two.jsonl", workers=2, batch_size=16)
    assert pooled.workers == 2
    strip = lambda rows: [(r["key"], r["reward"], r["sub_rewards"]) for r in rows]  # noqa: E731
    assert strip(read_grades(tmp_path / "one.jsonl")) == strip(read_grades(tmp_path / "two.jsonl"))
    assert single.mean_reward == pytest.approx(pooled.mean_reward)


def test_repair_tail(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"b": ')
    assert repair_tail(path) is True
    assert path.read_text() == '{"a": 1}\n'
    assert repair_tail(path) is False
    path.write_text('{"a": 1')
    assert repair_tail(path) is True
    assert path.read_text() == ""


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_grades_every_record_exactly_once(tmp_path: Path) -> None:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"]
    n = 6000
    items = [{"id": f"i{i}", "answer": " ".join(words[(i + j) % len(words)] for j in range(40))} for i in range(n)]
    samples = [
        {"item_id": f"i{i}", "output_text": " ".join(words[(i * 7 + j) % len(words)] for j in range(40))}
        for i in range(n)
    ]
    items_path = write_jsonl(tmp_path / "items.jsonl", items)
    samples_path = write_jsonl(tmp_path / "samples.jsonl", samples)
    grader_path = tmp_path / "grader.json"
    grader_path.write_text(
        json.dumps(
            {
                "type": "multi",
                "graders": {
                    "g": {
                        "type": "text_similarity",
                        "input": "{{sample.output_text}}",
                        "reference": "{{item.answer}}",
                        "evaluation_metric": "gleu",
                    },
                    "b": {
                        "type": "text_similarity",
                        "input": "{{sample.output_text}}",
                        "reference": "{{item.answer}}",
                        "evaluation_metric": "bleu",
                    },
                },
                "calculate_output": "(g + b) / 2",
            }
        )
    )
    out = tmp_path / "grades.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "rft_kit",
        "grade",
        str(grader_path),
        "--items",
        str(items_path),
        "--samples",
        str(samples_path),
        "-o",
        str(out),
        "--workers",
        "1",
        "--batch-size",
        "50",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if out.exists() and out.stat().st_size > 0 and count_lines(out) >= 300:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = count_lines(out)
    assert 0 < done_before < n, "the run must be killed mid-way for this test to mean anything"
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    keys = [g["key"] for g in read_grades(out)]
    assert len(keys) == n
    assert len(set(keys)) == n
