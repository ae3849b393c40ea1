"""Reading a JSONL file that another process may still be appending to.

Each :meth:`JsonlTail.read_new` returns the complete lines written since the previous call. A last line without its
newline is a record still being written (or torn by a killed writer): it is left for a later call, never parsed half.
A file that was replaced or truncated (a stage redone from scratch) is reported as a reset so the caller starts over.
A file rewritten in place to at least the same length is caught by what was read before no longer being there: its
first bytes, the bytes just before the offset, and the checksums of pages spread over what was read (checked
whenever the file's size or modification time moved, so an idle file costs one ``stat``).

Given a ``decode_lines`` (msgspec's ``Decoder.decode_lines``), a block of clean lines is decoded in one call, which
saves a Python call per line when a large run is opened. A block is clean when every line starts with ``{`` and ends
with ``}``: JSON strings cannot hold a raw newline and ``}`` followed by ``{`` is never valid inside a value, so then
no value can span two lines, and one value per line is what ``decode_lines`` must return. Any other block (a blank
line, ``\r\n`` endings, a line that is not JSON or not of the decoder's type) is parsed line by line as before.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = ["JsonlTail", "TailBatch", "read_line_at"]

_CHUNK: Final = 8 << 20
"""Bytes read per step, so opening a large file never holds it whole in memory."""
_HEAD: Final = 64
"""Bytes of the file's start remembered to notice a file deleted and re-created under the same inode."""
_PROBES: Final = 16
_PAGE: Final = 4096
"""Pages (of this many bytes) whose checksums are kept to notice a file rewritten in place."""


_NL: Final = ord("\n")
_OPEN: Final = ord("{")
_CLOSE: Final = ord("}")


@dataclass
class TailBatch:
    """What one read found: ``reset`` (drop what was read before), the decoded ``values`` with the byte offset of
    each one's line (:attr:`offsets`), and how many complete lines were not records."""

    reset: bool = False
    values: list[Any] = field(default_factory=list)
    bad_lines: int = 0
    _offsets: list[npt.NDArray[np.int64]] = field(default_factory=list)

    @property
    def offsets(self) -> npt.NDArray[np.int64]:
        """Per value, the byte offset of its line."""
        if len(self._offsets) != 1:
            self._offsets = [np.concatenate(self._offsets) if self._offsets else np.zeros(0, dtype=np.int64)]
        return self._offsets[0]

    @property
    def records(self) -> list[tuple[int, Any]]:
        """``(byte offset, value)`` pairs."""
        return list(zip(self.offsets.tolist(), self.values, strict=True))


