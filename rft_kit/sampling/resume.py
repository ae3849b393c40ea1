"""Picking up a samples file where an interrupted run left it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..io.escape import dumps_line
from ..io.jsonl import JsonlWriter, iter_jsonl, repair_tail
from ..io.output import is_regular_file

__all__ = ["SampleKey", "done_keys", "open_resumable"]

SampleKey = tuple[str, int]
"""``(item_id, sample_index)``: what makes a sample record unique in a samples file."""


def _key(value: object) -> SampleKey | None:
    if not isinstance(value, dict) or value.get("item_id") is None:
        return None
    index = value.get("sample_index")
    if not isinstance(index, int) or isinstance(index, bool):
        return None
    return str(value["item_id"]), index


def done_keys(path: str | Path, *, retry_errors: bool = False) -> set[SampleKey]:
    """The samples already in ``path``, after cutting a torn last line.

    Args:
        path: the samples file (absent means nothing is done).
        retry_errors: drop records of failed calls from the file (rewritten atomically) so they are sampled again;
            by default a failed call is a recorded outcome and is kept.
    """
    file = Path(path)
    if not is_regular_file(file):
        return set()  # absent, or a device or pipe that is written but never read back
    repair_tail(file)
    done: set[SampleKey] = set()
    if not retry_errors:
        for line in iter_jsonl(file):
            key = _key(line.value) if line.error is None else None
            if key is not None:
                done.add(key)
        return done
    temp = file.with_name(file.name + ".tmp")
    with open(temp, "w", encoding="utf-8") as out:
        for line in iter_jsonl(file):
            key = _key(line.value) if line.error is None else None
            if key is None or key in done or line.value.get("error"):
                continue
            done.add(key)
            out.write(dumps_line(line.value)[0] + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, file)
    return done


def open_resumable(
    output: Path, items: str | Path | Iterable[Any], *, retry_errors: bool
) -> tuple[JsonlWriter, set[SampleKey]]:
    """The locked writer for ``output`` and the samples already in it, for a run that resumes.

    The writer is opened (and locked) before reading what is done, so a second process on the same output stops
    here; it refuses ``items`` as the output when ``items`` is a path. A device or pipe is written, never read back.
    On failure the writer is closed before the error propagates.
    """
    writer = JsonlWriter(output, inputs=[("items", items if isinstance(items, str | Path) else None)])
    try:
        done: set[SampleKey] = done_keys(output, retry_errors=retry_errors) if writer.regular else set()
        if retry_errors and writer.regular:
            writer.reopen()  # done_keys replaced the file; append to (and lock) the new one
    except BaseException:
        writer.close()
        raise
    return writer, done
