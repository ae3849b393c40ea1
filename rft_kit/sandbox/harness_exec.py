"""The simplest harness: run a program as ``__main__`` after the privilege drop and report how it ended.

Payload: ``{"code": str, "stdin": str | None}``. Result: ``{"ok": bool, "error": str | None}``. Used by
``rft sandbox info --check`` and the sandbox's own tests; graders use the specific harnesses.
"""

from __future__ import annotations

import contextlib
import io
import sys
import traceback
from typing import Any

__all__ = ["main"]


def main(ctx: Any) -> None:
    """Read the payload, drop privileges, exec the code, emit the outcome."""
    payload = ctx.read_payload()
    ctx.drop_privileges()
    if payload.get("stdin") is not None:
        sys.stdin = io.StringIO(payload["stdin"])
    error = None
    try:
        exec(compile(payload["code"], "<program>", "exec"), {"__name__": "__main__"})
    except SystemExit as exc:
        if exc.code not in (None, 0):
            error = f"SystemExit({exc.code!r})"
    except BaseException:
        error = traceback.format_exc(limit=-5)[-2000:]
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    ctx.emit({"ok": error is None, "error": error})
