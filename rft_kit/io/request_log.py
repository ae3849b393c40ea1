"""The per-request log line, written by a thread of its own so that a log nobody reads never stalls serving.

A server started with its stderr on a pipe (a supervisor, a CI step, ``subprocess.PIPE`` in a test) that is not
being read fills the pipe's 64 KB after about a thousand requests; a ``write`` from the event loop then blocks, and
every connection of the server stops with it, SIGTERM included. Here the event loop only appends the line to a
bounded queue; a daemon thread writes the queue out. When the stream falls so far behind that the queue is full,
lines are dropped and counted, and the count is written as soon as the stream takes writes again.

The thread writes with ``os.write`` on the stream's file descriptor where it has one: a daemon thread blocked
inside ``sys.stderr.write`` holds the buffer's lock, and the interpreter aborts at exit when it cannot take that
lock to flush; blocked in the system call it holds nothing.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from typing import TextIO

__all__ = ["RequestLog"]


class RequestLog:
    """Lines to ``stream`` (default: ``sys.stderr`` as it is when the log is made) from a background thread.

    Args:
        stream: where the lines go.
        capacity: lines held while the stream is behind; beyond it lines are dropped (and counted).
    """

    def __init__(self, stream: TextIO | None = None, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._stream = stream if stream is not None else sys.stderr
        self._capacity = capacity
        self._lines: deque[str] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._broken = False
        self.dropped = 0
        """Lines lost because the stream was this far behind (or gone)."""
        self.written = 0

    def write(self, line: str) -> None:
        """Queue one line (without its newline); never blocks on the stream."""
        with self._cond:
            if self._closed or self._broken or len(self._lines) >= self._capacity:
                self.dropped += 1
                return
            self._lines.append(line)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rft-request-log", daemon=True)
                self._thread.start()
            self._cond.notify()

    def close(self, timeout_s: float = 2.0) -> None:
        """Write out what is queued, waiting at most ``timeout_s`` for a stream that is behind (idempotent)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _run(self) -> None:
        reported = 0
        while True:
            with self._cond:
                while not self._lines and not self._closed:
                    self._cond.wait()
                if not self._lines and self.dropped == reported:
                    return  # closed, and nothing is left to write
                batch = list(self._lines)
                self._lines.clear()
                dropped = self.dropped
            text = "".join(f"{line}\n" for line in batch)
            if dropped > reported:
                text += f"({dropped - reported} request log lines dropped: the log stream was not keeping up)\n"
                reported = dropped
            if not self._emit(text):
                with self._cond:
                    self._broken = True
                    self.dropped += len(batch) + len(self._lines)
                    self._lines.clear()
                return
            with self._cond:
                self.written += len(batch)

    def _emit(self, text: str) -> bool:
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # no descriptor (a notebook's or a test's stream)
            fd = -1
        try:
            if fd < 0:
                self._stream.write(text)
                self._stream.flush()
                return True
            data = text.encode("utf-8", "replace")
            while data:
                data = data[os.write(fd, data) :]
            return True
        except (OSError, ValueError):  # the reader went away (EPIPE) or the stream was closed: stop logging
            return False
