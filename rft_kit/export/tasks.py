"""Read a task set (JSONL, one row per line) for export, keeping where each row came from for messages."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ..io.jsonl import iter_jsonl
from .issues import Issues

__all__ = ["Row", "read_tasks", "split_rows"]

Row = tuple[str, Any]
"""``(where, row)``: ``where`` is ``tasks.jsonl line 12``; ``row`` is the parsed value (checked later)."""


def read_tasks(path: Path, issues: Issues) -> list[Row]:
    """Every row of ``path``; unreadable lines are recorded as errors (and skipped)."""
    rows: list[Row] = []
    for line in iter_jsonl(path):
        where = f"{path.name} line {line.number}"
        if line.error is not None:
            issues.error(where, line.error.detail)
        else:
            rows.append((where, line.value))
    return rows


def split_rows(rows: list[Row], fraction: float, *, seed: int, cap: int, issues: Issues) -> tuple[list[Row], list[Row]]:
    """Split off a validation set: a seeded shuffle, ``fraction`` of the rows, at most ``cap`` and at least one."""
    if not 0 < fraction < 1:
        issues.error("--split", f"{fraction} must be between 0 and 1 (exclusive)")
        return rows, []
    if len(rows) < 2:
        issues.error("tasks", f"{len(rows)} row(s) cannot be split into training and validation sets")
        return rows, []
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    wanted = max(1, round(len(rows) * fraction))
    n_valid = min(wanted, cap, len(rows) - 1)
    if n_valid < wanted:
        issues.warn("--split", f"validation set capped at {n_valid} rows (hosted limit {cap}); the rest train")
    valid_idx = set(order[:n_valid])
    train = [rows[i] for i in order if i not in valid_idx]
    valid = [rows[i] for i in order[:n_valid]]
    return train, valid
