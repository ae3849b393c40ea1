"""Every writer survives any string a model can produce, through the real CLI: an unpaired surrogate in an item id,
a program's exception message, a JSON key a template error lists, a judge's reply, a sampled reply, an exported row
and a printed envelope. Each run must finish, write strict UTF-8 JSON, note what it escaped, and resume."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .cli import REPO, no_traceback, rft, strict_jsonl, write_jsonl
from .hostile_http import Behaviour, hostile_endpoint

EXACT = REPO / "graders" / "exact_answer.yaml"
LONE = "\ud800"  # what json.loads makes of the six characters a model prints: \ud800


def test_grade_item_id_with_a_surrogate_writes_and_resumes(tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": f"a{LONE}", "answer": "4"}, {"id": "b", "answer": "5"}])
    samples = write_jsonl(tmp_path / "samples.jsonl", ["4", "5"])
    out = tmp_path / "grades.jsonl"
    first = rft("grade", EXACT, "-s", samples, "-i", items, "-o", out, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    records = strict_jsonl(out)
    assert [r["reward"] for r in records] == [1.0, 1.0]
    assert records[0]["item_id"] == "a\\ud800" and records[0]["output_escapes"] == {"surrogates": 1}
    assert "output_escapes" not in records[1]
    again = rft("grade", EXACT, "-s", samples, "-i", items, "-o", out, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert len(strict_jsonl(out)) == 2  # the escaped key is recognised on resume: nothing graded twice


def test_grade_error_message_quoting_a_surrogate_key(tmp_path: Path) -> None:
    grader = tmp_path / "g.yaml"
    grader.write_text(
        yaml.safe_dump(
            {
                "type": "string_check",
                "name": "t",
                "input": "{{sample.output_json.answer}}",
                "reference": "{{item.answer}}",
                "operation": "eq",
            }
        )
    )
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "answer": "4"}])
    # the model printed a JSON object whose key is the escape \ud800; the template error lists the keys it has
    samples = write_jsonl(tmp_path / "samples.jsonl", ['{"\\ud800": 1}'])
    out = tmp_path / "grades.jsonl"
    result = rft("grade", grader, "-s", samples, "-i", items, "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = strict_jsonl(out)
    assert record["status"] == "error" and "\\ud800" in record["error"]["message"]
    assert record["output_escapes"]["surrogates"] >= 1


def test_grade_python_exception_message_with_surrogates(tmp_path: Path) -> None:
    grader = tmp_path / "py.yaml"
    grader.write_text(
        "type: python\nname: py\nsource: |\n  def grade(sample, item):\n"
        '      raise ValueError("bad \\ud800 value" + chr(0xdc00))\n'
    )
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "answer": "4"}])
    samples = write_jsonl(tmp_path / "samples.jsonl", ["4"])
    out = tmp_path / "grades.jsonl"
    result = rft("grade", grader, "-s", samples, "-i", items, "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = strict_jsonl(out)
    assert record["status"] == "error" and "bad \\ud800 value\\udc00" in record["error"]["message"]


def _judge_grader(path: Path, url: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "type": "score_model",
                "name": "judge",
                "model": "hostile",
                "input": [{"role": "user", "content": "Score: {{sample.output_text}}"}],
                "rft_options": {"base_url": url, "max_retries": 0, "timeout_s": 20},
            }
        )
    )
    return path


def test_grade_with_a_judge_reply_holding_a_surrogate_and_its_cache(tmp_path: Path) -> None:
    behaviour = Behaviour(content='{"result": 0.5, "steps": [{"description": "\\ud800 odd", "conclusion": "x"}]}')
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "a"}])
    samples = write_jsonl(tmp_path / "samples.jsonl", [f"answer {LONE}"])
    with hostile_endpoint(behaviour) as url:
        grader = _judge_grader(tmp_path / "judge.yaml", url)
        first = rft("grade", grader, "-s", samples, "-i", items, "-o", tmp_path / "g1.jsonl", cwd=tmp_path)
        assert first.returncode == 0, first.stderr[-3000:]
        second = rft("grade", grader, "-s", samples, "-i", items, "-o", tmp_path / "g2.jsonl", cwd=tmp_path)
        assert second.returncode == 0, second.stderr[-3000:]
    (one,) = strict_jsonl(tmp_path / "g1.jsonl")
    (two,) = strict_jsonl(tmp_path / "g2.jsonl")
    assert one["status"] == "scored" and one["reward"] == 0.5, one
    assert two["reward"] == 0.5
    assert behaviour.requests == 1, "the second run must be served by the judge cache"


def test_sample_reply_with_a_surrogate_writes_and_resumes(tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "q1", "messages": [{"role": "user", "content": "hi"}]}])
    out = tmp_path / "samples.jsonl"
    behaviour = Behaviour(content=f"I print {LONE} here")
    with hostile_endpoint(behaviour) as url:
        args = ("sample", items, "-o", out, "--model", "hostile", "--base-url", url, "-n", "2")
        first = rft(*args, cwd=tmp_path)
        assert first.returncode == 0, first.stderr[-3000:]
        again = rft(*args, cwd=tmp_path)
        assert again.returncode == 0, again.stderr[-3000:]
    records = strict_jsonl(out)
    assert len(records) == 2 and behaviour.requests == 2
    assert all(r["output_escapes"]["surrogates"] >= 1 and "\\ud800" in json.dumps(r) for r in records)


def test_export_openai_with_a_surrogate_in_a_row(tmp_path: Path) -> None:
    rows = [
        {"id": f"q{i}", "messages": [{"role": "user", "content": f"What is {i}+{i}? {LONE}"}], "answer": str(2 * i)}
        for i in range(12)
    ]
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    result = rft("export", "openai", tasks, "-g", EXACT, "-o", tmp_path / "job", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0, result.stderr[-3000:]
    exported = strict_jsonl(tmp_path / "job" / "train.jsonl") + strict_jsonl(tmp_path / "job" / "valid.jsonl")
    assert len(exported) == 12 and all("\\ud800" in r["messages"][0]["content"] for r in exported)


def _output_json_grader(path: Path) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "type": "string_check",
                "name": "t",
                "input": "{{sample.output_json.answer}}",
                "reference": "{{item.answer}}",
                "operation": "eq",
            }
        )
    )
    return path


def test_grader_run_prints_an_envelope_with_a_surrogate(tmp_path: Path) -> None:
    grader = _output_json_grader(tmp_path / "g.yaml")
    # the sample text is a JSON object whose key is the escape \ud800; the envelope's error message lists it
    result = rft("grader", "run", grader, "--sample", '{"\\ud800": 1}', "--item", '{"answer": "x"}', cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0, result.stderr[-3000:]
    envelope = json.loads(result.stdout)
    assert "\\ud800" in json.dumps(envelope)


def test_grader_validate_prints_a_config_with_a_surrogate(tmp_path: Path) -> None:
    grader = tmp_path / "g.json"
    grader.write_text(
        '{"type": "string_check", "name": "n\\ud800", "input": "{{sample.output_text}}", '
        '"reference": "{{item.answer}}", "operation": "eq"}'
    )
    result = rft("grader", "validate", grader, cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout)["name"] == "n\\ud800"


def test_an_error_message_with_a_surrogate_reaches_the_terminal(tmp_path: Path) -> None:
    """A guard, not a regression: stderr already escaped surrogates before (Python's default for stderr)."""
    # a file name that is not UTF-8 (byte 0xff) reaches Python as the surrogate \udcff, then the error message
    missing = tmp_path / "missing\udcff.jsonl"
    result = rft("grade", EXACT, "-s", missing, "-o", tmp_path / "o.jsonl", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2 and "missing\\udcff" in result.stderr, result.stderr


def _surrogate_rows() -> list[dict[str, object]]:
    return [
        {"id": f"q{i}", "messages": [{"role": "user", "content": f"Say {i} {LONE}"}], "answer": f"{i}{LONE}"}
        for i in range(4)
    ]


def test_export_trl_verl_and_hf_with_surrogates(tmp_path: Path) -> None:
    import datasets
    import pyarrow.parquet as pq

    tasks = write_jsonl(tmp_path / "tasks.jsonl", _surrogate_rows())
    for command in (("trl",), ("verl", "-g", str(EXACT)), ("hf",)):
        result = rft("export", *command, tasks, "-o", tmp_path / command[0], cwd=tmp_path)
        no_traceback(result)
        assert result.returncode == 0, (command, result.stderr[-3000:])
    assert len(strict_jsonl(tmp_path / "trl" / "train.jsonl")) == 4
    assert datasets.load_from_disk(str(tmp_path / "trl" / "dataset"))[0]["prompt"][0]["content"] == "Say 0 \\ud800"
    table = pq.read_table(tmp_path / "verl" / "train.parquet").to_pylist()
    assert table[0]["reward_model"]["ground_truth"] == "0\\ud800"
    assert len(datasets.load_from_disk(str(tmp_path / "hf"))) == 4


def test_export_openai_warns_about_the_escaped_rows(tmp_path: Path) -> None:
    rows = [{**row, "id": f"{row['id']}-{k}"} for k in range(3) for row in _surrogate_rows()]
    tasks = write_jsonl(tmp_path / "tasks.jsonl", rows)
    result = rft("export", "openai", tasks, "-g", EXACT, "-o", tmp_path / "job", cwd=tmp_path)
    assert "unpaired surrogate" in " ".join(result.stderr.split()) or "unpaired surrogate" in (
        tmp_path / "job" / "export_report.json"
    ).read_text(encoding="utf-8")


def test_report_over_files_holding_surrogate_escapes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "tasks.jsonl").write_text(
        '{"id": "a", "messages": [{"role": "user", "content": "q \\ud800"}], "answer": "4"}\n'
    )
    (run / "samples.jsonl").write_text('{"item_id": "a", "sample_index": 0, "output_text": "ans \\ud800"}\n')
    grade_record = {
        "key": "a#0",
        "item_id": "a",
        "sample_index": 0,
        "line": 1,
        "reward": 0.0,
        "status": "error",
        "error": {"kind": "parse", "flag": "sample_parse_error", "message": "PLACEHOLDER", "grader": "g"},
        "errors": [],
        "sub_rewards": {},
        "metadata": {},
        "duration_ms": 1.0,
        "token_usage": None,
        "grader": {"name": "g", "type": "string_check"},
    }
    (run / "grades.jsonl").write_text(json.dumps(grade_record).replace("PLACEHOLDER", "bad \\ud800") + "\n")
    assert "\\ud800" in (run / "grades.jsonl").read_text()
    result = rft("report", run, cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("report.html", "report.md", "report.json"):
        (run / name).read_bytes().decode("utf-8")
    json.loads((run / "report.json").read_text(encoding="utf-8"))
