"""Hostile input documents and records: alias bombs, duplicate keys, unknown pipeline keys, id-less samples among
id-joined ones, and task-set sizes that would hold everything in memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rft_kit.errors import ConfigError
from rft_kit.grading import grade
from rft_kit.runs.config import load_pipeline

from .cli import REPO, no_traceback, rft, write_jsonl

EXACT = REPO / "graders" / "exact_answer.yaml"

BILLION_LAUGHS = """\
type: string_check
name: lol
input: "{{sample.output_text}}"
reference: "{{item.answer}}"
operation: eq
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_a_yaml_alias_bomb_is_refused_quickly_with_its_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BILLION_LAUGHS)
    assert bomb.stat().st_size < 1024
    start = time.monotonic()
    result = rft("grader", "validate", bomb, cwd=tmp_path, timeout=60)
    no_traceback(result)
    assert result.returncode == 2, result.stderr
    assert "expands through YAML aliases" in result.stderr and "bomb.yaml" in result.stderr
    assert "bomb.yaml: line 11:" in " ".join(result.stderr.split())  # f: the first level past the budget
    assert time.monotonic() - start < 30


def test_aliases_within_the_budget_still_load(tmp_path: Path) -> None:
    from rft_kit.config.files import read_document

    ok = tmp_path / "ok.yaml"
    ok.write_text("base: &b {x: 1, y: [1, 2, 3]}\none: *b\ntwo: *b\n")
    value, _ = read_document(ok)
    assert value["one"] == value["two"] == {"x": 1, "y": [1, 2, 3]}


def test_duplicate_yaml_keys_name_both_lines(tmp_path: Path) -> None:
    grader = tmp_path / "dup.yaml"
    grader.write_text(
        'type: string_check\nname: d\ninput: "{{sample.output_text}}"\nreference: "{{item.answer}}"\n'
        "operation: eq\noperation: ne\n"
    )
    result = rft("grader", "validate", grader, cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "duplicate key 'operation'" in message and "line 6" in message and "first at line 5" in message


def test_duplicate_json_keys_name_both_lines(tmp_path: Path) -> None:
    grader = tmp_path / "dup.json"
    grader.write_text(
        '{\n "type": "string_check",\n "name": "d",\n "input": "{{sample.output_text}}",\n'
        ' "reference": "{{item.answer}}",\n "operation": "eq",\n "operation": "ne"\n}\n'
    )
    result = rft("grader", "validate", grader, cwd=tmp_path)
    no_traceback(result)
    message = " ".join(result.stderr.split())
    assert result.returncode == 2 and "duplicate key 'operation'" in message and "line 7" in message, message


def test_duplicate_keys_in_a_nested_mapping_and_yaml_merge_keys(tmp_path: Path) -> None:
    from rft_kit.config.files import read_document

    nested = tmp_path / "nested.yaml"
    nested.write_text("a:\n  b: 1\n  c: 2\n  b: 3\n")
    with pytest.raises(ConfigError, match=r"line 4: duplicate key 'b' \(first at line 2\)"):
        read_document(nested)
    merged = tmp_path / "merged.yaml"
    merged.write_text("base: &b {x: 1}\nuse:\n  <<: *b\n  x: 2\n")  # an explicit key over a merged one is YAML
    assert read_document(merged)[0]["use"] == {"x": 2}


def test_a_pipeline_with_an_unknown_top_level_key_is_refused(tmp_path: Path) -> None:
    pipeline = tmp_path / "run.yaml"
    pipeline.write_text("name: r\ntasks: {template: arithmetic_word, n: 2}\nmodel: sim-base\ngraders: other.yaml\n")
    with pytest.raises(ConfigError) as caught:
        load_pipeline(pipeline)
    message = str(caught.value)
    assert "unknown key 'graders'" in message and "known: name, tasks, model, grader, baseline" in message
    assert "run.yaml" in message


def test_a_pipeline_with_duplicate_keys_is_refused(tmp_path: Path) -> None:
    pipeline = tmp_path / "run.yaml"
    pipeline.write_text("name: r\ntasks: {template: arithmetic_word, n: 2}\nmodel: sim-base\nname: s\n")
    with pytest.raises(ConfigError, match="duplicate key 'name'"):
        load_pipeline(pipeline)


def test_a_sample_without_an_id_among_id_joined_samples_is_an_input_error(tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "answer": "1"}, {"id": "b", "answer": "2"}])
    samples = write_jsonl(
        tmp_path / "samples.jsonl",
        [
            {"item_id": "b", "sample_index": 0, "output_text": "2"},
            {"output_text": "1"},  # no item_id: pairing it by position would make it a#0 or b#0
            {"item_id": "a", "sample_index": 0, "output_text": "1"},
        ],
    )
    summary = grade(EXACT, samples, items, output=tmp_path / "grades.jsonl", workers=1)
    assert summary.graded == 2 and summary.input_error_count == 1
    assert "has no item_id" in str(summary.input_errors[0]) and ":2:" in str(summary.input_errors[0])


def test_two_lines_claiming_one_sample_are_reported_not_skipped_silently(tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "a", "answer": "1"}, {"id": "b", "answer": "2"}])
    samples = write_jsonl(
        tmp_path / "samples.jsonl",
        [{"output_text": "1"}, {"item_id": "a", "sample_index": 0, "output_text": "0"}],
    )
    summary = grade(EXACT, samples, items, output=tmp_path / "grades.jsonl", workers=1)
    assert summary.graded == 1 and summary.input_error_count == 1
    message = str(summary.input_errors[0])
    assert "'a#0' is also on line 1" in message and ":2:" in message


def test_generate_refuses_an_absurd_n() -> None:
    result = rft("generate", "arithmetic_word", "-n", "100000000000000000000", "-q", cwd=Path.cwd())
    no_traceback(result)
    assert result.returncode == 2 and "-n must be between 0 and" in result.stderr, result.stderr


def test_generate_streams_to_disk_as_it_draws(tmp_path: Path) -> None:
    out = tmp_path / "tasks.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "rft_kit", "generate", "arithmetic_word", "-n", "3000000", "-o", str(out), "-q"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        lines = 0
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            if out.exists():
                lines = out.read_bytes().count(b"\n")
                if lines >= 2000:
                    break
        assert lines >= 2000, "nothing reached the disk while 3,000,000 items were being drawn"
    finally:
        proc.kill()
        proc.wait()


def test_generate_into_a_file_another_process_writes_fails_clearly(tmp_path: Path) -> None:
    from rft_kit.io.jsonl import JsonlWriter

    out = tmp_path / "tasks.jsonl"
    with JsonlWriter(out) as other:
        other.write({"kept": True})
        result = rft("generate", "arithmetic_word", "-n", "5", "-o", out, "-q", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2 and "another process is writing this output" in result.stderr, result.stderr
    assert out.read_text() == '{"kept": true}\n'  # not emptied before the lock was held
