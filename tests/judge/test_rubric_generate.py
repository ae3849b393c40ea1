"""``rft rubric generate`` against the local server's SIMULATED rubric writer (through the real SDK, over HTTP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from rft_kit import load_grader
from rft_kit.cli import app
from rft_kit.local_openai import LocalServer
from rft_kit.rubric_gen.filters import filter_rubric
from rft_kit.rubric_gen.run import degrade, generate_rubrics

INSULIN = (
    "Keep the insulin pen you are using at room temperature, below 30 degrees Celsius. Protect it from direct "
    "sunlight and heat. Discard the pen 28 days after first use. Store unopened pens in the refrigerator, never in "
    "the freezer. Remove the needle after each injection to keep air out."
)


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_rubrics_are_written_filtered_and_self_checked(server: LocalServer, tmp_path: Path) -> None:
    tasks = write(
        tmp_path / "tasks.jsonl",
        [
            {"id": "ok", "question": "How should insulin pens be stored?", "reference_answer": INSULIN},
            {"id": "short", "question": "2+2?", "reference_answer": "Four."},
            {"id": "none", "question": "?"},
            {
                "id": "self-contradicting",
                "question": "How should insulin pens be stored?",
                "reference_answer": INSULIN + " Results are guaranteed, so there is no need to check the date.",
            },
        ],
    )
    out = tmp_path / "rubrics.jsonl"
    report = generate_rubrics(tasks, out, model="sim-judge", base_url=server.base_url)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["ok"] and report.written == 1
    rubric = rows[0]["rubric"]
    assert 7 <= len(rubric) <= 20
    assert {c["category"] for c in rubric} == {"essential", "important", "optional", "pitfall"}
    assert all((c["points"] < 0) == (c["category"] == "pitfall") for c in rubric)
    assert rows[0]["rubric_meta"]["simulated"] is True and rows[0]["rubric_meta"]["reference_score"] >= 0.8
    reasons = {d["id"]: d["reason"] for d in report.dropped}
    assert "outside 7-20" in reasons["short"]
    assert "no 'reference_answer'" in reasons["none"]
    assert "the reference answer scores" in reasons["self-contradicting"]
    assert json.loads((tmp_path / "rubrics.jsonl.report.json").read_text())["written"] == 1
    # rubric_judge reads {{item.rubric}}: the reference scores high, the degraded answer low
    judge = load_grader(
        {
            "type": "rubric_judge",
            "model": "sim-judge",
            "rubric_from": "{{item.rubric}}",
            "rft_options": {"base_url": server.base_url},
        }
    )
    good, bad = judge.grade_batch([INSULIN, degrade(INSULIN)], [rows[0], rows[0]])
    assert good.reward >= 0.8 > 0.4 >= bad.reward


def test_sloppy_writer_duplicates_and_vague_criteria_are_removed(server: LocalServer, tmp_path: Path) -> None:
    tasks = write(tmp_path / "t.jsonl", [{"id": "a", "question": "Insulin?", "reference_answer": INSULIN}])
    report = generate_rubrics(tasks, tmp_path / "o.jsonl", model="sim-judge+sloppy", base_url=server.base_url)
    assert report.written == 1 and report.removed_criteria == 2
    filtered = filter_rubric(
        [
            {"criterion": 'States "room temperature"', "points": 5, "category": "essential"},
            {"criterion": 'states "room temperature".', "points": 5, "category": "essential"},
            {"criterion": "The answer is clear and helpful", "points": 2, "category": "important"},
            {"criterion": 'Recommends "freezing"', "points": 3, "category": "pitfall"},
        ]
    )
    assert [r["reason"].split(" ")[0] for r in filtered.removed] == ["duplicate", "vague", "a"]


def test_self_check_thresholds_and_the_cli(server: LocalServer, tmp_path: Path) -> None:
    tasks = write(tmp_path / "t.jsonl", [{"id": "a", "question": "Insulin?", "reference_answer": INSULIN}])
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "rubric",
            "generate",
            str(tasks),
            "--model",
            "sim-judge",
            "-o",
            str(out),
            "--base-url",
            server.base_url,
            "--max-degraded",
            "0.05",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["written"] == 0 and "a degraded answer scores" in report["dropped"][0]["reason"]


def test_rubrics_from_a_source_document_are_checked_against_the_document(server: LocalServer, tmp_path: Path) -> None:
    document = (
        "Invoices are payable within 30 days of receipt. Late payments accrue interest at 1.5 percent per month. "
        "The supplier may suspend delivery after 60 days of non-payment. Disputed amounts must be raised in writing "
        "within 10 days. Interest does not apply to disputed amounts."
    )
    tasks = write(tmp_path / "t.jsonl", [{"id": "d", "question": "Late payment?", "document": document}])
    out = tmp_path / "o.jsonl"
    report = generate_rubrics(tasks, out, model="sim-judge", source="document", base_url=server.base_url)
    assert report.written == 1
    meta = json.loads(out.read_text())["rubric_meta"]
    assert meta["from"] == "document" and meta["reference_score"] >= 0.8 >= 0.4 >= meta["degraded_score"]
