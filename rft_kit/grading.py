"""Grade a stream of samples against their items: ``rft_kit.grade`` and the engine behind ``rft grade``.

Records are read lazily, graded in batches (in this process, or in a pool of worker processes for CPU-bound graders),
and each finished batch is appended to the output and flushed at once. Re-running with the same output resumes: the
grades already written are skipped, never redone or duplicated, and a torn last line from a killed run is cut first.
A malformed input line is reported with its file and line number and does not stop the other records.

How samples find their items (``join="auto"`` picks the first that fits each record):

* ``{"item": {...}, "sample": ...}`` records carry their item (the Evals JSONL shape);
* records with ``item_id`` are joined to the item whose ``id`` matches (``rft sample`` writes these);
* anything else (e.g. a plain JSON string per line) pairs the N-th sample with the N-th item.

A sample object without ``item_id`` after samples that join by ``item_id`` is an input error (pairing it by position
would give it another sample's key), and so is any line whose key (``item_id#sample_index``) an earlier line of the
same file already has: both are reported with the other line's number, never skipped silently.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .distributed import ExecutionReport, Executor, check_executor
from .errors import InputError
from .graders.base import Grader
from .graders.loading import build_grader, load_grader
from .graders.python_grader import SandboxedGrader, uses_sandbox
from .io.escape import escape_surrogates
from .io.jsonl import InputErrorLog, JsonlWriter, iter_jsonl, repair_tail
from .io.output import is_regular_file
from .records import GradeResult
from .sandbox import warm_up_in_background

__all__ = ["GradeSummary", "grade", "load_items"]

Join = Literal["auto", "id", "line", "embedded"]
PASS_TOLERANCE = 1e-9
# Below this many microseconds per sample, shipping records to worker processes costs more than it saves.
_POOL_BREAK_EVEN_US = 25.0


@dataclass
class GradeSummary(InputErrorLog):
    """What a grading run did; ``records`` holds the grades when no output file was given."""

    graded: int = 0
    skipped: int = 0
    scored: int = 0
    errored: int = 0
    passed: int = 0
    reward_sum: float = 0.0
    scored_reward_sum: float = 0.0
    pass_threshold: float = 1.0
    error_kinds: Counter[str] = field(default_factory=Counter)
    duration_s: float = 0.0
    execution: ExecutionReport = field(default_factory=ExecutionReport)
    workers: int = 1
    output: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    escaped_records: int = 0  # written with strings JSON/UTF-8 cannot carry escaped (noted on each record)

    @property
    def mean_reward(self) -> float:
        """Mean over every graded sample, errors counting 0 (what a trainer would see)."""
        return self.reward_sum / self.graded if self.graded else 0.0

    @property
    def mean_scored_reward(self) -> float:
        """Mean over samples that were scored (errors excluded)."""
        return self.scored_reward_sum / self.scored if self.scored else 0.0

    @property
    def pass_rate(self) -> float:
        """Share of scored samples with reward >= pass_threshold (errors are not failures; see error_rate)."""
        return self.passed / self.scored if self.scored else 0.0

    @property
    def error_rate(self) -> float:
        return self.errored / self.graded if self.graded else 0.0

    def add(self, record: Mapping[str, Any]) -> None:
        self.graded += 1
        reward = float(record["reward"])
        self.reward_sum += reward
        if record["status"] == "error":
            self.errored += 1
            self.error_kinds[(record.get("error") or {}).get("kind", "internal")] += 1
        else:
            self.scored += 1
            self.scored_reward_sum += reward
            # a tolerance: weights such as 0.3 + 0.4 + 0.3 sum to 0.9999999999999999, which must pass at 1.0
            if reward >= self.pass_threshold - PASS_TOLERANCE:
                self.passed += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "graded": self.graded,
            "skipped_already_graded": self.skipped,
            "scored": self.scored,
            "errored": self.errored,
            "mean_reward": self.mean_reward,
            "mean_scored_reward": self.mean_scored_reward,
            "pass_threshold": self.pass_threshold,
            "pass_rate": self.pass_rate,
            "error_rate": self.error_rate,
            "errors_by_kind": dict(self.error_kinds),
            "input_errors": self.input_error_count,
            "duration_s": round(self.duration_s, 3),
            "execution": self.execution.to_dict(),
            "workers": self.workers,
            "output": self.output,
            "escaped_records": self.escaped_records,
        }


@dataclass(slots=True)
class _Task:
    key: str
    item_id: str | None
    sample_index: int
    line: int
    sample: Any
    item: Mapping[str, Any]


def load_items(path: str | Path, summary: GradeSummary | None = None) -> tuple[dict[str, dict[str, Any]], list[Any]]:
    """Read an items JSONL file into ``(by_id, in_order)``; bad lines go to ``summary`` (or raise if none)."""
    by_id: dict[str, dict[str, Any]] = {}
    ordered: list[Any] = []
    for line in iter_jsonl(path):
        error = line.error
        if error is None and not isinstance(line.value, dict):
            error = InputError(
                f"an item must be a JSON object, got {type(line.value).__name__}",
                source=str(path),
                line=line.number,
            )
        if error is None and "id" in line.value and str(line.value["id"]) in by_id:
            error = InputError(
                f"duplicate item id {line.value['id']!r}; ids must be unique",
                source=str(path),
                line=line.number,
            )
        if error is not None:
            if summary is None:
                raise error
            summary.add_input_error(error)
            ordered.append(None)
            continue
        item = line.value
        ordered.append(item)
        if "id" in item:
            by_id[str(item["id"])] = item
    return by_id, ordered


def _key(item_id: str | None, sample_index: int, line: int) -> str:
    # Keys are compared with the keys read back from the output, where an unpaired surrogate was escaped.
    return escape_surrogates(f"{item_id}#{sample_index}")[0] if item_id is not None else f"line:{line}"


def _done_keys(output: Path) -> set[str]:
    done: set[str] = set()
    if not is_regular_file(output):
        return done
    repair_tail(output)
    for line in iter_jsonl(output):
        if line.error is None and isinstance(line.value, dict) and "key" in line.value:
            done.add(str(line.value["key"]))
    return done


def _tasks(
    samples: str | Path | Iterable[Any],
    items_by_id: Mapping[str, Mapping[str, Any]],
    items_ordered: Sequence[Any],
    join: Join,
    summary: GradeSummary,
    source: str,
) -> Iterator[_Task]:
    lines: Iterable[tuple[int, Any, InputError | None]]
    if isinstance(samples, str | Path):
        lines = ((ln.number, ln.value, ln.error) for ln in iter_jsonl(samples))
    else:
        lines = ((n, value, None) for n, value in enumerate(samples, start=1))
    position = 0
    id_joined_at: int | None = None  # the first sample joined by item_id, in auto mode
    for number, value, error in lines:
        position += 1
        if error is not None:
            summary.add_input_error(error)
            continue

        def bad(message: str, number: int = number) -> None:
            summary.add_input_error(InputError(message, source=source, line=number))

        mode = join
        if mode == "auto":
            if isinstance(value, dict) and "item" in value and "sample" in value:
                mode = "embedded"
            elif isinstance(value, dict) and value.get("item_id") is not None:
                mode = "id"
                id_joined_at = number if id_joined_at is None else id_joined_at
            elif isinstance(value, dict) and id_joined_at is not None:
                # Pairing it by position would give it the key of another item's sample (and skip that one).
                bad(
                    f"the sample has no item_id, but the samples in this file join by item_id (line {id_joined_at});"
                    " add its item_id"
                )
                continue
            else:
                mode = "line"
        sample_index = value.get("sample_index", 0) if isinstance(value, dict) else 0
        if not isinstance(sample_index, int) or isinstance(sample_index, bool):
            bad(f"sample_index must be an integer, got {sample_index!r}")
            continue
        if mode == "embedded":
            if not isinstance(value, dict) or not isinstance(value.get("item"), dict):
                bad('expected a record {"item": {...}, "sample": ...}')
                continue
            item = value["item"]
            sample = value["sample"]
            item_id = str(item["id"]) if "id" in item else None
            if isinstance(sample, dict):
                sample_index = sample.get("sample_index", sample_index)
            yield _Task(_key(item_id, sample_index, number), item_id, sample_index, number, sample, item)
        elif mode == "id":
            item_id = str(value.get("item_id")) if isinstance(value, dict) else None
            if item_id is None or item_id == "None":
                bad("the sample has no item_id to join on; add item_id, or grade with join='line'")
                continue
            found = items_by_id.get(item_id)
            if found is None:
                bad(f"no item with id {item_id!r} in the items file")
                continue
            yield _Task(_key(item_id, sample_index, number), item_id, sample_index, number, value, found)
        else:
            if position > len(items_ordered):
                bad(
                    f"sample #{position} has no item #{position} to pair with (the items file has {len(items_ordered)})"
                )
                continue
            paired = items_ordered[position - 1]
            if paired is None:
                bad(f"item #{position} (its pair) was malformed; fix the items file")
                continue
            item_id = str(paired["id"]) if "id" in paired else None
            key = _key(item_id, sample_index, number) if item_id is not None else f"line:{number}"
            yield _Task(key, item_id, sample_index, number, value, paired)


def _records(grader: Grader, batch: Sequence[_Task]) -> list[dict[str, Any]]:
    results: list[GradeResult] = grader.grade_batch([t.sample for t in batch], [t.item for t in batch])
    out = []
    for task, result in zip(batch, results, strict=True):
        record = {
            "key": task.key,
            "item_id": task.item_id,
            "sample_index": task.sample_index,
            "line": task.line,
        }
        record.update(result.to_dict())
        out.append(record)
    return out


def _row(task: _Task) -> tuple[Any, ...]:
    # Plain tuples cross the network to Ray workers: pickling them costs a fraction of pickling slotted dataclasses,
    # on the driver that every chunk passes through (benchmarks/bench_ray.py measures the driver's cost per record).
    return (task.key, task.item_id, task.sample_index, task.line, task.sample, task.item)


def _grade_rows(grader: Grader, rows: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Grade rows made by :func:`_row` (on a Ray worker: ``executor="ray"``)."""
    return _records(grader, [_Task(*row) for row in rows])


