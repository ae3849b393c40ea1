"""JSONL reading and appending, built for long runs that get interrupted.

Reading is lazy and never stops at a bad line: each line yields either a parsed value or an :class:`InputError` that
names the file and line. Appending writes one whole record per ``write`` and flushes it, so a killed process loses
at most the record it was writing; :func:`repair_tail` removes such a torn last line before a run resumes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..errors import InputError

__all__ = ["InputErrorLog", "JsonlWriter", "Line", "iter_jsonl", "repair_tail"]

MAX_KEPT_INPUT_ERRORS = 1000


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a JSONL file: its 1-based number and either a value or the error that line caused."""

    number: int
    value: Any = None
    error: InputError | None = None


@dataclass
class InputErrorLog:
    """Input lines a stage could not use: every one counted, the first ``MAX_KEPT_INPUT_ERRORS`` kept for the
    report (a run over a badly broken file must not hold millions of messages)."""

    input_errors: list[InputError] = field(default_factory=list)
    input_error_count: int = 0

    def add_input_error(self, error: InputError) -> None:
        self.input_error_count += 1
        if len(self.input_errors) < MAX_KEPT_INPUT_ERRORS:
            self.input_errors.append(error)


def iter_jsonl(path: str | Path) -> Iterator[Line]:
    """Yield every non-blank line of ``path``, parsed.

    Raises:
        InputError: only when the file itself cannot be opened; bad lines are yielded as ``Line.error``.
    """
    source = str(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below; opened first to report a clear error
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=source) from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Line(
                    number,
                    error=InputError(f"not UTF-8 ({exc.reason} at byte {exc.start})", source=source, line=number),
                )
                continue
            try:
                yield Line(number, value=json.loads(text))
            except json.JSONDecodeError as exc:
                hint = " (the line looks cut off; was the writer interrupted?)" if not text.endswith("\n") else ""
                problem = exc.msg.removesuffix(" at")
                yield Line(
                    number,
                    error=InputError(
                        f"invalid JSON: {problem} at column {exc.colno}{hint}", source=source, line=number
                    ),
                )


def repair_tail(path: str | Path) -> bool:
    """Cut a torn last line (no trailing newline) left by a killed writer. Returns whether anything was cut."""
    file = Path(path)
    if not file.exists() or file.stat().st_size == 0:
        return False
    with open(file, "rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return False
        # walk back to the previous newline in blocks
        pos = size
        keep = 0
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            handle.seek(pos)
            block = handle.read(step)
            idx = block.rfind(b"\n")
            if idx != -1:
                keep = pos + idx + 1
                break
        handle.truncate(keep)
    return True


class JsonlWriter:
    """Append JSON records to a file, one line each, flushed per record (optionally fsynced every N records)."""

    def __init__(self, path: str | Path, *, fsync_every: int = 0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._fsync_every = fsync_every
        self._since_sync = 0

    def write(self, record: Any) -> None:
        # One write call per record keeps a torn write confined to the last line.
        self._handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        self._handle.flush()
        if self._fsync_every:
            self._since_sync += 1
            if self._since_sync >= self._fsync_every:
                os.fsync(self._handle.fileno())
                self._since_sync = 0

    def write_many(self, records: list[Any]) -> None:
        """Append records that finished together with one write and one flush (a batch is graded as a unit)."""
        if not records:
            return
        dumps = json.dumps
        self._handle.write("".join(dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records))
        self._handle.flush()
        if self._fsync_every:
            self._since_sync += len(records)
            if self._since_sync >= self._fsync_every:
                os.fsync(self._handle.fileno())
                self._since_sync = 0

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
