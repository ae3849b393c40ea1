"""The Ray executor's pieces that need no cluster: per-record isolation inside a chunk, the cluster-wide judge
limit, the execution report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rft_kit.distributed import ExecutionReport, check_executor
from rft_kit.distributed.ray_grading import grade_isolated, split_judge_concurrency
from rft_kit.graders.loading import build_grader
from rft_kit.grading import _grade_rows, _records, _row, _Task

EQ = {
    "type": "string_check",
    "name": "eq",
    "input": "{{sample.output_text}}",
    "reference": "{{item.a}}",
    "operation": "eq",
}


def _tasks(outputs: list[str]) -> list[_Task]:
    return [_Task(f"k{i}", f"k{i}", 0, i + 1, out, {"id": f"k{i}", "a": "yes"}) for i, out in enumerate(outputs)]


def test_one_record_that_raises_is_one_error_record_and_the_chunk_is_graded():
    grader = build_grader(EQ)
    plain_grade = grader.grade

    def grade(sample: Any, item: Any = None) -> Any:
        if sample == "boom":
            raise RuntimeError("a grader bug on this record")
        return plain_grade(sample, item)

    def grade_batch(samples: Any, items: Any) -> Any:
        return [grade(s, i) for s, i in zip(samples, items, strict=True)]

    grader.grade = grade  # type: ignore[method-assign]
    grader.grade_batch = grade_batch  # type: ignore[method-assign]
    tasks = _tasks(["yes", "no", "boom", "yes"])
    with pytest.raises(RuntimeError):
        _records(grader, tasks)  # what a chunk would do without isolation
    records = grade_isolated(grader, [_row(t) for t in tasks], _grade_rows)
    assert [r["key"] for r in records] == ["k0", "k1", "k2", "k3"]
    assert [r["reward"] for r in records] == [1.0, 0.0, 0.0, 1.0]
    assert [r["status"] for r in records] == ["scored", "scored", "error", "scored"]
    assert records[2]["error"]["kind"] == "internal"
    assert "a grader bug on this record" in records[2]["error"]["message"]
    assert records[2]["line"] == 3


def _judge(concurrency: int | None, cache_path: str | None = None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if concurrency is not None:
        options["concurrency"] = concurrency
    if cache_path is not None:
        options["cache_path"] = cache_path
    return {"type": "score_model", "name": "j", "model": "m", "input": [], "rft_options": options}


@given(st.integers(1, 500), st.integers(1, 128))
def test_judge_concurrency_is_a_cluster_wide_limit(concurrency, actors):
    config = {"type": "multi", "graders": {"a": _judge(concurrency), "b": EQ}, "calculate_output": "a"}
    out = split_judge_concurrency(config, {"score_model"}, actors)
    per_actor = out["graders"]["a"]["rft_options"]["concurrency"]
    assert per_actor >= 1
    assert per_actor * actors <= max(concurrency, actors)
    assert per_actor * actors > concurrency - actors  # not needlessly low
    assert out["graders"]["b"] == EQ  # other graders untouched
    assert config["graders"]["a"]["rft_options"]["concurrency"] == concurrency  # the input is not changed


def test_judge_default_concurrency_is_divided_and_cache_path_made_absolute():
    out = split_judge_concurrency(_judge(None, "cache/j.sqlite"), {"score_model"}, 4)
    assert out["rft_options"]["concurrency"] == 4  # the default 16 over 4 actors
    assert out["rft_options"]["cache_path"] == str(Path("cache/j.sqlite").resolve())


def test_execution_report_says_where_it_ran():
    local = ExecutionReport()
    assert local.describe() == "local"
    assert local.to_dict() == {"executor": "local"}
    ray = ExecutionReport(executor="ray", actors=2, tasks=10, retried=1, lost_actors=1)
    ray.chunks_by_node.update({"node-a": 6, "node-b": 4})
    assert ray.nodes == 2
    assert ray.describe() == "ray: 10 tasks on 2 node(s), 2 actor(s), 1 retried, 1 actor(s) lost"
    assert ray.to_dict()["chunks_by_node"] == {"node-a": 6, "node-b": 4}
    with pytest.raises(ValueError, match="'local' or 'ray'"):
        check_executor("dask")
