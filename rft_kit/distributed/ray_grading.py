"""``rft grade --executor ray``: chunks of samples graded by long-lived actors on every node of a Ray cluster.

The driver (:func:`rft_kit.grade`) reads the input, skips what the output already holds and writes every finished
chunk through the same writer as a local run; only grading happens on the cluster (:mod:`.dispatch` streams the
chunks). This module knows nothing of the grading engine's records: :mod:`rft_kit.grading` hands it the chunks as
rows (tuples whose first four fields are ``key, item_id, sample_index, line``) and the function that grades a list of
rows into records, which reaches the actors by reference (the layers stay acyclic). Per node:

* sandboxed and model graders (``parallel_inside``): ONE actor per node. It sizes its sandbox pool to the node's CPUs
  (``RFT_KIT_SANDBOX_WORKERS``, unless set) and warms it before taking work, so ``python`` and ``code_tests`` keep
  their isolation and warm start on every node; the pool lives as long as the actor (the whole run).
* other CPU graders: one actor per CPU of the node, each grading its chunk in its own process.

Judge graders: ``rft_options.concurrency`` is the limit for the whole CLUSTER, not per worker: each of the N actors
gets ``max(1, concurrency // N)`` (so at most ``max(concurrency, N)`` calls are in flight in total). The reply cache
path is made absolute on the driver, so actors that share its filesystem share one cache file.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..graders.base import Grader
from ..graders.judge_base import JudgeGrader
from ..graders.loading import build_grader
from ..graders.python_grader import _walk, uses_sandbox
from ..records import GradeError, GradeResult
from . import ExecutionReport
from .dispatch import run_chunks
from .ray_cluster import NodeSlot, ray_session

__all__ = ["GradeActor", "grade_isolated", "grade_on_ray", "split_judge_concurrency"]


def split_judge_concurrency(config: Mapping[str, Any], judge_types: set[str], actors: int) -> dict[str, Any]:
    """``config`` with every judge's ``rft_options.concurrency`` divided among ``actors`` (and cache paths absolute)."""
    out = copy.deepcopy(dict(config))

    def visit(node: dict[str, Any]) -> None:
        if node.get("type") in judge_types:
            options = dict(node.get("rft_options") or {})
            total = int(options.get("concurrency", 16))
            options["concurrency"] = max(1, total // max(1, actors))
            if isinstance(options.get("cache_path"), str):
                options["cache_path"] = str(Path(options["cache_path"]).resolve())
            node["rft_options"] = options
        subs = node.get("graders")
        if isinstance(subs, dict):
            for sub in subs.values():
                if isinstance(sub, dict):
                    visit(sub)

    visit(out)
    return out


GradeRows = Callable[[Grader, Sequence[tuple[Any, ...]]], list[dict[str, Any]]]
"""Grades rows into records, in order (:func:`rft_kit.grading._grade_rows`)."""


def grade_isolated(grader: Grader, rows: Sequence[tuple[Any, ...]], grade_rows: GradeRows) -> list[dict[str, Any]]:
    """Grade a chunk; if the batch call raises, grade each record alone so one bad record is one error record."""
    try:
        return grade_rows(grader, rows)
    except Exception:
        out: list[dict[str, Any]] = []
        for row in rows:
            try:
                out.extend(grade_rows(grader, [row]))
            except Exception as exc:
                result = GradeResult.failed(
                    GradeError("internal", "other_error", f"grading raised {type(exc).__name__}: {exc}", grader.name)
                )
                key, item_id, sample_index, line = row[:4]
                record = {"key": key, "item_id": item_id, "sample_index": sample_index, "line": line}
                record.update(result.to_dict())
                out.append(record)
        return out


class GradeActor:
    """A Ray actor holding one grader (and, for sandboxed graders, this node's warm sandbox pool)."""

    def __init__(self, config: dict[str, Any], sandbox_workers: int | None, grade_rows: GradeRows) -> None:
        import ray

        self.grade_rows = grade_rows
        if sandbox_workers is not None:
            os.environ.setdefault("RFT_KIT_SANDBOX_WORKERS", str(sandbox_workers))
        self.grader = build_grader(config)
        self.node_id: str = ray.get_runtime_context().get_node_id()
        self.sandbox_workers = 0
        if uses_sandbox(self.grader):
            from ..sandbox import get_sandbox

            sandbox = get_sandbox()
            sandbox.warm_up()
            self.sandbox_workers = sandbox.workers

    def ready(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "pid": os.getpid(), "sandbox_workers": self.sandbox_workers}

    def run(self, rows: Sequence[tuple[Any, ...]]) -> tuple[str, list[dict[str, Any]]]:
        return self.node_id, grade_isolated(self.grader, rows, self.grade_rows)


def grade_on_ray(
    grader: Grader,
    rows: Iterator[list[tuple[Any, ...]]],
    grade_rows: GradeRows,
    emit: Callable[[list[dict[str, Any]]], None],
    report: ExecutionReport,
    *,
    address: str | None,
    max_retries: int,
) -> None:
    """Grade every chunk of rows on the cluster at ``address``; ``emit`` gets each chunk's records as it finishes."""
    config = grader.to_config()
    judge_types = {g.type for g in _walk(grader) if isinstance(g, JudgeGrader)}
    sandboxed = uses_sandbox(grader)

    def per_node(node: NodeSlot) -> int:
        return 1 if grader.parallel_inside else node.cpus

    def args(node: NodeSlot, total: int) -> tuple[Any, ...]:
        return split_judge_concurrency(config, judge_types, total), node.cpus if sandboxed else None, grade_rows

    with ray_session(address) as (used, started):
        report.executor = "ray"
        report.address = used
        report.started_cluster = started
        run_chunks(
            rows,
            actor_cls=GradeActor,
            actors_per_node=per_node,
            actor_args=args,
            on_result=lambda _chunk, records: emit(records),
            report=report,
            max_retries=max_retries,
        )
