"""Task sets and graded runs as Hugging Face ``datasets`` (``save_to_disk``/``load_from_disk``; hub on request).

Each row keeps the exact task as JSON in an ``item`` column, so a round trip gives back the same rows whatever Arrow
would make of heterogeneous reference fields; ``id`` and the scalar reference fields are also plain columns for
browsing. A graded run joins tasks, samples and grades: one row per graded sample.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DependencyError, InputError
from ..io.escape import escape_value, json_text
from ..io.jsonl import iter_jsonl

# ``datasets`` ships no type information; its objects are typed Any here.
Dataset = Any

__all__ = [
    "dataset_from_rows",
    "graded_run_dataset",
    "load_task_dataset",
    "read_jsonl",
    "rows_from_dataset",
    "save_dataset",
    "task_dataset",
]

_SCALARS = (str, int, float, bool)


def _datasets() -> Any:
    try:
        return importlib.import_module("datasets")
    except ImportError:
        raise DependencyError("this needs Hugging Face datasets: pip install 'rft-kit[hf]'") from None


def read_jsonl(path: Path) -> list[Any]:
    """Every value of a JSONL file.

    Raises:
        InputError: the first bad line (file and line number).
    """
    values = []
    for line in iter_jsonl(path):
        if line.error is not None:
            raise line.error
        values.append(line.value)
    return values


def dataset_from_rows(records: list[dict[str, Any]]) -> Dataset:
    """A Dataset from records whose values Arrow can type (the caller keeps nested data as JSON strings)."""
    # Arrow stores UTF-8: an unpaired surrogate a model wrote is kept as its escape (see rft_kit.io.escape)
    return _datasets().Dataset.from_list(escape_value(records)[0])


def _scalar_columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Reference fields that are a scalar of one type (or missing) on every row: safe as Arrow columns."""
    kinds: dict[str, set[type]] = {}
    for row in rows:
        for key, value in row.items():
            kinds.setdefault(key, set()).add(type(value))
    return [
        k
        for k, types in kinds.items()
        if k not in ("messages", "tools", "metadata", "item", "id")
        and len(types - {type(None)}) == 1
        and next(iter(types - {type(None)})) in _SCALARS
    ]


def task_dataset(rows: list[Mapping[str, Any]]) -> Dataset:
    """A task set as a Dataset: ``id``, ``item`` (the row as JSON) and the scalar reference fields."""
    columns = _scalar_columns(rows)
    records = []
    for index, row in enumerate(rows):
        record: dict[str, Any] = {"id": str(row.get("id", index)), "item": json_text(row)}
        record.update({k: row.get(k) for k in columns})
        records.append(record)
    return dataset_from_rows(records)


def rows_from_dataset(dataset: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The task rows back from a Dataset written by :func:`task_dataset` (or any Dataset with an ``item`` column)."""
    return [json.loads(record["item"]) for record in dataset]


def save_dataset(dataset: Dataset, out_dir: Path, *, push_to_hub: str | None = None) -> None:
    """``save_to_disk(out_dir)``; also ``push_to_hub(repo)`` when a repo id is given (network, token required)."""
    dataset.save_to_disk(str(out_dir))
    if push_to_hub:
        dataset.push_to_hub(push_to_hub)


def load_task_dataset(path: Path) -> Dataset:
    """``load_from_disk`` of a saved Dataset."""
    return _datasets().load_from_disk(str(path))


def graded_run_dataset(items_path: Path, samples_path: Path, grades_path: Path) -> Dataset:
    """One row per grade, joined with its sample (by line) and its item (by ``item_id``, else the N-th item).

    Columns: ``item_id``, ``sample_index``, ``reward``, ``status``, ``error_kind``, ``error_message``, ``grader``,
    and JSON strings ``item``, ``sample``, ``sub_rewards``.

    Raises:
        InputError: a bad line, or a grade whose sample or item cannot be found.
    """
    items = read_jsonl(items_path)
    by_id = {str(i["id"]): i for i in items if isinstance(i, Mapping) and "id" in i}
    # Grades name their sample by line number; unreadable sample lines have no grade, so they are skipped here too.
    samples = {line.number: line.value for line in iter_jsonl(samples_path) if line.error is None}
    ordinal = {number: k for k, number in enumerate(samples)}
    records = []
    for number, grade in enumerate(read_jsonl(grades_path), start=1):
        line = grade.get("line")
        if not isinstance(line, int) or line not in samples:
            raise InputError(
                f"grade refers to sample line {line!r}, not in {samples_path}", source=str(grades_path), line=number
            )
        item_id = grade.get("item_id")
        if item_id is not None:
            item = by_id.get(str(item_id))
        else:  # paired by position, as `rft grade --join line` pairs them
            item = items[ordinal[line]] if ordinal[line] < len(items) else None
        if item is None:
            raise InputError(f"no item for item_id {item_id!r}", source=str(grades_path), line=number)
        error = grade.get("error") or {}
        records.append(
            {
                "item_id": None if item_id is None else str(item_id),
                "sample_index": int(grade.get("sample_index") or 0),
                "reward": float(grade["reward"]),
                "status": str(grade.get("status", "scored")),
                "error_kind": error.get("kind"),
                "error_message": error.get("message"),
                "grader": (grade.get("grader") or {}).get("name"),
                "item": json_text(item),
                "sample": json_text(samples[line]),
                "sub_rewards": json.dumps(grade.get("sub_rewards") or {}),
            }
        )
    return dataset_from_rows(records)
