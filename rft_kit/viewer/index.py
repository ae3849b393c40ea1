"""One run folder as in-memory columns: what the sample table filters, sorts and pages over.

The index reads ``tasks.jsonl``, ``samples.jsonl``, ``grades.jsonl`` and ``labels.jsonl`` once and then only what
was appended since (:class:`~rft_kit.viewer.tail.JsonlTail`), so a run being written by ``rft grade`` or ``rft
rollout`` shows new records on the next request and never a torn last line. Rows are samples keyed by ``(item_id,
sample_index)``; a record seen again (a re-graded sample) replaces the earlier one. Columns are ``array`` buffers
grown in place and copied into numpy arrays once per change (:meth:`RunIndex.snapshot`), which is what keeps a filter
over 100,000 samples fast (``benchmarks/bench_viewer.py``). Record bodies stay on disk: rows keep byte offsets and
the sample page reads its lines back.

Lines are decoded with msgspec into structs of only the fields the index keeps (several times faster than
``json.loads``, which dominates opening a large run); a line msgspec refuses (a ``NaN``, a field of an odd type) is
parsed again with ``json`` and kept if it is an object.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import msgspec
import numpy as np
import numpy.typing as npt

from ..report.collect import PASS_EPSILON
from .labels import LABELS_FILE, LabelRecord, label_from_record
from .tail import JsonlTail, read_line_at

__all__ = ["NONE", "RunIndex", "Snapshot"]

NONE: Final = "(none)"
"""The template or difficulty of an item without that metadata (the report's word for it)."""
SNIPPET_CHARS: Final = 200
SEARCH_CHARS: Final = 65536
"""Characters of an output kept for text search; a longer output is searched in its first part only."""

STATUS_NAMES: Final = ("ungraded", "scored", "error")
LABEL_NAMES: Final = ("", "pass", "fail", "score")


_NULL: Final = msgspec.Raw(b"null")


class _Task(msgspec.Struct):
    id: Any = None
    metadata: Any = None
    # kept as raw JSON and decoded on the first text search: prompts are most of a task file's bytes
    messages: msgspec.Raw = _NULL


class _SampleLine(msgspec.Struct, kw_only=True):
    item_id: str | int
    sample_index: int | None = 0
    output_text: str | None = None
    choices: msgspec.Raw = _NULL  # decoded only for a record without output_text
    error: Any = None
    stop_reason: str | None = None
    turns: int | None = None


class _GradeLine(msgspec.Struct, kw_only=True):
    item_id: str | int
    sample_index: int | None = 0
    reward: float
    status: str | None = None
    error: dict[str, Any] | None = None
    sub_rewards: dict[str, float] | None = None


def _decoder(kind: type[msgspec.Struct]) -> Callable[[bytes], Any]:
    """Typed decoding; a line msgspec refuses is parsed by ``json`` (which takes ``NaN``) and then held to the same
    types, so the index's handlers can trust every field's type. ``None`` marks a line that is not a record."""
    typed = msgspec.json.Decoder(kind)

    def decode(raw: bytes) -> Any:
        try:
            return typed.decode(raw)
        except msgspec.MsgspecError:
            value = json.loads(raw)  # a ValueError here: not JSON at all, counted as an unreadable line
            try:
                return msgspec.convert(value, kind)
            except msgspec.MsgspecError:
                return None

    return decode


_DECODERS: Final[dict[str, Callable[[bytes], Any]]] = {
    "tasks": _decoder(_Task),
    "samples": _decoder(_SampleLine),
    "grades": _decoder(_GradeLine),
    "labels": json.loads,
}


def _output_text(record: _SampleLine) -> str:
    text = record.output_text
    if isinstance(text, str):
        return text
    choices: Any = record.choices
    if isinstance(choices, msgspec.Raw | bytes):
        try:
            choices = msgspec.json.decode(choices)
        except msgspec.MsgspecError:
            return ""
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        message = choices[0].get("message")
        if isinstance(message, Mapping) and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


def _prompt_text(messages: Any) -> str:
    parts = []
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, Mapping):
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif content is not None:
                parts.append(json.dumps(content, ensure_ascii=False))
    return "\n".join(parts)[:SEARCH_CHARS].lower()


