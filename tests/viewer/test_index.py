"""The run index over files that are still being written: new records appear, a torn last line waits for its end,
a replaced file starts the index over, and a writer in another process is followed while it writes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rft_kit.viewer.app import create_app
from rft_kit.viewer.index import RunIndex
from rft_kit.viewer.tail import JsonlTail

from .runs import grade, write_run


def _line(record: dict[str, object]) -> bytes:
    return (json.dumps(record) + "\n").encode()


def test_tail_returns_complete_lines_only_and_resumes_a_torn_one(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    tail = JsonlTail(path)
    assert tail.read_new().records == []  # no file yet
    whole = _line({"a": 1})
    path.write_bytes(whole + b'{"a": 2, "b": "half')
    batch = tail.read_new()
    assert [v for _, v in batch.records] == [{"a": 1}] and batch.bad_lines == 0
    assert tail.offset == len(whole)
    with open(path, "ab") as handle:
        handle.write(b' written"}\n\n{broken\n')
    batch = tail.read_new()
    assert [v for _, v in batch.records] == [{"a": 2, "b": "half written"}]
    assert batch.bad_lines == 1  # a complete line that is not JSON is counted, not fatal
    assert batch.records[0][0] == len(whole)  # the byte offset of the record's line
    assert tail.read_new().records == []


def test_tail_notices_a_replaced_or_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(_line({"n": 1}) + _line({"n": 2}))
    tail = JsonlTail(path)
    assert len(tail.read_new().records) == 2
    replacement = tmp_path / "x.tmp"
    replacement.write_bytes(_line({"n": 10}))
    replacement.replace(path)  # a stage redone: new file, new inode
    batch = tail.read_new()
    assert batch.reset and [v for _, v in batch.records] == [{"n": 10}]
    path.write_bytes(b"")  # truncated in place
    assert tail.read_new().reset
    path.write_bytes(_line({"n": 20}) + _line({"n": 21}) + _line({"n": 22}))
    assert [v["n"] for _, v in tail.read_new().records] == [20, 21, 22]
    # same inode, grown past the old offset, but different content from the start: rewritten under us
    path.write_bytes(_line({"n": 30}) + _line({"n": 31}) + _line({"n": 32}) + _line({"n": 33}))
    batch = tail.read_new()
    assert batch.reset and [v["n"] for _, v in batch.records] == [30, 31, 32, 33]


def test_index_grows_with_the_files_and_a_regrade_replaces_the_row(tmp_path: Path) -> None:
    folder = write_run(
        tmp_path / "run",
        tasks=[{"id": "a", "messages": [], "metadata": {"difficulty": "easy"}}],
        samples=[{"item_id": "a", "sample_index": 0, "output_text": "hello"}],
        grades=[],
    )
    index = RunIndex(folder)
    index.refresh()
    snap = index.snapshot()
    assert snap.size == 1 and snap.status.tolist() == [0]  # sampled, not graded yet
    with open(folder / "grades.jsonl", "ab") as handle:
        handle.write(_line(grade("a", 0, 0.0, sub_rewards={"s": 0.0})))
        handle.write(b'{"item_id": "a", "sample_index": 1, "reward"')  # a writer mid-line
    assert index.refresh()
    snap = index.snapshot()
    assert snap.size == 1 and snap.status.tolist() == [1] and snap.reward.tolist() == [0.0]
    assert index.bad_lines["grades"] == 0
    with open(folder / "grades.jsonl", "ab") as handle:
        handle.write(b': 1.0, "status": "scored"}\n')
        handle.write(_line(grade("a", 0, 1.0)))  # re-graded: the later record wins, its old sub-reward goes
    index.refresh()
    snap = index.snapshot()
    assert snap.size == 2
    assert snap.reward.tolist() == [1.0, 1.0] and snap.passed.tolist() == [True, True]
    assert index.snapshot() is snap  # nothing changed: the cached snapshot
    assert not index.refresh()
    assert snap.subs["s"].tolist()[0] != snap.subs["s"].tolist()[0]  # NaN: the re-grade had no sub-reward


def test_the_api_follows_a_grader_writing_in_another_process(tmp_path: Path) -> None:
    """A real writer process appends grades with flushes mid-record; every answer the API gives while it writes
    is consistent (only whole records, counts never going down) and the last one has every record."""
    folder = write_run(
        tmp_path / "runs" / "live",
        tasks=[{"id": f"i{n}", "messages": []} for n in range(40)],
        samples=[{"item_id": f"i{n}", "sample_index": 0, "output_text": f"out {n}"} for n in range(40)],
        grades=[],
    )
    writer = textwrap.dedent(
        f"""
        import json, time
        with open({str(folder / "grades.jsonl")!r}, "a") as handle:
            for n in range(40):
                line = json.dumps({{"item_id": f"i{{n}}", "sample_index": 0, "reward": n % 2, "status": "scored"}})
                handle.write(line[:10]); handle.flush(); time.sleep(0.005)  # torn for a moment
                handle.write(line[10:] + "\\n"); handle.flush(); time.sleep(0.005)
        """
    )
    client = TestClient(create_app(tmp_path / "runs"), base_url="http://127.0.0.1")
    process = subprocess.Popen([sys.executable, "-c", writer])
    seen = []
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            data = client.get("/api/runs/live/samples?status=scored&per_page=500").json()
            assert all(row["reward"] in (0.0, 1.0) for row in data["rows"])
            seen.append(data["total"])
            time.sleep(0.01)
    finally:
        process.wait(timeout=30)
    assert process.returncode == 0
    final = client.get("/api/runs/live/samples?status=scored&per_page=500").json()
    assert final["total"] == 40
    assert client.get("/api/runs/live").json()["indexed"]["unreadable_lines"]["grades"] == 0
    assert seen == sorted(seen), "the scored count went down while the writer appended"
    assert len(set(seen)) > 1, "the API never saw the file between its first and last record"


def test_text_search_sees_records_appended_after_the_first_search(tmp_path: Path) -> None:
    folder = write_run(
        tmp_path / "run",
        tasks=[{"id": "a", "messages": [{"role": "user", "content": "Name an ANIMAL"}]}],
        samples=[{"item_id": "a", "sample_index": 0, "output_text": "a zebra"}],
        grades=[],
    )
    index = RunIndex(folder)
    index.refresh()
    assert index.search("zebra").tolist() == [True]
    assert index.search("animal").tolist() == [True]  # the prompt, case-insensitively
    assert index.search("okapi").tolist() == [False]
    with open(folder / "samples.jsonl", "ab") as handle:
        handle.write(_line({"item_id": "b", "sample_index": 0, "output_text": "an Okapi"}))
    with open(folder / "grades.jsonl", "ab") as handle:
        error = {"kind": "parse", "flag": "sample_parse_error", "message": "no JSON in the Output"}
        handle.write(_line(grade("a", 0, 0.0, status="error", error=error)))
    index.refresh()
    assert index.search("okapi").tolist() == [False, True]
    assert index.search("no json").tolist() == [True, False]
    assert index.search("animal").tolist() == [True, False]


def test_the_api_follows_a_real_rft_grade(runs_dir: Path) -> None:
    """``rft grade`` in its own process writes grades.jsonl of a run folder while the API is asked about it."""
    import os

    source = runs_dir / "demo-strong"
    folder = runs_dir / "grading"
    folder.mkdir()
    (folder / "tasks.jsonl").write_text((source / "tasks.jsonl").read_text())
    samples = [json.loads(line) for line in (source / "samples.jsonl").read_text().splitlines()]
    rows = [s | {"sample_index": s["sample_index"] + 4 * copy} for copy in range(40) for s in samples]  # 4,800
    (folder / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = json.loads((source / "run.json").read_text())["grader"]["config"]
    (folder / "run.json").write_text(json.dumps({"name": "grading", "grader": {"config": config}}))
    grader = folder.parent.parent / "grader.json"
    grader.write_text(json.dumps(config))
    client = TestClient(create_app(runs_dir), base_url="http://127.0.0.1")
    assert client.get("/api/runs/grading/samples?status=ungraded").json()["total"] == len(rows)
    command = [sys.executable, "-m", "rft_kit", "grade", str(grader), "--samples", str(folder / "samples.jsonl")]
    command += ["--items", str(folder / "tasks.jsonl"), "-o", str(folder / "grades.jsonl"), "--batch-size", "64"]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.DEVNULL)
    seen = []
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            data = client.get("/api/runs/grading/samples?status=ungraded&per_page=1").json()
            seen.append(len(rows) - data["total"])
            time.sleep(0.02)
    finally:
        process.wait(timeout=60)
    assert process.returncode == 0
    graded = client.get("/api/runs/grading/samples?status=ungraded").json()["total"]
    assert graded == 0
    assert seen == sorted(seen), "the graded count went down while rft grade wrote"
    print("graded counts seen while rft grade ran:", sorted(set(seen)))
    detail = client.get("/api/runs/grading").json()
    assert detail["indexed"]["unreadable_lines"]["grades"] == 0
    statuses = detail["facets"]["status"]
    assert statuses["passed"] + statuses["failed"] + statuses["errored"] == len(rows)


_LINES = [
    b'{"item_id": "a", "sample_index": 0, "reward": 1.0, "status": "scored", "sub_rewards": {"x": 1.0}}',
    b'{"item_id": "b", "sample_index": 1, "reward": 0.5, "sub_rewards": {"x": 0.5, "y": 0.0}}',
    b'{"item_id": 7, "reward": 0}',
    b'{"item_id": "c", "reward": NaN}',  # only json reads it
    b'{"item_id": "d", "reward": 1.0, "sub_rewards": {"x": null}}',  # not a grade: unreadable
    b'{"item_id": "e", "reward": 1.0} {"item_id": "f", "reward": 1.0}',  # two values on one line: unreadable
    b'{"item_id": "g", "reward": 1.0}\r',
    b"",
    b"   ",
    b"{not json}",
    b'{"item_id": "h", "reward": 1.0, "sub_rewards": {"not an identifier": 1.0, "class": 2.0}}',
    b'{"item_id": "i", "reward": 1.0, "status": "error", "error": {"kind": "parse", "message": "m"}}',
]


@given(st.lists(st.sampled_from(_LINES), max_size=30), st.integers(min_value=0, max_value=30))
def test_block_decoding_reads_what_line_by_line_reads(lines: list[bytes], torn: int) -> None:
    """A block decoded at once (formats.py, tail.py) gives the records, offsets and unreadable-line count that
    decoding each line gives, whatever mix of clean and odd lines the file holds."""
    import tempfile

    from rft_kit.viewer.formats import FORMATS, sub_names

    data = b"".join(line + b"\n" for line in lines) + b'{"item_id": "torn"'[:torn]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grades.jsonl"
        path.write_bytes(data)
        grades = FORMATS()["grades"]
        one, many = JsonlTail(path).read_new(grades.line), JsonlTail(path).read_new(grades.line, grades.lines)

    def plain(value: object) -> str:
        subs = getattr(value, "sub_rewards", None)
        subs = {name: getattr(subs, name) if not isinstance(subs, dict) else subs[name] for name in sub_names(subs)}
        subs = {k: v for k, v in subs.items() if v == v}  # a learnt struct holds NaN for a missing name
        fields = ("item_id", "sample_index", "reward", "status", "error")
        return repr((*(getattr(value, name) for name in fields), subs or None))  # repr: NaN equals NaN

    assert one.offsets.tolist() == many.offsets.tolist()
    assert [plain(v) for v in one.values] == [plain(v) for v in many.values]
    assert one.bad_lines == many.bad_lines


_SUB_NAMES = st.sampled_from(["x", "y", "class", "not an id", "z"])
_GRADES = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=0, max_value=1),
        st.dictionaries(_SUB_NAMES, st.sampled_from([0.0, 0.5, 1.0]), max_size=3),
        st.booleans(),  # errored
    ),
    max_size=16,
)


@given(_GRADES, st.lists(st.integers(min_value=0, max_value=16), max_size=3))
def test_grade_columns_equal_the_last_grade_of_each_sample(grades: list[Any], cuts: list[int]) -> None:
    """Grades appended in batches (the block decoder learns sub-grader names, meets new ones, falls back to dicts
    for names that cannot be struct fields): each row holds its last grade's reward, status and sub-rewards, NaN
    for a sub-grader that grade did not report."""
    import math
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grades.jsonl"
        path.touch()
        index = RunIndex(folder)
        bounds = sorted({0, len(grades), *(min(cut, len(grades)) for cut in cuts)})
        for start, end in pairwise(bounds):
            with open(path, "a") as handle:
                for item, i, subs, errored in grades[start:end]:
                    error = {"kind": "parse", "message": "m"} if errored else None
                    status = "error" if errored else "scored"
                    record = grade(item, i, 0.0 if errored else 1.0, sub_rewards=subs, status=status, error=error)
                    handle.write(json.dumps(record) + "\n")
            index.refresh()
        last = {(item, i): (subs, errored) for item, i, subs, errored in grades}
        snap = index.snapshot()
        assert set(snap.subs) == {name for _, _, subs, _ in grades for name in subs}
        assert snap.size == len(last)
        for row in range(snap.size):
            key = (index.item_ids[int(snap.item[row])], int(snap.sample_index[row]))
            subs, errored = last[key]
            assert int(snap.status[row]) == (2 if errored else 1)
            assert float(snap.reward[row]) == (0.0 if errored else 1.0)
            got = {name: float(values[row]) for name, values in snap.subs.items() if not math.isnan(values[row])}
            assert got == subs
