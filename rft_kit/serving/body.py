"""Reading a request body: bounded in size (announced or counted), in time, and in JSON nesting.

Chunked bodies are streamed and counted, so a client that announces nothing still cannot send more than
``max_body_bytes``. Every failure is a 4xx :class:`HTTPError`: bad framing (411), too large (413, connection
closed), too slow (408, connection closed), not UTF-8 or not JSON, too deep, an integer too long to read (400).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any, Final

import numpy as np
from starlette.types import Receive, Scope

from .errors import HTTPError
from .settings import ServeSettings

__all__ = ["check_framing", "json_depth", "parse_json", "raw_depth", "read_body", "read_json"]

_DIGITS: Final = re.compile(rb"[0-9]{1,18}")
DEADLINE_KEY: Final = "rft.request_deadline"
"""Scope key: the monotonic time by which the whole request must have arrived (set by the guard)."""


def _headers(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope["headers"] if key == name]


def check_framing(scope: Scope, settings: ServeSettings) -> None:
    """Refuse, before reading anything, a body that is announced wrongly or too large."""
    encodings = _headers(scope, b"transfer-encoding")
    lengths = _headers(scope, b"content-length")
    if encodings and lengths:
        # both framings at once is the request-smuggling shape; rather than pick one, refuse the request
        raise HTTPError(
            411, "send either Content-Length or Transfer-Encoding: chunked, not both", "framing", close=True
        )
    if encodings:
        if [e.strip().lower() for e in b",".join(encodings).split(b",")] != [b"chunked"]:
            raise HTTPError(411, "the only Transfer-Encoding accepted is chunked", "framing", close=True)
        return
    if not lengths:
        if scope["method"] in ("POST", "PUT", "PATCH"):
            raise HTTPError(411, "Content-Length (or Transfer-Encoding: chunked) is required", "no_length", close=True)
        return
    if len(lengths) > 1 or not _DIGITS.fullmatch(lengths[0].strip()):
        shown = b", ".join(lengths).decode("latin-1")
        raise HTTPError(400, f"bad Content-Length {shown!r}", "bad_length", close=True)
    length = int(lengths[0])
    if length > settings.max_body_bytes:
        raise HTTPError(
            413,
            f"request body of {length} bytes is over the {settings.max_body_bytes}-byte limit",
            "too_large",
            close=True,
        )


async def read_body(scope: Scope, receive: Receive, settings: ServeSettings) -> bytes:
    """The whole body, counted against ``max_body_bytes`` and the request deadline as it streams in."""
    deadline = float(scope.get(DEADLINE_KEY) or time.monotonic() + settings.request_timeout_s)
    limit = settings.max_body_bytes
    chunks: list[bytes] = []
    size = 0
    while True:
        left = min(settings.read_timeout_s, deadline - time.monotonic())
        if left <= 0:
            raise HTTPError(408, "the request body did not arrive in time", "read_timeout", close=True)
        try:
            async with asyncio.timeout(left):
                message = await receive()
        except TimeoutError:
            raise HTTPError(408, "the request body did not arrive in time", "read_timeout", close=True) from None
        if message["type"] == "http.disconnect":
            raise HTTPError(499, "the client closed the connection mid-request", "client_gone", close=True)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPError(413, f"request body over the {limit}-byte limit", "too_large", close=True)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def json_depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests (a scalar is 0), counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            depth += 1
            if depth > limit:
                return depth
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


_STEP: Final = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1


def raw_depth(raw: bytes) -> int:
    """How deeply the JSON text ``raw`` nests, read from its brackets outside strings, at C speed (the bodies of
    tool calls carry whole rows: walking the parsed value in Python would cost more than parsing it).

    Escaped backslashes, then escaped quotes, are dropped; a byte is inside a string when an odd number of quotes
    precede it; the running sum of the brackets outside strings is the nesting.
    """
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    data = np.frombuffer(raw, dtype=np.uint8)
    if not data.size:
        return 0
    inside = (np.cumsum(data == ord('"'), dtype=np.int64) & 1).astype(bool)
    steps = np.where(inside, 0, _STEP[data])
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def parse_json(raw: bytes, max_depth: int) -> Any:
    """``raw`` as JSON, or a 400 naming what is wrong."""
    if raw.count(b"[") + raw.count(b"{") > max_depth and raw_depth(raw) > max_depth:
        # checked before parsing: a 100,000-deep body costs a bracket count, not a recursion
        raise HTTPError(400, f"the body is nested more than {max_depth} levels deep", "too_deep")
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPError(400, f"the body is not valid JSON: {exc}", "bad_json") from None
    except RecursionError:
        raise HTTPError(400, "the body is nested too deeply", "too_deep") from None
    except ValueError as exc:  # an integer over Python's digit limit (int_max_str_digits)
        raise HTTPError(400, f"the body holds a value that cannot be read: {exc}", "bad_json") from None
    return value


async def read_json(scope: Scope, receive: Receive, settings: ServeSettings) -> Any:
    """The body parsed as JSON (see :func:`read_body` and :func:`parse_json`)."""
    return parse_json(await read_body(scope, receive, settings), settings.max_json_depth)
