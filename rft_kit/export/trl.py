"""``rft export trl``: a task set in TRL's conversational prompt format.

Each row becomes ``{"prompt": [{"role", "content"}...], "item": <the row as JSON>, <scalar reference fields>}``,
written as a ``datasets.Dataset`` (``save_to_disk``) and as ``train.jsonl``. The ``item`` column lets
:func:`rft_kit.integrations.trl.reward_funcs` grade against the exact task row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.escape import json_text
from .chat import check_prompt, to_chat
from .hf import _scalar_columns, dataset_from_rows
from .issues import Issues
from .tasks import read_tasks

__all__ = ["TrlExport", "export_trl", "trl_records"]


@dataclass
class TrlExport:
    """What was written."""

    out_dir: Path
    rows: int
    columns: list[str]
    issues: Issues


def trl_records(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """TRL rows: conversational ``prompt``, exact ``item`` JSON, scalar reference columns."""
    columns = [c for c in _scalar_columns(rows) if c != "prompt"]
    out = []
    for row in rows:
        record: dict[str, Any] = {"prompt": to_chat(row.get("messages")), "item": json_text(row)}
        record.update({k: row.get(k) for k in columns})
        out.append(record)
    return out


def export_trl(tasks: Path, out_dir: Path) -> TrlExport:
    """Check the rows and write ``out_dir/dataset`` (Dataset) and ``out_dir/train.jsonl``.

    Raises:
        ExportError: a row is unreadable or has no usable ``messages``.
    """
    issues = Issues()
    read = read_tasks(tasks, issues)
    for where, row in read:
        check_prompt(row, where, issues)
    issues.raise_if_errors()
    records = trl_records([row for _, row in read])
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "train.jsonl", "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json_text(record) + "\n")
    dataset = dataset_from_rows(records)
    dataset.save_to_disk(str(out_dir / "dataset"))
    return TrlExport(out_dir, len(records), list(dataset.column_names), issues)
