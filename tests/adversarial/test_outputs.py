"""Output files through the real CLI: one writer at a time, never an input, devices and pipes written without being
read back, and a clear error (no traceback) for an output that cannot be written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from rft_kit.io.jsonl import JsonlWriter

from .cli import REPO, no_traceback, rft, strict_jsonl, write_jsonl

EXACT = REPO / "graders" / "exact_answer.yaml"


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    n = 20_000
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": f"q{i}", "answer": str(i)} for i in range(n)])
    samples = write_jsonl(tmp_path / "samples.jsonl", [str(i) for i in range(n)])
    return items, samples


def test_a_second_writer_of_the_same_output_fails_clearly(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    items, samples = inputs
    out = tmp_path / "grades.jsonl"
    with JsonlWriter(out):  # another process's writer, as far as the file lock goes
        result = rft("grade", EXACT, "-s", samples, "-i", items, "-o", out, "-w", "1", cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2 and "another process is writing this output" in result.stderr
    assert out.read_text() == ""


def test_two_grade_processes_on_one_output_never_write_a_key_twice(tmp_path: Path) -> None:
    n = 100_000
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": f"q{i}", "answer": str(i)} for i in range(n)])
    samples = write_jsonl(tmp_path / "samples.jsonl", [str(i) for i in range(n)])
    # The first process reads its samples from a pipe this test feeds, so it is certainly still running (and holding
    # the output) when the second starts, however fast the machine grades.
    fifo = tmp_path / "samples.fifo"
    os.mkfifo(fifo)
    out = tmp_path / "grades.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO), "RFT_KIT_CACHE": str(tmp_path / ".cache")}
    base = [sys.executable, "-m", "rft_kit", "grade", str(EXACT), "-i", str(items), "-o", str(out), "-w", "1"]
    base += ["--batch-size", "8"]
    first = subprocess.Popen(
        [*base, "-s", str(fifo)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines = samples.read_text(encoding="utf-8").splitlines(keepends=True)
    with fifo.open("w", encoding="utf-8") as feed:
        feed.writelines(lines[: n // 2])
        feed.flush()
        deadline = time.monotonic() + 120
        while (not out.exists() or out.stat().st_size == 0) and time.monotonic() < deadline:
            time.sleep(0.05)  # the first is writing: the second starts while it holds the file
        second = subprocess.run([*base, "-s", str(samples)], env=env, capture_output=True, text=True, timeout=300)
        assert first.poll() is None, "the first process must still be waiting for its input"
        feed.writelines(lines[n // 2 :])
    first_code = first.wait(timeout=300)
    assert first.stderr is not None
    first_err = first.stderr.read()
    assert first_code == 0, first_err[-3000:]
    no_traceback(second)
    assert second.returncode == 2 and "another process is writing this output" in second.stderr, second.stderr
    keys = Counter(record["key"] for record in strict_jsonl(out))
    assert len(keys) == n and max(keys.values()) == 1


@pytest.mark.parametrize("how", ["same path", "symlink", "hardlink"])
@pytest.mark.parametrize("which", ["--items", "--samples"])
def test_an_output_that_is_an_input_is_refused(tmp_path: Path, inputs: tuple[Path, Path], how: str, which: str) -> None:
    items, samples = inputs
    target = items if which == "--items" else samples
    before = target.read_bytes()
    out = target
    if how == "symlink":
        out = tmp_path / "link.jsonl"
        out.symlink_to(target)
    elif how == "hardlink":
        out = tmp_path / "hard.jsonl"
        os.link(target, out)
    result = rft("grade", EXACT, "-s", samples, "-i", items, "-o", out, cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2 and f"the output is the {which} file" in result.stderr, result.stderr
    assert target.read_bytes() == before


def test_sample_refuses_an_output_that_is_its_items(tmp_path: Path) -> None:
    items = write_jsonl(tmp_path / "items.jsonl", [{"id": "q1", "messages": [{"role": "user", "content": "hi"}]}])
    before = items.read_bytes()
    result = rft(
        "sample", items, "-o", items, "--model", "sim-base", "--base-url", "http://127.0.0.1:9/v1", cwd=tmp_path
    )
    no_traceback(result)
    assert result.returncode != 0 and "the output is the items file" in result.stderr, result.stderr
    assert items.read_bytes() == before


def test_dev_full_is_a_clear_error_not_an_endless_read(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    items, samples = inputs
    start = time.monotonic()
    result = rft("grade", EXACT, "-s", samples, "-i", items, "-o", "/dev/full", "-w", "1", cwd=tmp_path, timeout=120)
    no_traceback(result)
    assert result.returncode == 2 and "No space left on device" in result.stderr, result.stderr
    assert time.monotonic() - start < 60


def test_dev_stdout_into_head_ends(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    items, samples = inputs
    env = {**os.environ, "PYTHONPATH": str(REPO), "RFT_KIT_CACHE": str(tmp_path / ".cache")}
    pipeline = f"{sys.executable} -m rft_kit grade {EXACT} -s {samples} -i {items} -o /dev/stdout -w 1 | head -n 3"
    result = subprocess.run(["bash", "-c", pipeline], env=env, capture_output=True, text=True, timeout=120)
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(json.loads(line)["status"] == "scored" for line in lines)
    no_traceback(result)


@pytest.mark.parametrize("where", ["not-a-dir", "proc"])
def test_an_unwritable_output_is_a_clear_error(tmp_path: Path, inputs: tuple[Path, Path], where: str) -> None:
    items, samples = inputs
    out = items / "grades.jsonl" if where == "not-a-dir" else Path("/proc/rft-kit-nowhere/grades.jsonl")
    result = rft("grade", EXACT, "-s", samples, "-i", items, "-o", out, cwd=tmp_path)
    no_traceback(result)
    assert result.returncode == 2 and "cannot write the output" in result.stderr, result.stderr


def test_the_lock_is_released_when_a_writer_closes(tmp_path: Path) -> None:
    from rft_kit.io.output import OutputBusy

    out = tmp_path / "x.jsonl"
    with JsonlWriter(out) as writer:
        writer.write({"a": 1})
        with pytest.raises(OutputBusy):
            JsonlWriter(out)
    with JsonlWriter(out) as again:
        again.write({"a": 2})
    assert [r["a"] for r in strict_jsonl(out)] == [1, 2]


def test_an_unwritable_summary_json_is_a_clear_error(tmp_path: Path, inputs: tuple[Path, Path]) -> None:
    items, samples = inputs
    out = tmp_path / "grades.jsonl"
    result = rft(
        "grade", EXACT, "-s", samples, "-i", items, "-o", out, "--summary-json", items / "s.json", cwd=tmp_path
    )
    no_traceback(result)
    assert result.returncode == 2 and "cannot write the summary" in result.stderr, result.stderr
    assert len(strict_jsonl(out)) == 20_000  # the grades themselves are all written


def test_samples_from_a_pipe_are_graded_not_consumed_by_the_progress_count(
    tmp_path: Path, inputs: tuple[Path, Path]
) -> None:
    items, samples = inputs
    out = tmp_path / "grades.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO), "RFT_KIT_CACHE": str(tmp_path / ".cache")}
    command = f"{sys.executable} -m rft_kit grade {EXACT} -s <(cat {samples}) -i {items} -o {out} -w 1"
    result = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(strict_jsonl(out)) == 20_000


def test_an_endless_line_is_skipped_with_bounded_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rft_kit.io import jsonl

    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 4096)
    path = tmp_path / "samples.jsonl"
    path.write_bytes(b'"ok"\n"' + b"x" * 100_000 + b'"\n"after"\n')
    lines = list(jsonl.iter_jsonl(path))
    assert [ln.value for ln in lines if ln.error is None] == ["ok", "after"]
    (bad,) = [ln for ln in lines if ln.error is not None]
    assert bad.number == 2 and "longer than" in str(bad.error)
    assert [ln.number for ln in lines] == [1, 2, 3]