_WORKER_GRADER: Grader | None = None


def _init_worker(config: dict[str, Any]) -> None:
    global _WORKER_GRADER
    _WORKER_GRADER = build_grader(config)


def _grade_in_worker(batch: Sequence[_Task]) -> list[dict[str, Any]]:
    assert _WORKER_GRADER is not None, "worker not initialised"
    return _records(_WORKER_GRADER, batch)


def _batches(tasks: Iterator[_Task], size: int) -> Iterator[list[_Task]]:
    batch: list[_Task] = []
    for task in tasks:
        batch.append(task)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _group_batches(tasks: Iterator[_Task], size: int) -> Iterator[list[_Task]]:
    """Batches of WHOLE groups (the samples of one item) for a group-aware grader (``ranking_judge``): a group
    split over two batches would be ranked as two groups. The samples are read first to find every group."""
    groups: dict[str, list[_Task]] = {}
    for task in tasks:
        groups.setdefault(task.item_id if task.item_id is not None else f"line:{task.line}", []).append(task)
    batch: list[_Task] = []
    for group in groups.values():
        if batch and len(batch) + len(group) > size:
            yield batch
            batch = []
        batch.extend(group)
    if batch:
        yield batch


def grade(
    grader: Grader | str | Path | Mapping[str, Any],
    samples: str | Path | Iterable[Any],
    items: str | Path | Iterable[Mapping[str, Any]] | None = None,
    *,
    output: str | Path | None = None,
    workers: int | Literal["auto"] = "auto",
    batch_size: int = 256,
    join: Join = "auto",
    pass_threshold: float | None = None,
    on_progress: Callable[[int], None] | None = None,
    executor: Executor = "local",
    ray_address: str | None = None,
    chunk_retries: int = 3,
) -> GradeSummary:
    """Grade samples against items; stream grades to ``output`` (resumable) or return them in ``summary.records``.

    Args:
        grader: a Grader, a grader file path, or a config dict.
        samples: a samples JSONL path or an iterable of sample records (strings or objects).
        items: an items JSONL path or an iterable of item dicts; ``None`` when samples embed their items.
        output: grades JSONL to append to; grades already in it are skipped.
        workers: worker processes; ``"auto"`` uses every core when grading is slow enough to pay for the
            inter-process transfer (measured on the first batch), else grades in this process.
        batch_size: samples per batch (the unit of work, of writing and of progress).
        join: how samples find their items (see the module docstring).
        pass_threshold: reward at or above which a scored sample passes (default: the grader's
            ``pass_threshold``, else 1.0).
        on_progress: called with the number of samples handled after each batch.
        executor: ``"local"`` (this machine) or ``"ray"``: batches are graded by actors on every node of a Ray
            cluster and written here as they finish (README: "Running on a Ray cluster"); ``workers`` is then
            ignored.
        ray_address: the cluster for ``executor="ray"`` (``"auto"``, ``host:port``, ``ray://...``; default
            ``RAY_ADDRESS``, else a local Ray instance started for this run).
        chunk_retries: ``executor="ray"``: times a batch is sent again after its task or node failed.

    Raises:
        ConfigError: an invalid grader. InputError: an input file that cannot be opened.
    """
    start = time.perf_counter()
    executor = check_executor(executor)
    if not isinstance(grader, Grader):
        grader = load_grader(grader, placement="any")
    config = grader.to_config()
    threshold = pass_threshold if pass_threshold is not None else float(config.get("pass_threshold", 1.0))
    summary = GradeSummary(pass_threshold=threshold)

    items_by_id: dict[str, dict[str, Any]] = {}
    items_ordered: list[Any] = []
    if isinstance(items, str | Path):
        items_by_id, items_ordered = load_items(items, summary)
    elif items is not None:
        for item in items:
            items_ordered.append(item)
            if isinstance(item, Mapping) and "id" in item:
                items_by_id[str(item["id"])] = dict(item)

    if isinstance(samples, str | Path) and not Path(samples).exists():
        raise InputError("samples file not found", source=str(samples))
    done: set[str] = set()
    writer: JsonlWriter | None = None
    if output is not None:
        out_path = Path(output)
        inputs = [
            ("--samples", samples if isinstance(samples, str | Path) else None),
            ("--items", items if isinstance(items, str | Path) else None),
        ]
        # Locked before reading what is done: a second process on the same output stops here.
        writer = JsonlWriter(out_path, inputs=inputs)
        if writer.regular:
            done = _done_keys(out_path)
        summary.output = str(out_path)

    source = str(samples) if isinstance(samples, str | Path) else "<samples>"
    all_tasks = _tasks(samples, items_by_id, items_ordered, join, summary, source)

    def fresh() -> Iterator[_Task]:
        seen: dict[str, int] = {}  # keys of this input, with their line
        for task in all_tasks:
            first = seen.get(task.key)
            if first is not None:
                # Graded once, and said: a silent skip would hide that two lines claim the same sample.
                summary.add_input_error(
                    InputError(
                        f"the sample {task.key!r} is also on line {first}; this line is not graded (give each "
                        "sample its own item_id/sample_index)",
                        source=source,
                        line=task.line,
                    )
                )
                continue
            seen[task.key] = task.line
            if task.key in done:
                summary.skipped += 1
                continue
            yield task

    def emit(records: list[dict[str, Any]]) -> None:
        if writer is not None:
            writer.write_many(records)
        else:
            summary.records.extend(records)
        for record in records:
            summary.add(record)
        if on_progress is not None:
            on_progress(len(records))

    if executor == "local" and uses_sandbox(grader):
        warm_up_in_background()  # the servers start while the first batch is read and rendered
    batches = (_group_batches if grader.group_aware else _batches)(fresh(), batch_size)
    try:
        if executor == "ray":
            from .distributed.ray_grading import grade_on_ray

            rows = ([_row(task) for task in batch] for batch in batches)
            execution = summary.execution
            grade_on_ray(grader, rows, _grade_rows, emit, execution, address=ray_address, max_retries=chunk_retries)
            summary.workers = summary.execution.actors
        elif workers == "auto" and isinstance(grader, SandboxedGrader):
            # a sandboxed grader already runs a batch in parallel over the sandbox's servers (and its grade_batch
            # may run in two threads at once); two batches in flight keep the servers busy across a batch boundary
            # (a batch's last chunks no longer leave the others idle), while grades are still written in order
            _run_overlapped(grader, batches, emit)
        elif (first := next(batches, None)) is not None:
            t0 = time.perf_counter()
            emit(_records(grader, first))
            per_sample_us = (time.perf_counter() - t0) / len(first) * 1e6
            second = next(batches, None)
            if second is not None:
                rest = itertools.chain([second], batches)
                # sandboxed and model graders already run a batch in parallel inside this process
                n_workers = (
                    1 if workers == "auto" and grader.parallel_inside else _choose_workers(workers, per_sample_us)
                )
                summary.workers = n_workers
                if n_workers <= 1:
                    for batch in rest:
                        emit(_records(grader, batch))
                else:
                    _run_pool(config, rest, n_workers, emit)
    finally:
        if writer is not None:
            writer.close()
            summary.escaped_records = writer.escaped_records
    summary.duration_s = time.perf_counter() - start
    return summary