class _Codes:
    """Strings to small integers (template, difficulty, error kind, stop reason names)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}

    def code(self, name: str) -> int:
        found = self._codes.get(name)
        if found is None:
            found = self._codes[name] = len(self.names)
            self.names.append(name)
        return found

    def get(self, name: str) -> int | None:
        return self._codes.get(name)


@dataclass(frozen=True)
class _Joined:
    """Strings joined with NUL, and where each one starts."""

    text: str
    starts: npt.NDArray[np.int64]

    @classmethod
    def of(cls, strings: list[str]) -> _Joined:
        lengths = np.fromiter((len(s) + 1 for s in strings), dtype=np.int64, count=len(strings))
        starts = np.zeros(len(strings), dtype=np.int64)
        if len(strings) > 1:
            np.cumsum(lengths[:-1], out=starts[1:])
        return cls("\0".join(strings), starts)

    def hits(self, pattern: re.Pattern[str]) -> npt.NDArray[np.bool_]:
        found = np.zeros(self.starts.size, dtype=np.bool_)
        positions = np.fromiter((m.start() for m in pattern.finditer(self.text)), dtype=np.int64)
        if positions.size:
            found[np.searchsorted(self.starts, positions, side="right") - 1] = True
        return found


@dataclass(frozen=True)
class Snapshot:
    """The index's columns as numpy arrays at one version (row ``i`` of every array is the same sample)."""

    version: int
    item: npt.NDArray[np.int32]
    sample_index: npt.NDArray[np.int64]
    reward: npt.NDArray[np.float64]
    status: npt.NDArray[np.int8]
    err_kind: npt.NDArray[np.int16]
    sample_error: npt.NDArray[np.int8]
    stop_reason: npt.NDArray[np.int16]
    turns: npt.NDArray[np.int32]
    subs: dict[str, npt.NDArray[np.float64]]
    label: npt.NDArray[np.int8]
    """0 unlabelled, else the latest verdict's kind (:data:`LABEL_NAMES`)"""
    item_template: npt.NDArray[np.int32]
    item_difficulty: npt.NDArray[np.int32]
    item_rank: npt.NDArray[np.int64]
    """per item, its position in item-id order"""
    passed: npt.NDArray[np.bool_]
    threshold: float

    @property
    def size(self) -> int:
        return int(self.item.size)


