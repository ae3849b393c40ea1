"""One run folder as in-memory columns: what the sample table filters, sorts, pages and searches over.

The index reads ``tasks.jsonl``, ``samples.jsonl``, ``grades.jsonl`` and ``labels.jsonl`` once and then only what
was appended since (:class:`~rft_kit.viewer.tail.JsonlTail`), so a run being written by ``rft grade`` or ``rft
rollout`` shows new records on the next request and never a torn last line. Rows are samples keyed by ``(item_id,
sample_index)``; a record seen again (a re-sampled or re-graded sample) replaces the earlier one. Columns are numpy
buffers grown in place (:mod:`~rft_kit.viewer.columns`) and copied once per change (:meth:`RunIndex.snapshot`),
which is what keeps a filter over 100,000 samples fast (``benchmarks/bench_viewer.py``). Record bodies stay on disk:
rows keep byte offsets and the sample page reads its lines back.

Text search has its own columns (:mod:`~rft_kit.viewer.search`): outputs and grading errors per row, item ids and
prompts per item, lower-cased as records arrive, so no search ever builds them.

Lines are decoded with msgspec into structs of only the fields the index keeps (several times faster than
``json.loads``, which dominates opening a large run), a clean block of lines in one call; a line msgspec refuses (a
``NaN``, a field of an odd type) is parsed again with ``json`` and kept if it is an object. A batch of records is
written into the columns with a few vectorised assignments, not a Python statement per field per record.
"""

from __future__ import annotations

import gc
import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Any, Final

import msgspec
import numpy as np
import numpy.typing as npt

from ..report.collect import PASS_EPSILON
from .columns import Column, last_wins, put_list
from .formats import FORMATS, GradeLine, Message, SampleLine, TaskLine, sub_names
from .labels import LABELS_FILE, LabelRecord, label_from_record
from .search import SearchColumn, clean
from .tail import JsonlTail, TailBatch, read_line_at

__all__ = ["NONE", "RunIndex", "Snapshot"]

NONE: Final = "(none)"
"""The template or difficulty of an item without that metadata (the report's word for it)."""
SNIPPET_CHARS: Final = 200
SEARCH_CHARS: Final = 65536
"""Characters of an output (or prompt, or error) kept for text search; a longer one is searched in its first part."""

STATUS_NAMES: Final = ("ungraded", "scored", "error")
LABEL_NAMES: Final = ("", "pass", "fail", "score")


def _output_text(record: SampleLine) -> str:
    text = record.output_text
    if isinstance(text, str):
        return text
    try:
        choices = msgspec.json.decode(record.choices)
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
        if isinstance(message, Message | Mapping):
            content = message.content if isinstance(message, Message) else message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif content is not None:
                parts.append(json.dumps(content, ensure_ascii=False))
    return clean("\n".join(parts)[:SEARCH_CHARS])


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a refresh runs. Everything a refresh allocates is kept (it becomes the
    index), so collections during it free nothing; they only walk the growing heap, which cost a quarter of the
    time to open a 100,000-sample run in a fresh process (``benchmarks/bench_viewer.py``). Reference counting
    still frees what is dropped, and the collector runs again as soon as the refresh ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _as_dict(sub_rewards: Any) -> dict[str, float]:
    if isinstance(sub_rewards, msgspec.Struct):
        return {name: getattr(sub_rewards, name) for name in sub_rewards.__struct_fields__}
    return {}


def _keys(records: list[SampleLine] | list[GradeLine]) -> list[tuple[str, int]]:
    """Each record's row key (one comprehension: this runs once per record of a large run)."""
    keys = [(r.item_id, r.sample_index or 0) for r in records]
    if set(map(type, map(_ITEM_ID, records))) - {str}:  # an integer id, which the key holds as text
        keys = [(str(item_id), index) for item_id, index in keys]
    return keys  # type: ignore[return-value]


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


