"""The one error a handler raises for a client's mistake, and the JSON body every error answer has."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["HTTPError", "error_payload", "json_bytes"]

_SURROGATE = re.compile("[\ud800-\udfff]")


class HTTPError(Exception):
    """An error answer: ``status``, a message for the client, a short ``kind`` for the metrics.

    ``close`` ends the connection after the answer: set it whenever part of the request body is left unread (it
    would otherwise be taken for the next request).
    """

    def __init__(self, status: int, message: str, kind: str, *, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.close = close


def error_payload(message: str, kind: str) -> dict[str, Any]:
    """``{"error": {"message", "kind"}}``."""
    return {"error": {"message": message, "kind": kind}}


def json_bytes(payload: Any) -> bytes:
    """Compact UTF-8 JSON; raises ``ValueError`` for NaN or infinities (never sent as invalid JSON).

    An unpaired surrogate (a model can write ``\\ud800`` in a JSON string) has no UTF-8 form, and strict JSON
    parsers refuse it even escaped: it is sent as the six characters of its escape, as rft-kit's files write it.
    """
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(_escaped(payload), separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value