def _run_overlapped(
    grader: Grader, batches: Iterator[list[_Task]], emit: Callable[[list[dict[str, Any]]], None]
) -> None:
    """Grade batches in this process with the next batch started while the current one finishes; emit in order."""
    with cf.ThreadPoolExecutor(2, thread_name_prefix="rft-batch") as pool:
        _emit_in_order((pool.submit(_records, grader, batch) for batch in batches), 2, emit)


def _emit_in_order(
    futures: Iterator[cf.Future[list[dict[str, Any]]]], depth: int, emit: Callable[[list[dict[str, Any]]], None]
) -> None:
    """Emit each future's records in submission order, with at most ``depth`` submitted and not yet emitted (the
    generator submits the next batch only when it is asked for one); on any failure the rest are cancelled."""
    pending: list[cf.Future[list[dict[str, Any]]]] = []
    try:
        for future in futures:
            pending.append(future)
            if len(pending) >= depth:
                emit(pending.pop(0).result())
        for future in pending:
            emit(future.result())
    except BaseException:
        for future in pending:
            future.cancel()
        raise


def _choose_workers(workers: int | Literal["auto"], per_sample_us: float) -> int:
    cores = os.cpu_count() or 1
    if workers == "auto":
        return cores if per_sample_us > _POOL_BREAK_EVEN_US and cores > 1 else 1
    if workers < 1:
        raise ValueError(f"workers must be >= 1 or 'auto', got {workers}")
    return workers


def _run_pool(
    config: dict[str, Any],
    batches: Iterator[list[_Task]],
    n_workers: int,
    emit: Callable[[list[dict[str, Any]]], None],
) -> None:
    """Grade batches in worker processes, writing results in input order with a bounded number in flight."""
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(n_workers, mp_context=context, initializer=_init_worker, initargs=(config,)) as pool:
        _emit_in_order((pool.submit(_grade_in_worker, batch) for batch in batches), n_workers * 2, emit)
