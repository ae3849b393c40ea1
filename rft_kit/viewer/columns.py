"""Growable numpy columns for the run index: appended to in batches, written at arbitrary rows, read as arrays.

A :class:`Column` keeps a buffer with spare capacity (doubled when full), so adding the rows of each refresh costs
the new rows, not a copy of the whole column, and a batch of records is written with one fancy-indexed assignment.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Column", "last_wins", "put_list"]


class Column:
    """A 1-d numpy column of ``dtype``; new rows hold ``fill``."""

    def __init__(self, dtype: npt.DTypeLike, fill: Any) -> None:
        self.fill = fill
        self._data: npt.NDArray[Any] = np.empty(0, dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def values(self) -> npt.NDArray[Any]:
        """The column's rows (a view: valid until the next :meth:`grow`; copy it to keep it)."""
        return self._data[: self._size]

    def grow(self, count: int) -> None:
        """Add ``count`` rows holding ``fill``."""
        need = self._size + count
        if need > self._data.size:
            data = np.empty(max(need, 2 * self._data.size, 1024), dtype=self._data.dtype)
            data[: self._size] = self._data[: self._size]
            self._data = data
        self._data[self._size : need] = self.fill
        self._size = need

    def append(self, value: Any) -> None:
        self.grow(1)
        self._data[self._size - 1] = value

    def tobytes(self) -> bytes:
        return self.values.tobytes()

    def load(self, data: bytes) -> None:
        """Replace the rows with those of :meth:`tobytes`' output."""
        values = np.frombuffer(data, dtype=self._data.dtype)
        self._data = values.copy()
        self._size = int(values.size)


def last_wins(rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64] | None:
    """When ``rows`` names a row more than once, the positions to keep (the last of each row, in order); else
    ``None``. numpy does not promise which of repeated indices an assignment keeps, and the later record must win."""
    if rows.size < 2 or bool((np.diff(rows) > 0).all()) or np.unique(rows).size == rows.size:
        return None  # (rows in increasing order, as when a run is opened, are distinct without hashing them)
    reversed_first = np.unique(rows[::-1], return_index=True)[1]
    return np.sort(rows.size - 1 - reversed_first)


def put_list(target: list[Any], rows: npt.NDArray[np.int64], values: list[Any]) -> None:
    """``target[row] = value`` for each pair; one slice assignment when the rows are consecutive (opening a run)."""
    n = len(values)
    if n and int(rows[-1]) - int(rows[0]) == n - 1 and bool((np.diff(rows) == 1).all()):
        first = int(rows[0])
        target[first : first + n] = values
        return
    for row, value in zip(rows.tolist(), values, strict=True):
        target[row] = value
