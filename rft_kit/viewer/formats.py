"""How the run index decodes the lines of ``tasks.jsonl``, ``samples.jsonl``, ``grades.jsonl`` and ``labels.jsonl``.

Lines are decoded with msgspec into structs of only the fields the index keeps (several times faster than
``json.loads``, which dominates opening a large run). A line msgspec refuses (a ``NaN``, a field of an odd type) is
parsed again with ``json`` and held to the same types, so the index's handlers can trust every field's type; a line
that is not such a record decodes to ``None`` (an unreadable line).

A clean block of lines is decoded in one ``decode_lines`` call (:class:`~rft_kit.viewer.tail.JsonlTail`), task
messages into :class:`Message` structs (a block with a message that is not an object decodes them as JSON gives
them). For grades
the block decoder learns the run's sub-grader names from the block's first line and decodes ``sub_rewards`` into a
struct made for them: a struct's fields are matched once per type where a dict's keys are new strings per record,
which halves the cost of decoding a grades file. A block with another name (or anything else the struct refuses)
is decoded with plain dicts, and the names are learnt again from it.

The structs are not tracked by the garbage collector (``gc=False``): they hold only strings, numbers and JSON
values, which cannot refer back to them, and a large run decodes hundreds of thousands of them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import msgspec

__all__ = ["FORMATS", "Format", "GradeLine", "Message", "SampleLine", "TaskLine", "sub_names"]

_NULL: Final = msgspec.Raw(b"null")


class TaskLine(msgspec.Struct, gc=False):
    id: Any = None
    metadata: Any = None
    messages: Any = None
    """as JSON gives it; from the block decoder, usually a list of :class:`Message`"""


class Message(msgspec.Struct, gc=False):
    """A prompt message as the index reads it: its content only (a struct: no dict and no role string per message)."""

    content: Any = None


class _TaskMessages(msgspec.Struct, gc=False):
    id: Any = None
    metadata: Any = None
    messages: list[Message] | None = None


def _fallback(fast: type[msgspec.Struct], loose: type[msgspec.Struct]) -> Callable[[memoryview], list[Any]]:
    """``decode_lines`` into ``fast``, or into ``loose`` for a block ``fast`` refuses."""
    fast_lines = msgspec.json.Decoder(fast).decode_lines
    loose_lines = msgspec.json.Decoder(loose).decode_lines

    def decode(block: memoryview) -> list[Any]:
        try:
            return fast_lines(block)
        except msgspec.MsgspecError:
            return loose_lines(block)

    return decode


class SampleLine(msgspec.Struct, kw_only=True, gc=False):
    item_id: str | int
    sample_index: int | None = 0
    output_text: str | None = None
    choices: msgspec.Raw = _NULL  # decoded only for a record without output_text
    error: Any = None
    stop_reason: str | None = None
    turns: int | None = None


class GradeLine(msgspec.Struct, kw_only=True, gc=False):
    """A grade as a line decoder gives it. The block decoder gives structs with the same fields whose
    ``sub_rewards`` is a struct of the run's sub-grader names (:func:`sub_names` reads either)."""

    item_id: str | int
    sample_index: int | None = 0
    reward: float
    status: str | None = None
    error: dict[str, Any] | None = None
    sub_rewards: dict[str, float] | None = None


def sub_names(sub_rewards: Any) -> tuple[str, ...]:
    """The sub-grader names of one record's ``sub_rewards`` (a dict or a learnt struct)."""
    if isinstance(sub_rewards, dict):
        return tuple(sub_rewards)
    if isinstance(sub_rewards, msgspec.Struct):
        return tuple(sub_rewards.__struct_fields__)
    return ()


@dataclass(frozen=True)
class Format:
    """How one record file is decoded: line by line (``line``) and, for a clean block of lines, all at once
    (``lines``)."""

    line: Callable[[bytes], Any]
    lines: Callable[[memoryview], list[Any]] | None


def _line_decoder(kind: type[msgspec.Struct]) -> Callable[[bytes], Any]:
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


class _GradeBlocks:
    """``decode_lines`` for grades, with sub-rewards decoded into a struct of the names last seen (see the module
    docstring)."""

    def __init__(self) -> None:
        self._plain_lines = msgspec.json.Decoder(GradeLine).decode_lines
        self._names: tuple[str, ...] | None = None
        self._fast: Callable[[memoryview], list[Any]] | None = None

    def _learn(self, names: tuple[str, ...]) -> None:
        if names == self._names:
            return
        self._names = names
        if not names or any(not name.isidentifier() or name.startswith("__") for name in names):
            self._fast = None  # a struct needs identifier field names; such a run decodes with dicts
            return
        subs = msgspec.defstruct(
            "SubRewards", [(name, float, math.nan) for name in names], forbid_unknown_fields=True, gc=False
        )
        line = msgspec.defstruct(
            "GradeLineSubs",
            [
                ("item_id", str | int),
                ("sample_index", int | None, 0),
                ("reward", float),
                ("status", str | None, None),
                ("error", dict[str, Any] | None, None),
                ("sub_rewards", subs | None, None),
            ],
            kw_only=True,
            gc=False,
        )
        self._fast = msgspec.json.Decoder(line).decode_lines

    def __call__(self, block: memoryview) -> list[Any]:
        if self._names is None:
            head = bytes(block[:65536])
            try:
                self._learn(sub_names(msgspec.json.decode(head[: head.index(b"\n")], type=GradeLine).sub_rewards))
            except (ValueError, msgspec.MsgspecError):  # no whole line in the head, or not a grade: use dicts
                self._names = ()
        if self._fast is not None:
            try:
                return self._fast(block)
            except msgspec.MsgspecError:
                pass
        values = self._plain_lines(block)  # raises for a block that is not all grades: the tail goes line by line
        seen: dict[str, None] = {}
        for value in values:
            if value.sub_rewards:
                seen.update(dict.fromkeys(value.sub_rewards))
        self._learn(tuple(seen))
        return values


def _formats() -> dict[str, Format]:
    return {
        "tasks": Format(_line_decoder(TaskLine), _fallback(_TaskMessages, TaskLine)),
        "samples": Format(_line_decoder(SampleLine), msgspec.json.Decoder(SampleLine).decode_lines),
        "grades": Format(_line_decoder(GradeLine), _GradeBlocks()),
        "labels": Format(json.loads, None),
    }


FORMATS: Final = _formats
"""A fresh set of formats per index (the grades block decoder learns the names of one run)."""
