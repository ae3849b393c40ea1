"""Task sets as Hugging Face ``datasets`` (docs/architecture.md: reports and exports).

Reference fields differ between templates (an ``answer`` string, a ``rubric`` list, a nested ``expected`` object),
and Arrow needs one schema per column, so each row keeps ``id`` and ``messages`` as real columns and carries the
rest as JSON text: ``reference`` (all top-level reference fields), ``tools`` and ``metadata``. Plus ``template`` and
``difficulty`` columns for filtering. :func:`from_hf_dataset` restores the exact RFT rows.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DependencyError
from ..io.escape import escape_value, json_text

__all__ = ["from_hf_dataset", "save_hf_dataset", "to_hf_dataset"]

_RESERVED = ("id", "messages", "tools", "metadata")


def _require_datasets() -> Any:
    try:
        # imported by name: datasets is optional and untyped, and mypy should not need it installed
        datasets = importlib.import_module("datasets")
    except ImportError:
        raise DependencyError("exporting to Hugging Face needs the datasets package: pip install datasets") from None
    return datasets


def to_row(item: Mapping[str, Any]) -> dict[str, Any]:
    """One item as a flat dataset row (see the module docstring)."""
    meta = item.get("metadata") or {}
    messages = [{"role": str(m["role"]), "content": str(m["content"])} for m in item.get("messages") or []]
    return {
        "id": str(item.get("id", "")),
        "template": str(meta.get("template", "")),
        "difficulty": str(meta.get("difficulty", "")),
        "messages": messages,
        "reference": json_text({k: v for k, v in item.items() if k not in _RESERVED}),
        "tools": json_text(item["tools"]) if "tools" in item else "",
        "metadata": json_text(meta),
    }


def to_hf_dataset(items: Iterable[Mapping[str, Any]]) -> Any:
    """A ``datasets.Dataset`` of the items (typed ``Any``: ``datasets`` is optional and ships no type hints).

    Raises:
        DependencyError: ``datasets`` is not installed.
    """
    datasets = _require_datasets()
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "template": datasets.Value("string"),
            "difficulty": datasets.Value("string"),
            "messages": [{"role": datasets.Value("string"), "content": datasets.Value("string")}],
            "reference": datasets.Value("string"),
            "tools": datasets.Value("string"),
            "metadata": datasets.Value("string"),
        }
    )
    # Arrow stores UTF-8: an unpaired surrogate is kept as its escape (see rft_kit.io.escape)
    return datasets.Dataset.from_list([escape_value(to_row(i))[0] for i in items], features=features)


def from_hf_dataset(dataset: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The RFT rows back from a dataset made by :func:`to_hf_dataset` (same keys and order as generated)."""
    items = []
    for row in dataset:
        item: dict[str, Any] = {"id": row["id"], "messages": [dict(m) for m in row["messages"]]}
        if row["tools"]:
            item["tools"] = json.loads(row["tools"])
        item.update(json.loads(row["reference"]))
        item["metadata"] = json.loads(row["metadata"])
        items.append(item)
    return items


def save_hf_dataset(
    splits: Mapping[str, list[dict[str, Any]]], directory: str | Path, *, push: str | None = None
) -> Any:
    """Save splits (``{"train": [...], "validation": [...]}``) as a ``DatasetDict`` and optionally push it.

    Args:
        splits: split name -> items.
        directory: where ``save_to_disk`` writes.
        push: a Hub repository id to push to (only when explicitly asked for).

    Returns:
        The ``DatasetDict``.
    """
    datasets = _require_datasets()
    datasets.disable_progress_bars()  # the CLI prints its own summary; bars would interleave with it on stderr
    dataset_dict = datasets.DatasetDict({name: to_hf_dataset(items) for name, items in splits.items()})
    dataset_dict.save_to_disk(str(directory))
    if push:
        dataset_dict.push_to_hub(push)
    return dataset_dict
