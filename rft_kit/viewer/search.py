"""Substring search over one text column of the run index (outputs, grading errors, item ids, prompts).

A :class:`SearchColumn` keeps one lower-case string per row and, built as rows arrive, the same strings joined with
NUL separators into a few large *segments*. A search is one ``re.finditer`` pass per segment, in C; a match's
position gives its row through the segment's start offsets (``np.searchsorted``). The pattern is the needle followed
by ``[^\\0]*``, so a match swallows the rest of its row and the engine goes on at the next row: a one-letter needle
costs one match per row, not one per occurrence.

Segments are kept the way a log-structured store keeps its runs: rows appended since the last :meth:`sync` become a
new segment, and the last two are merged (two string copies, no re-join) while the older is less than twice the
newer, so a run that is still being written has ``O(log rows)`` segments and each row is copied ``O(log rows)``
times in all. A row whose string changes (a re-sampled or re-graded record) marks its segment for re-joining at the
next :meth:`sync`. Building the segments at index time, not at the first search, is what lets the first search of a
session answer as fast as the next ones.

NUL never occurs in a column's strings (it is removed on the way in, as it is from needles), so a segment's text is
its strings joined and :meth:`from_joined` takes a column back from one string (the index cache stores it so).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from .columns import put_list

__all__ = ["SearchColumn", "clean", "compile_needle"]

SEP: Final = "\0"


def clean(text: str) -> str:
    """``text`` as a column holds it: lower case, without NUL."""
    text = text.lower()
    return text.replace(SEP, "") if SEP in text else text


def compile_needle(needle: str) -> re.Pattern[str] | None:
    """The pattern :meth:`SearchColumn.search` runs for ``needle`` (case-insensitive by lower-casing both sides),
    or ``None`` for a needle with nothing left to find (which every row matches)."""
    needle = clean(needle)
    if not needle:
        return None
    return re.compile(re.escape(needle) + "[^\0]*")


@dataclass(frozen=True)
class _Segment:
    first: int
    """the segment's first row"""
    text: str
    starts: npt.NDArray[np.int64]
    """where each row's string starts in ``text``"""

    @property
    def rows(self) -> int:
        return int(self.starts.size)

    @property
    def size(self) -> int:
        """characters and rows, what merging it costs"""
        return len(self.text) + 1

    @classmethod
    def of(cls, first: int, strings: list[str]) -> _Segment:
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)) + 1
        starts = np.zeros(len(strings), dtype=np.int64)
        if len(strings) > 1:
            np.cumsum(lengths[:-1], out=starts[1:])
        return cls(first, SEP.join(strings), starts)

    def then(self, other: _Segment) -> _Segment:
        """This segment followed by ``other`` (whose rows come right after this one's)."""
        shift = len(self.text) + 1
        return _Segment(self.first, self.text + SEP + other.text, np.concatenate([self.starts, other.starts + shift]))


class SearchColumn:
    """One string per row, searchable; see the module docstring."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self._segments: list[_Segment] = []
        self._firsts: list[int] = []  # each segment's first row, for bisect
        self._covered = 0  # rows [0, covered) are in segments
        self._dirty: set[int] = set()  # segments whose rows changed since they were joined

    @classmethod
    def from_joined(cls, joined: str, rows: int) -> SearchColumn:
        """The column whose strings joined with NUL are ``joined`` (see :attr:`joined`); ``rows`` says how many
        there are, as ``"".split`` cannot tell no rows from one empty row.

        Raises:
            ValueError: ``joined`` does not hold ``rows`` strings.
        """
        column = cls()
        strings = joined.split(SEP) if rows else []
        if len(strings) != rows:
            raise ValueError(f"the joined column holds {len(strings)} strings, not {rows}")
        column.strings = strings
        if rows:
            column._segments = [_Segment.of(0, strings)]
            column._firsts = [0]
            column._covered = rows
        return column

    @property
    def joined(self) -> str:
        """All strings joined with NUL (one segment's text once the column is synced and merged)."""
        self.sync()
        if len(self._segments) == 1 and not self._dirty:
            return self._segments[0].text
        return SEP.join(self.strings)

    def __len__(self) -> int:
        return len(self.strings)

    def extend(self, count: int) -> None:
        """Add ``count`` empty rows."""
        self.strings.extend([""] * count)

    def set(self, row: int, text: str) -> None:
        """Row ``row``'s string (already :func:`clean`)."""
        if row < self._covered and self.strings[row] != text:
            self._dirty.add(bisect_right(self._firsts, row) - 1)
        self.strings[row] = text

    def put(self, rows: npt.NDArray[np.int64], texts: list[str]) -> None:
        """:meth:`set` for many rows (distinct, each text already :func:`clean`); new rows in one slice."""
        if rows.size and int(rows.min()) < self._covered:
            for row, text in zip(rows.tolist(), texts, strict=True):
                self.set(row, text)
            return
        put_list(self.strings, rows, texts)

    def sync(self) -> None:
        """Join what changed since the last call (the index calls this after each refresh that brought rows)."""
        strings = self.strings
        for number in self._dirty:
            old = self._segments[number]
            self._segments[number] = _Segment.of(old.first, strings[old.first : old.first + old.rows])
        self._dirty.clear()
        if self._covered < len(strings):
            self._segments.append(_Segment.of(self._covered, strings[self._covered :]))
            self._covered = len(strings)
            segments = self._segments
            while len(segments) >= 2 and segments[-2].size < 2 * segments[-1].size:
                last = segments.pop()
                segments[-1] = segments[-1].then(last)
            self._firsts = [segment.first for segment in segments]

    def search(self, pattern: re.Pattern[str] | None) -> npt.NDArray[np.bool_]:
        """Per row, whether its string matches ``pattern`` (from :func:`compile_needle`; ``None`` matches all)."""
        self.sync()
        found = np.zeros(len(self.strings), dtype=np.bool_)
        if pattern is None:
            found[:] = True
            return found
        for segment in self._segments:
            positions = np.fromiter((m.start() for m in pattern.finditer(segment.text)), dtype=np.int64)
            if positions.size:
                found[segment.first + np.searchsorted(segment.starts, positions, side="right") - 1] = True
        return found