class RunIndex:
    """The columns of one run folder; call :meth:`refresh` before reading (it costs a ``stat`` when nothing changed).

    Args:
        folder: the run folder.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.version = 0
        self._snapshot: Snapshot | None = None
        self._joined: dict[str, tuple[tuple[int, int], _Joined]] = {}
        self._codes_in: tuple[tuple[int, int, int], npt.NDArray[np.int64]] | None = None
        self.cached_bytes = 0
        """:attr:`read_bytes` when the on-disk cache was last written (or loaded)."""
        self._meta_stamp: tuple[int, int] | None = None
        self.meta: dict[str, Any] = {}
        self._clear()

    # -- state ---------------------------------------------------------------------------------------------------
    def _clear(self) -> None:
        self._tails = {
            name: JsonlTail(self.folder / f"{name}.jsonl") for name in ("tasks", "samples", "grades", "labels")
        }
        self.bad_lines = dict.fromkeys(self._tails, 0)
        self._changes = dict.fromkeys(self._tails, 0)  # reads that brought records, per file
        self._joined = {}
        self.templates, self.difficulties = _Codes(), _Codes()
        self.error_kinds, self.stop_reasons = _Codes(), _Codes()
        self.none_template = self.templates.code(NONE)
        self.none_difficulty = self.difficulties.code(NONE)
        # per item
        self.item_ids: list[str] = []
        self._item_codes: dict[str, int] = {}
        self.item_template = array("i")
        self.item_difficulty = array("i")
        self.item_offset = array("q")
        self._item_messages: list[msgspec.Raw] = []
        self._item_prompt: list[str] | None = None
        # per row (sample)
        self._rows: dict[tuple[str, int], int] = {}
        self.row_item = array("i")
        self.row_index = array("q")
        self.sample_offset = array("q")
        self.grade_offset = array("q")
        self.reward = array("d")
        self.status = array("b")
        self.err_kind = array("h")
        self.sample_error = array("b")
        self.stop_reason = array("h")
        self.turns = array("i")
        self.subs: dict[str, array[float]] = {}
        self.snippet: list[str] = []
        self.text: list[str] = []
        self.err_text: list[str] = []
        # labels: latest record per (row key, labeller), and the latest of any labeller per row key
        self.labels: dict[tuple[str, int], dict[str, LabelRecord]] = {}
        self.latest_label: dict[tuple[str, int], LabelRecord] = {}
        self.label_count = 0

    def _item(self, item_id: str) -> int:
        code = self._item_codes.get(item_id)
        if code is None:
            code = self._item_codes[item_id] = len(self.item_ids)
            self.item_ids.append(item_id)
            self.item_template.append(self.none_template)
            self.item_difficulty.append(self.none_difficulty)
            self.item_offset.append(-1)
            self._item_messages.append(_NULL)
            self._item_prompt = None
        return code

    def _rows_for(self, keys: list[tuple[str, int]]) -> list[int]:
        """The row of each key, new rows added (all columns grown once per batch, not once per row)."""
        rows, out = self._rows, []
        start = count = len(self.row_item)
        new_items, new_indexes = [], []
        for key in keys:
            row = rows.get(key)
            if row is None:
                row = rows[key] = count
                count += 1
                new_items.append(self._item(key[0]))
                new_indexes.append(key[1])
            out.append(row)
        added = count - start
        if added:
            self.row_item.extend(array("i", new_items))
            self.row_index.extend(array("q", new_indexes))
            for column, blank in (
                (self.sample_offset, -1),
                (self.grade_offset, -1),
                (self.err_kind, -1),
                (self.stop_reason, -1),
                (self.turns, -1),
                (self.status, 0),
                (self.sample_error, 0),
            ):
                column.extend(array(column.typecode, [blank]) * added)
            nans = array("d", [math.nan]) * added
            self.reward.extend(nans)
            for sub in self.subs.values():
                sub.extend(nans)
            for strings in (self.snippet, self.text, self.err_text):
                strings.extend([""] * added)
        return out

    @property
    def item_prompt(self) -> list[str]:
        """Per item code, its prompt's text in lower case (for search; decoded on first use)."""
        if self._item_prompt is None:
            prompts = []
            for raw in self._item_messages:
                try:
                    prompts.append(_prompt_text(msgspec.json.decode(raw)))
                except msgspec.MsgspecError:
                    prompts.append("")
            self._item_prompt = prompts
        return self._item_prompt

    def search(self, needle: str) -> npt.NDArray[np.bool_]:
        """Per row, whether ``needle`` (lower case) is in its output, its grading error, its item id or its prompt.

        Each column's strings are joined once per version into one text with NUL separators, and ``re.finditer``
        walks the matches in C; a match's position gives its row through the offsets (``np.searchsorted``).
        """
        needle = needle.replace("\0", "")
        # each column is joined again only when its file grew: a run being graded leaves outputs and prompts alone
        stamps = {
            "outputs": (self._changes["samples"], self.rows),
            "errors": (self._changes["grades"], self.rows),
            "ids": (self._changes["tasks"], len(self.item_ids)),
            "prompts": (self._changes["tasks"], len(self.item_ids)),
        }
        sources = {
            "outputs": lambda: self.text,
            "errors": lambda: self.err_text,
            "ids": lambda: [iid.lower() for iid in self.item_ids],
            "prompts": lambda: self.item_prompt,
        }
        for name, stamp in stamps.items():
            cached = self._joined.get(name)
            if cached is None or cached[0] != stamp:
                self._joined[name] = (stamp, _Joined.of(sources[name]()))
        outputs, errors, ids, prompts = (self._joined[name][1] for name in ("outputs", "errors", "ids", "prompts"))
        pattern = re.compile(re.escape(needle))
        rows = outputs.hits(pattern) | errors.hits(pattern)
        items = ids.hits(pattern) | prompts.hits(pattern)
        return rows | items[np.array(self.row_item, dtype=np.int64)]

    def codes_in(self, other: RunIndex) -> npt.NDArray[np.int64]:
        """Per item code of this run, the same item's code in ``other`` (-1 where it has none); cached until either
        run changes."""
        key = (id(other), self.version, other.version)
        if self._codes_in is None or self._codes_in[0] != key:
            lookup = other._item_codes.get
            codes = np.fromiter((lookup(i, -1) for i in self.item_ids), dtype=np.int64, count=len(self.item_ids))
            self._codes_in = (key, codes)
        return self._codes_in[1]

    def row_of(self, item_id: str, index: int) -> int | None:
        return self._rows.get((item_id, index))

    def item_code(self, item_id: str) -> int | None:
        return self._item_codes.get(item_id)

    @property
    def read_bytes(self) -> int:
        """How far the record files have been read, in bytes."""
        return sum(self._tails[name].offset for name in ("tasks", "samples", "grades"))

    @property
    def rows(self) -> int:
        return len(self.row_item)

    # -- reading -------------------------------------------------------------------------------------------------
    def _read_meta(self) -> None:
        path = self.folder / "run.json"
        try:
            st = path.stat()
        except FileNotFoundError:
            self.meta = {}
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._meta_stamp:
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # keep the last good one; run.json is replaced atomically, so this is a transient read error
        self._meta_stamp = stamp
        self.meta = data if isinstance(data, dict) else {}
        self.version += 1

    @property
    def pass_threshold(self) -> float:
        grader = self.meta.get("grader")
        config = grader.get("config") if isinstance(grader, dict) else None
        value = config.get("pass_threshold", 1.0) if isinstance(config, dict) else 1.0
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 1.0

    def refresh(self) -> bool:
        """Read what was appended since the last call; start over when a file was replaced. Returns whether
        anything changed."""
        before = self.version
        self._read_meta()
        batches = {name: tail.read_new(_DECODERS[name]) for name, tail in self._tails.items()}
        if any(batch.reset for batch in batches.values()):
            self._clear()
            batches = {name: tail.read_new(_DECODERS[name]) for name, tail in self._tails.items()}
        handlers: tuple[tuple[str, Callable[[int, Any], bool]], ...] = (
            ("tasks", self._add_item),
            ("labels", self._add_label),
        )
        for name, handler in handlers:
            batch = batches[name]
            self.bad_lines[name] += batch.bad_lines
            for offset, record in batch.records:
                if not handler(offset, record):
                    self.bad_lines[name] += 1
            if batch.records or batch.bad_lines:
                self.version += 1
                self._changes[name] += 1
        for name, many in (("samples", self._add_samples), ("grades", self._add_grades)):
            batch = batches[name]
            self.bad_lines[name] += batch.bad_lines
            if batch.records:
                many(batch.records)
            if batch.records or batch.bad_lines:
                self.version += 1
                self._changes[name] += 1
        return self.version != before

    def _add_item(self, offset: int, record: _Task) -> bool:
        if record.id is None:
            return False
        code = self._item(str(record.id))
        meta = record.metadata if isinstance(record.metadata, dict) else {}
        self.item_template[code] = self.templates.code(str(meta.get("template", NONE)))
        self.item_difficulty[code] = self.difficulties.code(str(meta.get("difficulty", NONE)))
        self.item_offset[code] = offset
        messages = record.messages
        if not isinstance(messages, msgspec.Raw):  # a line that only json could parse: no Raw there
            messages = msgspec.Raw(json.dumps(messages).encode())
        self._item_messages[code] = messages
        self._item_prompt = None
        return True

    def _add_samples(self, records: list[tuple[int, _SampleLine]]) -> None:
        rows = self._rows_for([(str(r.item_id), r.sample_index or 0) for _, r in records])
        offsets, errors, snippets, texts = self.sample_offset, self.sample_error, self.snippet, self.text
        stops, turns, reasons = self.stop_reason, self.turns, self.stop_reasons
        for (offset, record), row in zip(records, rows, strict=True):
            offsets[row] = offset
            errors[row] = 1 if record.error else 0
            text = record.output_text if record.output_text is not None else _output_text(record)
            snippets[row] = text[:SNIPPET_CHARS]
            texts[row] = text[:SEARCH_CHARS].lower()
            if record.stop_reason is not None:
                stops[row] = reasons.code(record.stop_reason)
            if record.turns is not None:
                turns[row] = record.turns

    def _add_grades(self, records: list[tuple[int, _GradeLine]]) -> None:
        rows = self._rows_for([(str(r.item_id), r.sample_index or 0) for _, r in records])
        offsets, rewards, status, kinds, err_text = (
            self.grade_offset,
            self.reward,
            self.status,
            self.err_kind,
            self.err_text,
        )
        subs, codes = self.subs, self.error_kinds
        for (offset, record), row in zip(records, rows, strict=True):
            if offsets[row] >= 0:  # re-graded: forget what the earlier grade said
                kinds[row] = -1
                err_text[row] = ""
                for column in subs.values():
                    column[row] = math.nan
            offsets[row] = offset
            rewards[row] = record.reward
            if record.status == "error":
                error = record.error or {}
                status[row] = 2
                kinds[row] = codes.code(str(error.get("kind") or "internal"))
                err_text[row] = str(error.get("message") or "")[:SEARCH_CHARS].lower()
            else:
                status[row] = 1
            if record.sub_rewards:
                for name, value in record.sub_rewards.items():
                    found = subs.get(name)
                    if found is None:
                        found = subs[name] = array("d", [math.nan]) * len(self.row_item)
                    found[row] = value

    def _add_label(self, offset: int, record: Any) -> bool:
        label = label_from_record(record)
        if label is None:
            return False
        key = (label.item_id, label.sample_index)
        self.labels.setdefault(key, {})[label.labeller] = label
        self.latest_label[key] = label
        self.label_count += 1
        return True

    # -- the state, for the on-disk cache (:mod:`rft_kit.viewer.cache`) ----------------------------------------
    _ARRAYS: Final = (
        "item_template",
        "item_difficulty",
        "item_offset",
        "row_item",
        "row_index",
        "sample_offset",
        "grade_offset",
        "reward",
        "status",
        "err_kind",
        "sample_error",
        "stop_reason",
        "turns",
    )
    _STRINGS: Final = ("item_ids", "snippet", "text", "err_text")
    _CODES: Final = ("templates", "difficulties", "error_kinds", "stop_reasons")

    def state(self) -> dict[str, Any]:
        """Everything read from the record files so far (labels are re-read: they are small and edited here)."""
        return {
            "tails": {name: self._tails[name].state() for name in ("tasks", "samples", "grades")},
            "bad_lines": {k: v for k, v in self.bad_lines.items() if k != "labels"},
            "arrays": {name: getattr(self, name).tobytes() for name in self._ARRAYS},
            # copies: the state may be written by another thread while this index goes on growing
            "strings": {name: list(getattr(self, name)) for name in self._STRINGS},
            "codes": {name: list(getattr(self, name).names) for name in self._CODES},
            "subs": {name: column.tobytes() for name, column in self.subs.items()},
            "messages": [bytes(raw) for raw in self._item_messages],
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Take up a :meth:`state` (then :meth:`refresh` reads what was appended since, or starts over)."""
        self._clear()
        for name, tail in state["tails"].items():
            self._tails[name].restore(tail)
        self.bad_lines.update(state["bad_lines"])
        for name in self._ARRAYS:
            column = getattr(self, name)
            column.frombytes(state["arrays"][name])
        for name in self._STRINGS:
            getattr(self, name).extend(state["strings"][name])
        for name in self._CODES:
            codes = getattr(self, name)
            codes.names.clear()
            codes._codes.clear()
            for entry in state["codes"][name]:
                codes.code(entry)
        self.none_template = self.templates.code(NONE)
        self.none_difficulty = self.difficulties.code(NONE)
        self.subs = {name: array("d", data) for name, data in state["subs"].items()}
        self._item_messages = [msgspec.Raw(raw) for raw in state["messages"]]
        self._item_codes = {item_id: code for code, item_id in enumerate(self.item_ids)}
        ids, pairs = self.item_ids, zip(self.row_item, self.row_index, strict=True)  # ValueError when cut short
        self._rows = {(ids[item], index): row for row, (item, index) in enumerate(pairs)}
        sizes = {len(self.item_ids), len(self.item_template), len(self.item_offset), len(self._item_messages)}
        rows = {len(getattr(self, name)) for name in self._ARRAYS[3:]} | {len(s) for s in self.subs.values()}
        rows |= {len(self.snippet), len(self.text), len(self.err_text)}
        if len(sizes) != 1 or len(rows) != 1:
            raise ValueError("the cached index is inconsistent")
        self.version += 1

    # -- reading back ------------------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The columns as numpy arrays (cached until the next change)."""
        if self._snapshot is not None and self._snapshot.version == self.version:
            return self._snapshot
        n = self.rows
        label = np.zeros(n, dtype=np.int8)
        for key, record in self.latest_label.items():
            row = self._rows.get(key)
            if row is not None:
                label[row] = LABEL_NAMES.index(record.kind)
        order = sorted(range(len(self.item_ids)), key=self.item_ids.__getitem__)
        rank = np.empty(len(order), dtype=np.int64)
        rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int64)
        reward = np.array(self.reward, dtype=np.float64)
        status = np.array(self.status, dtype=np.int8)
        threshold = self.pass_threshold
        with np.errstate(invalid="ignore"):
            passed = (status == 1) & (reward >= threshold - PASS_EPSILON)
        self._snapshot = Snapshot(
            version=self.version,
            item=np.array(self.row_item, dtype=np.int32),
            sample_index=np.array(self.row_index, dtype=np.int64),
            reward=reward,
            status=status,
            err_kind=np.array(self.err_kind, dtype=np.int16),
            sample_error=np.array(self.sample_error, dtype=np.int8),
            stop_reason=np.array(self.stop_reason, dtype=np.int16),
            turns=np.array(self.turns, dtype=np.int32),
            subs={name: np.array(column, dtype=np.float64) for name, column in self.subs.items()},
            label=label,
            item_template=np.array(self.item_template, dtype=np.int32),
            item_difficulty=np.array(self.item_difficulty, dtype=np.int32),
            item_rank=rank,
            passed=passed,
            threshold=threshold,
        )
        return self._snapshot

    def read_item(self, code: int) -> dict[str, Any] | None:
        offset = self.item_offset[code]
        return None if offset < 0 else _read(self.folder / "tasks.jsonl", offset)

    def read_sample(self, row: int) -> dict[str, Any] | None:
        offset = self.sample_offset[row]
        return None if offset < 0 else _read(self.folder / "samples.jsonl", offset)

    def read_grade(self, row: int) -> dict[str, Any] | None:
        offset = self.grade_offset[row]
        return None if offset < 0 else _read(self.folder / "grades.jsonl", offset)

    def labels_of(self, item_id: str, index: int) -> dict[str, LabelRecord]:
        return dict(self.labels.get((item_id, index), {}))

    @property
    def labels_path(self) -> Path:
        return self.folder / LABELS_FILE


def _read(path: Path, offset: int) -> dict[str, Any] | None:
    try:
        value = read_line_at(path, offset)
    except (OSError, ValueError):
        return None  # the file was replaced since the offset was taken; the next refresh starts over
    return value if isinstance(value, dict) else None
