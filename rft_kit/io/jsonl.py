"""JSONL reading and appending, built for long runs that get interrupted.

Reading is lazy and never stops at a bad line: each line yields either a parsed value or an :class:`InputError` that
names the file and line. Appending writes one whole record per ``write`` and flushes it, so a killed process loses
at most the record it was writing; :func:`repair_tail` removes such a torn last line before a run resumes.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..errors import InputError
from .escape import dumps_line
from .output import check_not_input, is_regular_file, lock_output, output_error

__all__ = ["ESCAPE_NOTE_KEY", "InputErrorLog", "JsonlWriter", "Line", "iter_jsonl", "repair_tail"]

MAX_KEPT_INPUT_ERRORS = 1000
MAX_LINE_BYTES = 256 * 1024 * 1024
"""Longest JSONL line read; a longer one is reported and skipped without being held in memory."""
ESCAPE_NOTE_KEY = "output_escapes"
"""Key added to a written record whose strings or numbers had to be escaped (see :mod:`rft_kit.io.escape`)."""


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
        number = 0
        while True:
            raw = handle.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                # Never hold an unbounded line (a multi-GB record, or a device such as /dev/zero): skip to its end.
                while raw and not raw.endswith(b"\n"):
                    raw = handle.readline(1 << 20)
                yield Line(
                    number,
                    error=InputError(
                        f"the line is longer than {MAX_LINE_BYTES // (1 << 20)} MiB; it was skipped",
                        source=source,
                        line=number,
                    ),
                )
                continue
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
    if not is_regular_file(file) or file.stat().st_size == 0:
        return False  # a device or pipe (/dev/stdout) is never read back
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
    """Append JSON records to a file, one line each, flushed per record (optionally fsynced every N records).

    The file goes through :mod:`rft_kit.io.output`: refused if it is one of ``inputs``, locked against a second
    writer while open. Every record is written even if it holds what strict UTF-8 JSON cannot (an unpaired
    surrogate, a NaN): :func:`~rft_kit.io.escape.dumps_line` escapes it and notes the counts on the record under
    ``note_key``; :attr:`escaped_records` counts such records.

    Raises:
        InputError: the output cannot be created or written (a clear message, no traceback), is an input, or is
            locked by another process (:class:`~rft_kit.io.output.OutputBusy`).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        fsync_every: int = 0,
        inputs: Iterable[tuple[str, str | Path | None]] = (),
        note_key: str | None = ESCAPE_NOTE_KEY,
    ) -> None:
        self.path = Path(path)
        check_not_input(self.path, inputs)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle: IO[str] = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise output_error(self.path, exc) from None
        #: a regular file is locked and may be resumed; a device or pipe (/dev/stdout, /dev/full) is only written
        self.regular = stat.S_ISREG(os.fstat(self._handle.fileno()).st_mode)
        if self.regular:
            try:
                lock_output(self._handle.fileno(), self.path)
            except BaseException:
                self._handle.close()
                raise
        self._fsync_every = fsync_every if self.regular else 0
        self._since_sync = 0
        self._note_key = note_key
        self.escaped_records = 0

    def reopen(self) -> None:
        """Open the path again (after the file was atomically replaced), locking the new file."""
        old = self._handle
        try:
            self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise output_error(self.path, exc) from None
        try:
            lock_output(self._handle.fileno(), self.path)
        except BaseException:
            self._handle.close()
            self._handle = old
            raise
        old.close()

    def _line(self, record: Any) -> str:
        text, escapes = dumps_line(record, note_key=self._note_key)
        if escapes:
            self.escaped_records += 1
        return text + "\n"

    def _put(self, text: str, count: int) -> None:
        try:
            self._handle.write(text)
            self._handle.flush()
            if self._fsync_every:
                self._since_sync += count
                if self._since_sync >= self._fsync_every:
                    os.fsync(self._handle.fileno())
                    self._since_sync = 0
        except BrokenPipeError:
            raise  # the reader went away (`| head`): the CLI ends quietly
        except OSError as exc:
            raise output_error(self.path, exc) from None

    def write(self, record: Any) -> None:
        # One write call per record keeps a torn write confined to the last line.
        self._put(self._line(record), 1)

    def write_many(self, records: list[Any]) -> None:
        """Append records that finished together with one write and one flush (a batch is graded as a unit)."""
        if not records:
            return
        self._put("".join(self._line(r) for r in records), len(records))

    def close(self) -> None:
        if self._handle.closed:
            return
        try:
            self._handle.flush()
            if self.regular:
                os.fsync(self._handle.fileno())
        except BrokenPipeError:
            pass
        except OSError as exc:
            raise output_error(self.path, exc) from None
        finally:
            with contextlib.suppress(OSError):  # the flush above already failed and was reported
                self._handle.close()

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
