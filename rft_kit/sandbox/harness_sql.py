"""Harness for the ``run_sql`` tool: run one read-only query against a private in-memory copy of a database.

Payload: ``{"db": base64 SQLite image, "sql": str, "max_rows": int, "max_steps": int}``. Result:
``{"ok": true, "columns": [...], "rows": [[...]], "truncated": bool}`` or ``{"ok": false, "error": str}``.

The query is model-written, so it runs here, in a sandboxed job, never in the caller's process. The image is
deserialised into ``:memory:`` (nothing on disk to modify or keep), ``query_only`` is on, and an authorizer allows
reading and functions only (no ATTACH, no PRAGMA, no writes, no extension loading). ``max_steps`` bounds the work of
a runaway query (a cross join) through the progress handler, before the wall limit kills the job.
"""

from __future__ import annotations

import base64
import sqlite3
from typing import Any

__all__ = ["main", "run_query"]

_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_CELL_CHARS = 200


def _authorize(action: int, *_: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


def _cell(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > _CELL_CHARS:
        return value[:_CELL_CHARS] + "..."
    return value


def run_query(image: bytes, sql: str, max_rows: int, max_steps: int) -> dict[str, Any]:
    """Run ``sql`` on a private copy of ``image``; never raises."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(image)
        conn.execute("PRAGMA query_only = ON")
        conn.set_authorizer(_authorize)
        steps = [0]

        def progress() -> int:
            steps[0] += 1
            return 1 if steps[0] * 1000 > max_steps else 0

        conn.set_progress_handler(progress, 1000)
        cursor = conn.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(max_rows + 1)
        return {
            "ok": True,
            "columns": columns,
            "rows": [[_cell(v) for v in row] for row in rows[:max_rows]],
            "truncated": len(rows) > max_rows,
        }
    except (sqlite3.Error, ValueError, OverflowError, MemoryError) as exc:
        message = str(exc)
        if message == "interrupted":
            message = "the query did too much work and was stopped; add a filter, a join condition or a LIMIT"
        elif "not authorized" in message:
            message = "only SELECT queries are allowed (the database is read-only)"
        elif not isinstance(exc, sqlite3.OperationalError):
            message = f"{type(exc).__name__}: {message}"
        return {"ok": False, "error": message}
    finally:
        conn.close()


def main(ctx: Any) -> None:
    """Job entry point."""
    payload = ctx.read_payload()
    ctx.drop_privileges()
    image = base64.b64decode(payload["db"])
    ctx.emit(run_query(image, str(payload["sql"]), int(payload["max_rows"]), int(payload["max_steps"])))
