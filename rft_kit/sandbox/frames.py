"""Length-prefixed frames over pipes and sockets (the only wire format between our process, servers and jobs).

A frame is a 4-byte big-endian length followed by that many bytes (JSON text unless said otherwise). Readers always
take a byte cap so that a misbehaving peer cannot make us allocate without bound. This module is imported inside the
sandbox too, so it uses the standard library only.
"""

from __future__ import annotations

import json
import os
import struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing into every candidate (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MAX_FRAME",
    "FrameError",
    "compact_json",
    "read_exact",
    "read_frame",
    "read_json",
    "write_frame",
    "write_json",
]

MAX_FRAME = 64 << 20
"""Largest frame anyone accepts (64 MiB): a python grader source is at most 256 kB, items are far smaller."""

_HEADER = struct.Struct(">I")
compact_json = json.JSONEncoder(allow_nan=False, separators=(",", ":")).encode
"""``json.dumps(value, allow_nan=False, separators=(",", ":"))`` without building an encoder per call (these run once
or more per candidate call)."""


class FrameError(Exception):
    """The peer closed the channel mid-frame or sent a frame that breaks the protocol."""


def read_exact(fd: int, n: int) -> bytes:
    """Read exactly ``n`` bytes from ``fd`` with unbuffered ``os.read`` (never reads past the frame).

    Raises:
        FrameError: on end of file before ``n`` bytes.
    """
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise FrameError(f"channel closed after {n - remaining} of {n} bytes")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, limit: int = MAX_FRAME) -> bytes:
    """Read one frame's body from ``fd``.

    Raises:
        FrameError: on end of file or a frame longer than ``limit``.
    """
    (length,) = _HEADER.unpack(read_exact(fd, _HEADER.size))
    if length > limit:
        raise FrameError(f"frame of {length} bytes is over the {limit}-byte limit")
    return read_exact(fd, length)


def write_frame(fd: int, body: bytes) -> None:
    """Write one frame; loops over partial writes (pipes accept at most their buffer size per write)."""
    view = memoryview(_HEADER.pack(len(body)) + body)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_json(fd: int, limit: int = MAX_FRAME) -> Any:
    """Read one frame and parse it as JSON.

    Raises:
        FrameError: on a broken frame or invalid JSON.
    """
    body = read_frame(fd, limit)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise FrameError(f"frame is not valid JSON: {exc}") from None


def write_json(fd: int, value: Any) -> None:
    """Write ``value`` as one JSON frame (``allow_nan`` off: NaN is not JSON and would break strict readers)."""
    write_frame(fd, compact_json(value).encode())