class JsonlTail:
    """Follows one JSONL file by byte offset; see the module docstring."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.offset = 0
        self._ident: tuple[int, int] | None = None
        self._head = b""
        self._mark = b""  # the bytes just before ``offset``: what was read must still be there
        self._probes: list[tuple[int, int]] = []  # (position, crc32 of the page there) within what was read
        self._seen: tuple[int, int] | None = None  # (size, mtime) at the last look

    def state(self) -> dict[str, Any]:
        """What :meth:`restore` needs to go on from here in another process (the index cache)."""
        return {
            "offset": self.offset,
            "ident": list(self._ident or ()),
            "head": self._head,
            "mark": self._mark,
            "probes": [list(probe) for probe in self._probes],
        }

    def restore(self, state: dict[str, Any]) -> None:
        ident: list[Any] = list(state.get("ident") or [])
        self.offset = int(state.get("offset") or 0)
        self._ident = (int(ident[0]), int(ident[1])) if len(ident) == 2 else None
        self._head, self._mark = bytes(state.get("head") or b""), bytes(state.get("mark") or b"")
        self._probes = [(int(position), int(crc)) for position, crc in state.get("probes") or []]
        self._seen = None  # check everything on the first read

    def _take_probes(self, handle: Any) -> None:
        span = self.offset - _PAGE
        positions = sorted({max(0, span * k // (_PROBES - 1)) for k in range(_PROBES)}) if self.offset else []
        probes = []
        for position in positions:
            handle.seek(position)
            probes.append((position, zlib.crc32(handle.read(self._page(position)))))
        self._probes = probes

    def _page(self, position: int) -> int:
        return min(_PAGE, self.offset - position)  # never past the offset: later bytes may still change

    def _changed_under_us(self, st: os.stat_result) -> bool:
        if self._ident is None:
            return False
        if (st.st_dev, st.st_ino) != self._ident or st.st_size < self.offset:
            return True
        if self._seen == (st.st_size, st.st_mtime_ns):
            return False
        with open(self.path, "rb") as handle:
            if self._head and handle.read(len(self._head)) != self._head:
                return True
            if self._mark:
                handle.seek(self.offset - len(self._mark))
                if handle.read(len(self._mark)) != self._mark:
                    return True
            for position, crc in self._probes:
                handle.seek(position)
                if zlib.crc32(handle.read(self._page(position))) != crc:
                    return True
        return False

    def read_new(
        self, decode: Callable[[bytes], Any] = json.loads, decode_lines: Callable[[memoryview], list[Any]] | None = None
    ) -> TailBatch:
        """The complete lines appended since the last call (see :class:`TailBatch`), each parsed by ``decode``
        (which raises ``ValueError`` for a line that is not a record, or returns ``None``); ``decode_lines``, when
        given, decodes a block of clean lines at once (see the module docstring) the way ``decode`` would."""
        batch = TailBatch()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._ident is not None:
                batch.reset = True
                self.offset, self._ident, self._head, self._mark, self._probes = 0, None, b"", b"", []
            return batch
        if self._changed_under_us(st):
            batch.reset = True
            self.offset, self._head, self._mark, self._probes = 0, b"", b"", []
        self._ident = (st.st_dev, st.st_ino)
        self._seen = (st.st_size, st.st_mtime_ns)
        if st.st_size <= self.offset:
            return batch
        with open(self.path, "rb") as handle:
            if not self._head:
                self._head = handle.read(_HEAD)
            handle.seek(self.offset)
            carry = b""
            position = self.offset
            remaining = st.st_size - self.offset
            while remaining > 0:
                block = handle.read(min(_CHUNK, remaining))
                if not block:
                    break
                remaining -= len(block)
                data = carry + block
                end = data.rfind(b"\n")
                if end < 0:
                    carry = data
                    continue
                carry = data[end + 1 :]
                position = self._parse(memoryview(data)[: end + 1], position, batch, decode, decode_lines)
                self._mark = data[max(0, end + 1 - _HEAD) : end + 1]
            if position != self.offset:
                self.offset = position
                self._take_probes(handle)
        return batch

    @staticmethod
    def _parse(
        chunk: memoryview,
        position: int,
        batch: TailBatch,
        decode: Callable[[bytes], Any],
        decode_lines: Callable[[memoryview], list[Any]] | None,
    ) -> int:
        """Parse ``chunk`` (whole lines, the last ending in a newline) read at ``position``; returns its end."""
        if decode_lines is not None and chunk[0] == _OPEN:
            data = np.frombuffer(chunk, dtype=np.uint8)
            ends = np.flatnonzero(data == _NL)
            if bool((data[ends - 1] == _CLOSE).all()) and bool((data[ends[:-1] + 1] == _OPEN).all()):
                try:
                    values = decode_lines(chunk)
                except (ValueError, RecursionError):  # msgspec's DecodeError is a ValueError
                    values = None
                if values is not None and len(values) == ends.size:
                    starts = np.empty_like(ends)
                    starts[0] = 0
                    starts[1:] = ends[:-1] + 1
                    batch._offsets.append(starts + position)
                    batch.values.extend(values)
                    return position + chunk.nbytes
        offsets: list[int] = []
        append, mark = batch.values.append, offsets.append
        for raw in chunk.tobytes().split(b"\n")[:-1]:
            start = position
            position += len(raw) + 1
            if not raw.strip():
                continue
            try:
                value = decode(raw)
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                value = None
            if value is None:
                batch.bad_lines += 1
            else:
                append(value)
                mark(start)
        batch._offsets.append(np.asarray(offsets, dtype=np.int64))
        return position


def read_line_at(path: Path, offset: int) -> Any:
    """The JSON value of the line starting at byte ``offset`` of ``path`` (an offset :class:`JsonlTail` gave)."""
    with open(path, "rb") as handle:
        handle.seek(offset)
        return json.loads(handle.readline())