# per item and per row: attribute name, dtype, the value of a new row
_ITEM_COLUMNS: Final = (
    ("item_template", np.int32, 0),
    ("item_difficulty", np.int32, 0),
    ("item_offset", np.int64, -1),
)
_ROW_COLUMNS: Final = (
    ("row_item", np.int32, 0),
    ("row_index", np.int64, 0),
    ("sample_offset", np.int64, -1),
    ("grade_offset", np.int64, -1),
    ("reward", np.float64, math.nan),
    ("status", np.int8, 0),
    ("err_kind", np.int16, -1),
    ("sample_error", np.int8, 0),
    ("stop_reason", np.int16, -1),
    ("turns", np.int32, -1),
)
_REWARD: Final = attrgetter("reward")
_ITEM_ID: Final = attrgetter("item_id")
_SEARCH: Final = ("outputs", "errors", "ids", "prompts")
"""The search columns: outputs and errors per row, ids and prompts per item."""


class RunIndex:
    """The columns of one run folder; call :meth:`refresh` before reading (it costs a ``stat`` when nothing changed).

    Args:
        folder: the run folder.
    """

    # the columns, for mypy (made in _clear)
    item_template: Column
    item_difficulty: Column
    item_offset: Column
    row_item: Column
    row_index: Column
    sample_offset: Column
    grade_offset: Column
    reward: Column
    status: Column
    err_kind: Column
    sample_error: Column
    stop_reason: Column
    turns: Column
    outputs: SearchColumn
    errors: SearchColumn
    ids: SearchColumn
    prompts: SearchColumn

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.version = 0
        self._snapshot: Snapshot | None = None
        self._rank: npt.NDArray[np.int64] | None = None
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
        self._formats = FORMATS()
        self._rank = None
        self.templates, self.difficulties = _Codes(), _Codes()
        self.error_kinds, self.stop_reasons = _Codes(), _Codes()
        self.none_template = self.templates.code(NONE)
        self.none_difficulty = self.difficulties.code(NONE)
        for name, dtype, fill in _ITEM_COLUMNS + _ROW_COLUMNS:
            setattr(self, name, Column(dtype, fill))
        for name in _SEARCH:
            setattr(self, name, SearchColumn())
        # per item
        self.item_ids: list[str] = []
        self._item_codes: dict[str, int] = {}
        # per row (sample)
        self._rows: dict[tuple[str, int], int] = {}
        self.subs: dict[str, Column] = {}
        self.snippet: list[str] = []
        # labels: latest record per (row key, labeller), and the latest of any labeller per row key
        self.labels: dict[tuple[str, int], dict[str, LabelRecord]] = {}
        self.latest_label: dict[tuple[str, int], LabelRecord] = {}
        self.label_count = 0

    def _items_for(self, item_ids: list[str]) -> npt.NDArray[np.int64]:
        """The code of each item id, new items added."""
        codes, get = self._item_codes, self._item_codes.get
        found = [get(item_id, -1) for item_id in item_ids]
        if -1 in found:
            new = [item_id for item_id, code in zip(item_ids, found, strict=True) if code < 0]
            new = list(dict.fromkeys(new))  # an item met twice in the batch gets one code
            first = len(self.item_ids)
            codes.update(zip(new, range(first, first + len(new)), strict=True))
            self.item_ids.extend(new)
            self.item_template.grow(len(new))
            self.item_template.values[first:] = self.none_template
            self.item_difficulty.grow(len(new))
            self.item_difficulty.values[first:] = self.none_difficulty
            self.item_offset.grow(len(new))
            self.ids.extend(len(new))
            self.ids.put(np.arange(first, first + len(new), dtype=np.int64), [clean(i) for i in new])
            self.prompts.extend(len(new))
            self._rank = None
            found = [get(item_id, -1) for item_id in item_ids]
        return np.asarray(found, dtype=np.int64)

    def _rows_for(self, keys: list[tuple[str, int]]) -> npt.NDArray[np.int64]:
        """The row of each key, new rows added (all columns grown once per batch, not once per row)."""
        rows, get = self._rows, self._rows.get
        found = [get(key, -1) for key in keys]
        if -1 not in found:
            return np.asarray(found, dtype=np.int64)
        new = list(dict.fromkeys(key for key, row in zip(keys, found, strict=True) if row < 0))
        first = len(self.snippet)
        rows.update(zip(new, range(first, first + len(new)), strict=True))
        items = self._items_for([key[0] for key in new])
        for name, _, _ in _ROW_COLUMNS:
            getattr(self, name).grow(len(new))
        for column in self.subs.values():
            column.grow(len(new))
        self.row_item.values[first:] = items
        self.row_index.values[first:] = [key[1] for key in new]
        self.snippet.extend([""] * len(new))
        self.outputs.extend(len(new))
        self.errors.extend(len(new))
        if len(new) == len(keys):  # all new and distinct (opening a run): the rows are the next ones
            return np.arange(first, first + len(new), dtype=np.int64)
        return np.asarray([get(key, -1) for key in keys], dtype=np.int64)

    def search(self, needle: str) -> npt.NDArray[np.bool_]:
        """Per row, whether ``needle`` (any case) is in its output, its grading error, its item id or its prompt."""
        needle = clean(needle)
        rows = self.outputs.search(needle) | self.errors.search(needle)
        items = self.ids.search(needle) | self.prompts.search(needle)
        found: npt.NDArray[np.bool_] = rows | items[self.row_item.values]
        return found

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
        return len(self.snippet)

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

    def _read(self, name: str) -> TailBatch:
        decode = self._formats[name]
        return self._tails[name].read_new(decode.line, decode.lines)

    def refresh(self) -> bool:
        """Read what was appended since the last call; start over when a file was replaced. Returns whether
        anything changed."""
        with _collector_paused():
            return self._refresh()

    def _refresh(self) -> bool:
        before = self.version
        self._read_meta()
        batches = {name: self._read(name) for name in self._tails}
        if any(batch.reset for batch in batches.values()):
            self._clear()
            batches = {name: self._read(name) for name in self._tails}
        handlers: tuple[tuple[str, Callable[[npt.NDArray[np.int64], list[Any]], None]], ...] = (
            ("tasks", self._add_items),
            ("samples", self._add_samples),
            ("grades", self._add_grades),
            ("labels", self._add_labels),
        )
        for name, handler in handlers:
            batch = batches[name]
            self.bad_lines[name] += batch.bad_lines
            if batch.values:
                handler(batch.offsets, batch.values)
            if batch.values or batch.bad_lines:
                self.version += 1
        return self.version != before

    def _add_items(self, offsets: npt.NDArray[np.int64], records: list[TaskLine]) -> None:
        keep = [n for n, record in enumerate(records) if record.id is not None]
        self.bad_lines["tasks"] += len(records) - len(keep)
        if len(keep) < len(records):
            offsets, records = offsets[keep], [records[n] for n in keep]
        codes = self._items_for([str(record.id) for record in records])
        picks = last_wins(codes)
        if picks is not None:
            codes, offsets, records = codes[picks], offsets[picks], [records[n] for n in picks.tolist()]
        templates, difficulties = [], []
        for record in records:
            meta = record.metadata if isinstance(record.metadata, dict) else {}
            templates.append(self.templates.code(str(meta.get("template", NONE))))
            difficulties.append(self.difficulties.code(str(meta.get("difficulty", NONE))))
        self.item_template.values[codes] = templates
        self.item_difficulty.values[codes] = difficulties
        self.item_offset.values[codes] = offsets
        self.prompts.put(codes, [_prompt_text(record.messages) for record in records])

    def _add_samples(self, offsets: npt.NDArray[np.int64], records: list[SampleLine]) -> None:
        rows = self._rows_for(_keys(records))
        picks = last_wins(rows)
        if picks is not None:  # sampled twice in one batch (a retry): the later record is the sample
            rows, offsets, records = rows[picks], offsets[picks], [records[n] for n in picks.tolist()]
        texts = [r.output_text if r.output_text is not None else _output_text(r) for r in records]
        self.sample_offset.values[rows] = offsets
        self.sample_error.values[rows] = [1 if r.error else 0 for r in records]
        code = self.stop_reasons.code
        self.stop_reason.values[rows] = [-1 if r.stop_reason is None else code(r.stop_reason) for r in records]
        self.turns.values[rows] = [-1 if r.turns is None else r.turns for r in records]
        put_list(self.snippet, rows, [text[:SNIPPET_CHARS] for text in texts])
        self.outputs.put(rows, [clean(text[:SEARCH_CHARS]) for text in texts])

    def _add_grades(self, offsets: npt.NDArray[np.int64], records: list[GradeLine]) -> None:
        rows = self._rows_for(_keys(records))
        picks = last_wins(rows)
        if picks is not None:  # re-graded within one batch: the later record is the grade
            for record in records:  # a sub-grader met only in a superseded grade still has a column (of NaN)
                for name in sub_names(record.sub_rewards):
                    self._sub_column(name)
            rows, offsets, records = rows[picks], offsets[picks], [records[n] for n in picks.tolist()]
        errored = [n for n, r in enumerate(records) if r.status == "error"]
        self.grade_offset.values[rows] = offsets
        self.reward.values[rows] = np.fromiter(map(_REWARD, records), dtype=np.float64, count=len(records))
        status = np.ones(rows.size, dtype=np.int8)
        status[errored] = 2
        self.status.values[rows] = status
        kinds = np.full(rows.size, -1, dtype=np.int16)
        texts = [""] * rows.size
        code = self.error_kinds.code
        for n in errored:
            error = records[n].error or {}
            kinds[n] = code(str(error.get("kind") or "internal"))
            texts[n] = clean(str(error.get("message") or "")[:SEARCH_CHARS])
        self.err_kind.values[rows] = kinds
        self.errors.put(rows, texts)
        self._put_subs(rows, [r.sub_rewards for r in records])

    def _sub_column(self, name: str) -> Column:
        column = self.subs.get(name)
        if column is None:
            column = self.subs[name] = Column(np.float64, math.nan)
            column.grow(self.rows)
        return column

    def _put_subs(self, rows: npt.NDArray[np.int64], subs: list[Any]) -> None:
        """Write the sub-rewards of a batch of grades. Every sub-grader column is written for every row of the
        batch: a re-grade forgets the earlier sub-rewards."""
        names: dict[str, None] = {}
        kinds = {type(found) for found in subs if found is not None}
        structs = len(kinds) == 1 and issubclass(next(iter(kinds)), msgspec.Struct)
        if structs:  # one learnt struct type (formats.py): every record has all its names, NaN where missing
            names = dict.fromkeys(sub_names(next(found for found in subs if found is not None)))
            blank = next(iter(kinds))()
            subs = [blank if found is None else found for found in subs]
        else:
            subs = [found if isinstance(found, dict) else _as_dict(found) for found in subs]
            for found in subs:
                if found:
                    names.update(dict.fromkeys(found))
        for name in names:
            self._sub_column(name)
        table: dict[str, npt.NDArray[np.float64]] = {}
        if structs and names:
            # all sub-rewards of the batch in one C pass: a (rows, names) table of floats
            getter = attrgetter(*names)
            flat = map(getter, subs) if len(names) == 1 else chain.from_iterable(map(getter, subs))
            values = np.fromiter(flat, dtype=np.float64, count=len(subs) * len(names)).reshape(len(subs), -1)
            table = {name: values[:, n] for n, name in enumerate(names)}
        for name, column in self.subs.items():
            if name not in names:
                column.values[rows] = math.nan
            elif structs:
                column.values[rows] = table[name]
            else:
                column.values[rows] = [found.get(name, math.nan) for found in subs]

    def _add_labels(self, offsets: npt.NDArray[np.int64], records: list[Any]) -> None:
        for record in records:
            label = label_from_record(record)
            if label is None:
                self.bad_lines["labels"] += 1
                continue
            key = (label.item_id, label.sample_index)
            self.labels.setdefault(key, {})[label.labeller] = label
            self.latest_label[key] = label
            self.label_count += 1

    # -- the state, for the on-disk cache (:mod:`rft_kit.viewer.cache`) ----------------------------------------
    _STRINGS: Final = ("item_ids", "snippet")
    _CODES: Final = ("templates", "difficulties", "error_kinds", "stop_reasons")

    def state(self) -> dict[str, Any]:
        """Everything read from the record files so far (labels are re-read: they are small and edited here).

        Search columns are stored joined, one string each: that is what they search, and one large string is far
        quicker to write and read than many small ones."""
        return {
            "tails": {name: self._tails[name].state() for name in ("tasks", "samples", "grades")},
            "bad_lines": {k: v for k, v in self.bad_lines.items() if k != "labels"},
            "arrays": {name: getattr(self, name).tobytes() for name, _, _ in _ITEM_COLUMNS + _ROW_COLUMNS},
            # copies: the state may be written by another thread while this index goes on growing
            "strings": {name: list(getattr(self, name)) for name in self._STRINGS},
            "search": {name: getattr(self, name).joined for name in _SEARCH},
            "codes": {name: list(getattr(self, name).names) for name in self._CODES},
            "subs": {name: column.tobytes() for name, column in self.subs.items()},
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Take up a :meth:`state` (then :meth:`refresh` reads what was appended since, or starts over).

        Raises:
            ValueError, KeyError, TypeError: a state that is not one this index wrote.
        """
        self._clear()
        for name, tail in state["tails"].items():
            self._tails[name].restore(tail)
        self.bad_lines.update(state["bad_lines"])
        for name, _, _ in _ITEM_COLUMNS + _ROW_COLUMNS:
            getattr(self, name).load(state["arrays"][name])
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
        for name, data in state["subs"].items():
            column = self.subs[name] = Column(np.float64, math.nan)
            column.load(data)
        items, rows = len(self.item_ids), len(self.snippet)
        for name in _SEARCH:
            size = rows if name in ("outputs", "errors") else items
            setattr(self, name, SearchColumn.from_joined(state["search"][name], size))
        self._item_codes = {item_id: code for code, item_id in enumerate(self.item_ids)}
        ids = self.item_ids
        pairs = zip(self.row_item.values.tolist(), self.row_index.values.tolist(), strict=True)  # ValueError if short
        self._rows = {(ids[item], index): row for row, (item, index) in enumerate(pairs)}
        sizes = {items} | {len(getattr(self, name)) for name, _, _ in _ITEM_COLUMNS}
        lengths = {rows} | {len(getattr(self, name)) for name, _, _ in _ROW_COLUMNS}
        lengths |= {len(column) for column in self.subs.values()}
        if len(sizes) != 1 or len(lengths) != 1 or len(self._rows) != rows or len(self._item_codes) != items:
            raise ValueError("the cached index is inconsistent")
        self.version += 1

    # -- reading back ------------------------------------------------------------------------------------------
    def _item_rank(self) -> npt.NDArray[np.int64]:
        """Per item code, its position in item-id order (kept until an item is added)."""
        if self._rank is None or self._rank.size != len(self.item_ids):
            order = sorted(range(len(self.item_ids)), key=self.item_ids.__getitem__)
            rank = np.empty(len(order), dtype=np.int64)
            rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order), dtype=np.int64)
            self._rank = rank
        return self._rank

    def snapshot(self) -> Snapshot:
        """The columns as numpy arrays (cached until the next change)."""
        if self._snapshot is not None and self._snapshot.version == self.version:
            return self._snapshot
        label = np.zeros(self.rows, dtype=np.int8)
        for key, record in self.latest_label.items():
            row = self._rows.get(key)
            if row is not None:
                label[row] = LABEL_NAMES.index(record.kind)
        reward = self.reward.values.copy()
        status = self.status.values.copy()
        threshold = self.pass_threshold
        with np.errstate(invalid="ignore"):
            passed = (status == 1) & (reward >= threshold - PASS_EPSILON)
        self._snapshot = Snapshot(
            version=self.version,
            item=self.row_item.values.copy(),
            sample_index=self.row_index.values.copy(),
            reward=reward,
            status=status,
            err_kind=self.err_kind.values.copy(),
            sample_error=self.sample_error.values.copy(),
            stop_reason=self.stop_reason.values.copy(),
            turns=self.turns.values.copy(),
            subs={name: column.values.copy() for name, column in self.subs.items()},
            label=label,
            item_template=self.item_template.values.copy(),
            item_difficulty=self.item_difficulty.values.copy(),
            item_rank=self._item_rank(),
            passed=passed,
            threshold=threshold,
        )
        return self._snapshot

    def read_item(self, code: int) -> dict[str, Any] | None:
        offset = int(self.item_offset.values[code])
        return None if offset < 0 else _read(self.folder / "tasks.jsonl", offset)

    def read_sample(self, row: int) -> dict[str, Any] | None:
        offset = int(self.sample_offset.values[row])
        return None if offset < 0 else _read(self.folder / "samples.jsonl", offset)

    def read_grade(self, row: int) -> dict[str, Any] | None:
        offset = int(self.grade_offset.values[row])
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
