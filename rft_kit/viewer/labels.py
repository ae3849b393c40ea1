"""Human verdicts on samples: validation, the ``labels.jsonl`` row format, and golden cases made from them.

``labels.jsonl`` lives in the run folder and is only ever appended to. Each row is one verdict::

    {"item_id", "sample_index", "labeller", "time", "verdict", "note",
     "label", "item", "sample", "reward", "run"}

``verdict`` is ``"pass"``, ``"fail"`` or a finite number; ``label`` repeats it and ``item`` / ``sample`` carry the
task row and the sample as graded, so a row is exactly what ``rft calibrate --labels`` reads (``{item, sample,
label}``). A labeller who changes their mind appends a new row: the latest row per ``(item_id, sample_index,
labeller)`` counts (:func:`latest_rows`), here and in ``rft calibrate``.

This module imports no web framework: ``rft calibrate`` uses it without the ``viewer`` extra.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "LABELS_FILE",
    "MAX_LABELLER_CHARS",
    "MAX_NOTE_CHARS",
    "LabelError",
    "LabelRecord",
    "cases_from_labels",
    "label_from_record",
    "latest_rows",
    "parse_label_request",
    "sample_for_grader",
]

LABELS_FILE: Final = "labels.jsonl"
MAX_NOTE_CHARS: Final = 10_000
MAX_LABELLER_CHARS: Final = 100
_REQUEST_KEYS: Final = frozenset({"item_id", "sample_index", "verdict", "labeller", "note"})
# Sample-record keys that are bookkeeping of the sampler, not something a grader reads.
_NOT_FOR_GRADER: Final = frozenset({"usage", "latency_ms", "attempts", "model"})


class LabelError(ValueError):
    """A label request that cannot be stored; ``field`` names the offending key."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class LabelRecord:
    """One stored verdict (the identifying part of a ``labels.jsonl`` row)."""

    item_id: str
    sample_index: int
    labeller: str
    time: str
    verdict: str | float
    note: str = ""

    @property
    def kind(self) -> str:
        """``pass``, ``fail`` or ``score``."""
        return self.verdict if isinstance(self.verdict, str) else "score"

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "sample_index": self.sample_index,
            "labeller": self.labeller,
            "time": self.time,
            "verdict": self.verdict,
            "note": self.note,
        }


def _verdict(value: Any) -> str | float:
    if isinstance(value, str) and value in ("pass", "fail"):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise LabelError("verdict", f'must be "pass", "fail" or a finite number, got {value!r}')


def _labeller(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LabelError("labeller", "must be a non-empty string (who is labelling)")
    name = value.strip()
    if len(name) > MAX_LABELLER_CHARS:
        raise LabelError("labeller", f"must be at most {MAX_LABELLER_CHARS} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise LabelError("labeller", "must not contain control characters")
    return name


def parse_label_request(body: Any) -> tuple[str, int, str | float, str, str]:
    """Validate a ``POST /api/runs/{run}/labels`` body; returns ``(item_id, sample_index, verdict, labeller, note)``.

    Raises:
        LabelError: naming the field and what it must be.
    """
    if not isinstance(body, dict):
        raise LabelError("body", 'must be a JSON object {"item_id", "sample_index", "verdict", "labeller", "note"}')
    unknown = sorted(set(body) - _REQUEST_KEYS)
    if unknown:
        raise LabelError(unknown[0], f"unknown key; a label has {', '.join(sorted(_REQUEST_KEYS))}")
    for key in ("item_id", "sample_index", "verdict", "labeller"):
        if key not in body:
            raise LabelError(key, "is required")
    item_id = body["item_id"]
    if not isinstance(item_id, str) or not item_id:
        raise LabelError("item_id", "must be a non-empty string")
    index = body["sample_index"]
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise LabelError("sample_index", "must be a non-negative integer")
    note = body.get("note", "")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise LabelError("note", "must be a string")
    if len(note) > MAX_NOTE_CHARS:
        raise LabelError("note", f"must be at most {MAX_NOTE_CHARS} characters")
    return item_id, index, _verdict(body["verdict"]), _labeller(body["labeller"]), note


def label_from_record(record: Any) -> LabelRecord | None:
    """The verdict of one ``labels.jsonl`` row, or ``None`` for a row that is not a valid label."""
    if not isinstance(record, dict):
        return None
    try:
        verdict = _verdict(record.get("verdict"))
        labeller = _labeller(record.get("labeller"))
    except LabelError:
        return None
    item_id, index = record.get("item_id"), record.get("sample_index")
    if not isinstance(item_id, str) or isinstance(index, bool) or not isinstance(index, int):
        return None
    note = record.get("note")
    time = str(record.get("time") or "")
    return LabelRecord(item_id, index, labeller, time, verdict, note if isinstance(note, str) else "")


def sample_for_grader(record: Mapping[str, Any]) -> dict[str, Any]:
    """A sample record as a grader takes it (the sampler's bookkeeping left out, agentic fields kept)."""
    return {key: value for key, value in record.items() if key not in _NOT_FOR_GRADER}


def latest_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows of a labels file with only the latest verdict per ``(item_id, sample_index, labeller)``.

    Rows without those keys (a hand-written ``{item, sample, label}`` file) are all kept, in order.
    """
    latest: dict[tuple[Any, Any, Any], int] = {}
    for position, row in enumerate(rows):
        if "labeller" in row and "item_id" in row:
            latest[(row.get("item_id"), row.get("sample_index", 0), row.get("labeller"))] = position
    keep = set(latest.values())
    return [row for n, row in enumerate(rows) if n in keep or not ("labeller" in row and "item_id" in row)]


def _expect(verdict: str | float, threshold: float) -> str:
    if verdict == "pass":
        return f">= {threshold:g}"
    if verdict == "fail":
        return f"< {threshold:g}"
    assert isinstance(verdict, float)
    return f">= {threshold:g}" if verdict >= threshold else f"< {threshold:g}"


def cases_from_labels(
    rows: Iterable[Mapping[str, Any]], *, pass_threshold: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Golden ``cases`` (the grader-file format of :mod:`rft_kit.check.cases`) from the latest labels.

    A pass verdict (or a score at or above ``pass_threshold``) becomes ``expect: ">= T"``, a fail ``"< T"``: the
    grader must agree with the human on which side of the pass line the sample falls. Samples whose labellers
    disagree are skipped, as are rows without the item or sample.

    Returns:
        ``(cases, skipped)``; each skipped entry says which sample and why.
    """
    by_sample: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for row in latest_rows(list(rows)):
        label = label_from_record(row)
        if label is not None:
            by_sample.setdefault((label.item_id, label.sample_index), []).append(row)
    cases: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for (item_id, index), group in sorted(by_sample.items()):
        labels = [label for label in map(label_from_record, group) if label is not None]
        sides = {_expect(label.verdict, pass_threshold) for label in labels}
        if len(sides) > 1:
            who = ", ".join(f"{label.labeller}: {label.verdict}" for label in labels)
            skipped.append({"item_id": item_id, "sample_index": index, "reason": f"labellers disagree ({who})"})
            continue
        row = group[-1]
        item, sample = row.get("item"), row.get("sample")
        if not isinstance(item, dict) or not isinstance(sample, dict | str):
            skipped.append({"item_id": item_id, "sample_index": index, "reason": "the label row has no item or sample"})
            continue
        verdicts = ", ".join(f"{label.verdict} by {label.labeller}" for label in labels)
        cases.append(
            {"name": f"{item_id}#{index}: labelled {verdicts}", "item": item, "sample": sample, "expect": sides.pop()}
        )
    return cases, skipped
