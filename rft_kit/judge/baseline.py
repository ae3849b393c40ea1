"""A baseline run's outputs as the reference of a ``pairwise_judge``: ``rft grade --baseline SAMPLES``.

Each item gets ``baseline_output``: the ``output_text`` of the baseline sample with the same ``item_id`` (the
lowest ``sample_index`` when there are several), so ``reference: "{{item.baseline_output}}"`` compares every new
sample with the baseline model's answer to the same item. An item without a baseline sample gets no field, and its
samples are then graded as errors (``invalid_variable_error``) naming it, never compared with nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from ..errors import InputError
from ..io.jsonl import iter_jsonl

__all__ = ["BASELINE_FIELD", "join_baseline"]

BASELINE_FIELD: Final = "baseline_output"


def join_baseline(items: list[Any], baseline: str | Path, *, field: str = BASELINE_FIELD) -> list[Any]:
    """``items`` (dicts, in order; ``None`` for unreadable lines) with ``field`` set from the baseline samples.

    Raises:
        InputError: the baseline file cannot be read, or holds no sample with an ``item_id``.
    """
    best: dict[str, tuple[int, str]] = {}
    for line in iter_jsonl(baseline):
        value = line.value
        if line.error is not None or not isinstance(value, dict) or value.get("item_id") is None:
            continue
        text, index = value.get("output_text"), value.get("sample_index", 0)
        if not isinstance(text, str) or not isinstance(index, int) or value.get("error"):
            continue
        key = str(value["item_id"])
        if key not in best or index < best[key][0]:
            best[key] = (index, text)
    if not best:
        raise InputError("no baseline sample with an item_id and an output_text", source=str(baseline))
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and "id" in item and str(item["id"]) in best:
            item = {**item, field: best[str(item["id"])][1]}
        out.append(item)
    return out
