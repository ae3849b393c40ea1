"""Finding the exception of one kind behind an SDK error, through its chain of causes."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["find_cause"]

_E = TypeVar("_E", bound=BaseException)


def find_cause(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of ``kind`` in ``exc`` and its causes (``__cause__``, else ``__context__``), if any.

    The SDKs wrap transport errors once or twice; a cycle in the chain ends the walk instead of looping.
    """
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, kind):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None
