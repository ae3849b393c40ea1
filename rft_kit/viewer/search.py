"""Substring search over one text column of the run index (outputs, grading errors, item ids, prompts).

A :class:`SearchColumn` keeps one lower-case string per row, made when its record is indexed (so no search ever
builds anything: the first search of a session costs what the next ones do). A search tests every row with
``map(operator.contains, ...)``: the loop runs in C, each test is CPython's fast substring search, and the cost is
one test per row however many matches there are. Measured on the benchmark's 100,000 outputs this took 3-17 ms per
column for any needle, where one regular-expression pass over the rows joined into one text took 5-35 ms, the
most for the needles that match every row (``benchmarks/bench_viewer.py``).

NUL never occurs in a column's strings (it is removed on the way in, as it is from needles), so the strings joined
with NUL are one string that gives them back (:attr:`SearchColumn.joined`, :meth:`SearchColumn.from_joined`): the
index cache stores a column so, one large string being far quicker to write and read than many small ones.
"""

from __future__ import annotations

from itertools import repeat
from operator import contains
from typing import Final

import numpy as np
import numpy.typing as npt

from .columns import put_list

__all__ = ["SearchColumn", "clean"]

SEP: Final = "\0"


def clean(text: str) -> str:
    """``text`` as a column holds it and as a needle is looked for: lower case, without NUL."""
    text = text.lower()
    return text.replace(SEP, "") if SEP in text else text


class SearchColumn:
    """One string per row, searchable; see the module docstring."""

    def __init__(self) -> None:
        self.strings: list[str] = []

    @classmethod
    def from_joined(cls, joined: str, rows: int) -> SearchColumn:
        """The column whose :attr:`joined` is ``joined``; ``rows`` says how many strings there are, as ``split``
        cannot tell no rows from one empty row.

        Raises:
            ValueError: ``joined`` does not hold ``rows`` strings.
        """
        column = cls()
        strings = joined.split(SEP) if rows else []
        if len(strings) != rows:
            raise ValueError(f"the joined column holds {len(strings)} strings, not {rows}")
        column.strings = strings
        return column

    @property
    def joined(self) -> str:
        """All strings joined with NUL."""
        return SEP.join(self.strings)

    def __len__(self) -> int:
        return len(self.strings)

    def extend(self, count: int) -> None:
        """Add ``count`` empty rows."""
        self.strings.extend([""] * count)

    def set(self, row: int, text: str) -> None:
        """Row ``row``'s string (already :func:`clean`)."""
        self.strings[row] = text

    def put(self, rows: npt.NDArray[np.int64], texts: list[str]) -> None:
        """:meth:`set` for many rows (each text already :func:`clean`)."""
        put_list(self.strings, rows, texts)

    def search(self, needle: str) -> npt.NDArray[np.bool_]:
        """Per row, whether its string holds ``needle`` (already :func:`clean`; the empty needle is in every row)."""
        strings = self.strings
        return np.fromiter(map(contains, strings, repeat(needle)), dtype=np.bool_, count=len(strings))
