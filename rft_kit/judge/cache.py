"""The on-disk cache of judge replies: one sqlite file shared by every process (WAL mode), keyed by request hash.

Keys hash the exact request (endpoint, model, messages, response format, sampling parameters), so re-grading the same
pair with the same grader makes no call, across grader instances and processes. Writes are buffered and committed
together (:meth:`ReplyCache.flush`, which the engine calls after every batch and every :data:`FLUSH_EVERY` replies):
a commit per reply would cost more CPU than the rest of a call's own work. Every reply the endpoint answered
with HTTP 200 is stored, refusals and unparsable ones included: they are what that request gets. A cache that cannot
be opened or written (read-only disk, corrupt file) is reported once as a warning and then bypassed; it never fails
a grade.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Any

__all__ = ["FLUSH_EVERY", "ReplyCache"]

FLUSH_EVERY = 256
"""Buffered replies that trigger a commit."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_SCHEMA = "CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL, created REAL NOT NULL)"


class ReplyCache:
    """A persistent map from request hash to reply dict.

    Args:
        path: the sqlite file; its directory is created on first use.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._broken = False
        self._pending: dict[str, tuple[str, float]] = {}
        # Replies still buffered when the process ends are written then (engines live as long as the process).
        atexit.register(self.flush)

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply for ``key`` (written or still buffered), or ``None``."""
        with self._lock:
            buffered = self._pending.get(key)
            if buffered is not None:
                value = json.loads(buffered[0])
                return value if isinstance(value, dict) else None
            conn = self._connection()
            if conn is None:
                return None
            try:
                row = conn.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                self._disable(exc)
                return None
        if row is None:
            return None
        value = json.loads(row[0])
        return value if isinstance(value, dict) else None

    def put(self, key: str, reply: dict[str, Any]) -> None:
        """Store ``reply`` under ``key`` (last writer wins); committed by the next :meth:`flush`."""
        data = json.dumps(reply, ensure_ascii=False, separators=(",", ":"))
        if _SURROGATE.search(data) is not None:
            # sqlite stores UTF-8, which cannot hold an unpaired surrogate (a judge can print "\ud800"); the
            # ASCII form keeps it as a JSON escape, so the reply reads back exactly as it was received.
            data = json.dumps(reply, ensure_ascii=True, separators=(",", ":"))
        with self._lock:
            self._pending[key] = (data, time.time())
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        """Commit every buffered reply in one transaction."""
        with self._lock:
            if not self._pending:
                return
            rows = [(key, data, created) for key, (data, created) in self._pending.items()]
            self._pending.clear()
            conn = self._connection()
            if conn is None:
                return
            try:
                conn.execute("BEGIN")
                conn.executemany("INSERT OR REPLACE INTO replies VALUES (?, ?, ?)", rows)
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.rollback()
                self._disable(exc)

    def _connection(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        # A connection inherited through fork() must not be used by the child; open a fresh one.
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            self._disable(exc)
            return None
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _disable(self, exc: BaseException) -> None:
        self._broken = True
        warnings.warn(f"judge cache {self.path} disabled: {exc}", RuntimeWarning, stacklevel=3)
