"""Library graders on the command line: `rft graders`, `rft templates --json`, and rft:NAME in every grader argument."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rft_kit.cli import app
from rft_kit.library import describe_library, library_graders, resolve_grader

runner = CliRunner()
RFT = str(Path(sys.executable).with_name("rft"))


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_graders_json_lists_every_library_grader() -> None:
    result = runner.invoke(app, ["graders", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [g["name"] for g in listed] == [f"rft:{n}" for n in library_graders()]
    assert {"rft:exact_answer", "rft:tasks/arithmetic_word"} <= {g["name"] for g in listed}
    for row in listed:
        assert set(row) == {"name", "type", "description", "path"}
        assert resolve_grader(row["name"]) == Path(row["path"])


def test_graders_prints_one_line_each() -> None:
    result = runner.invoke(app, ["graders"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    library = describe_library()
    assert len(lines) == len(library)
    for line, grader in zip(lines, library, strict=True):
        assert line.split()[:2] == [grader.name, grader.type]
        assert line.endswith(grader.description)


def test_templates_json_names_graders_by_rft_name_and_they_check() -> None:
    result = runner.invoke(app, ["templates", "--json"])
    assert result.exit_code == 0, result.output
    graders = [row["grader"] for row in json.loads(result.stdout)]
    assert graders and all(g.startswith("rft:tasks/") for g in graders)
    checked = runner.invoke(app, ["check", "rft:tasks/arithmetic_word", "rft:tasks/ticket_routing"])
    assert checked.exit_code == 0, checked.output
    assert "all checks passed (2 grader file(s))" in checked.stdout


def test_check_an_unknown_rft_name_is_a_clear_error() -> None:
    result = runner.invoke(app, ["check", "rft:tasks/arithmetic"])
    assert result.exit_code == 2
    assert "unknown library grader 'rft:tasks/arithmetic'" in result.stderr
    assert "did you mean 'rft:tasks/arithmetic_word'" in result.stderr
    assert "rft:exact_answer" in result.stderr


def test_check_junit_names_the_rft_grader(tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    result = runner.invoke(app, ["check", "rft:exact_answer", "--junit", str(junit)])
    assert result.exit_code == 0, result.output
    assert "rft:exact_answer" in junit.read_text(encoding="utf-8")


def test_grade_with_an_rft_name(tmp_path: Path) -> None:
    rows = [{"item": {"answer": "Paris"}, "sample": "Paris"}, {"item": {"answer": "Rome"}, "sample": "x"}]
    samples = _jsonl(tmp_path / "s.jsonl", rows)
    summary = tmp_path / "summary.json"
    args = ["grade", "rft:exact_answer", "-s", str(samples), "-o", str(tmp_path / "g.jsonl")]
    result = runner.invoke(app, [*args, "--summary-json", str(summary)])
    assert result.exit_code == 0, result.output
    data = json.loads(summary.read_text())
    assert data["graded"] == 2 and data["mean_reward"] == 0.5


def test_grader_validate_and_run_with_an_rft_name() -> None:
    validated = runner.invoke(app, ["grader", "validate", "rft:tasks/arithmetic_word"])
    assert validated.exit_code == 0, validated.output
    assert json.loads(validated.stdout)["type"] == "numeric"
    ran = runner.invoke(
        app, ["grader", "run", "rft:tasks/arithmetic_word", "--sample", "Answer: 17/4", "--item", '{"answer": "17/4"}']
    )
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["reward"] == 1.0
    unknown = runner.invoke(app, ["grader", "validate", "rft:nope"])
    assert unknown.exit_code == 2 and "unknown library grader" in unknown.stderr


def test_export_openai_with_an_rft_name(tmp_path: Path) -> None:
    rows = [
        {"messages": [{"role": "user", "content": f"What is {i} + {i}?"}], "answer": str(2 * i)} for i in range(1, 21)
    ]
    tasks = _jsonl(tmp_path / "tasks.jsonl", rows)
    out = tmp_path / "job"
    result = runner.invoke(app, ["export", "openai", str(tasks), "--grader", "rft:numeric_answer", "-o", str(out)])
    assert result.exit_code == 0, result.output
    job = json.loads((out / "job.json").read_text())
    assert job["method"]["reinforcement"]["grader"]["name"] == "numeric_answer"


def test_calibrate_with_an_rft_name(tmp_path: Path) -> None:
    rows = [
        {"item": {"answer": "42"}, "sample": "42", "label": 1.0},
        {"item": {"answer": "42"}, "sample": "41", "label": 0.0},
    ]
    labels = _jsonl(tmp_path / "labels.jsonl", rows)
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["calibrate", "rft:exact_answer", "--labels", str(labels), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["accuracy"] == 1.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_with_an_rft_name() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [RFT, "serve", "rft:exact_answer", "--port", str(port), "--workers", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("POST", "/score", json.dumps({"item": {"answer": "42"}, "sample": "42"}))
                response = conn.getresponse()
                break
            except OSError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert (response.status, json.loads(response.read())["score"]) == (200, 1.0)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    command = [RFT, "serve", "rft:nope", "--port", str(port)]
    unknown = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown library grader 'rft:nope'" in unknown.stderr


def test_export_verl_with_an_rft_name(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    rows = [{"messages": [{"role": "user", "content": "Capital of France?"}], "answer": "Paris"}]
    tasks = _jsonl(tmp_path / "tasks.jsonl", rows)
    out = tmp_path / "verl"
    result = runner.invoke(app, ["export", "verl", str(tasks), "--grader", "rft:exact_answer", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "grader.json").read_text())["name"] == "exact_answer"
