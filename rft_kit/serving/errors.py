"""The one error a handler raises for a client's mistake, and the JSON body every error answer has."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["HTTPError", "error_payload", "json_bytes"]


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
    """Compact JSON; raises ``ValueError`` for NaN or infinities (never sent as invalid JSON)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False, ensure_ascii=False).encode()
