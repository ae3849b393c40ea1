"""Running an application on uvicorn: in a background thread (tests, notebooks) or in the foreground (the CLI).

One process, one event loop: the servers keep per-trace state and a pool of grading processes in memory, so
several uvicorn worker processes would each hold a different part of it. CPU-bound work goes to the worker
processes the application owns instead. In the foreground, SIGTERM (and Ctrl-C) stop accepting connections, let
in-flight requests finish (up to ``graceful_timeout_s``), then return, so the caller can stop its workers.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from types import FrameType, TracebackType

import uvicorn
from starlette.types import ASGIApp

from .protocol import deadline_protocol
from .settings import ServeSettings

__all__ = ["BackgroundServer", "bind", "run_foreground", "uvicorn_config"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0 picks a free one).

    Raises:
        OSError: the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say so, and without it a response
    # sent as two writes (head, body) waits for the client's delayed ACK, ~40 ms a request
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: ASGIApp, settings: ServeSettings) -> uvicorn.Config:
    """uvicorn's configuration for one of our applications (no logging set-up of its own: the host process
    keeps its logging)."""
    return uvicorn.Config(
        app,
        http=deadline_protocol(settings.read_timeout_s, settings.request_timeout_s),
        # the standard asyncio loop, not uvloop: with grading results arriving from other threads, uvloop served
        # /score slower here (measured with benchmarks/bench_reward_server.py)
        loop="asyncio",
        lifespan="on",
        log_config=None,
        log_level="error",  # not a warning per malformed request: a hostile client could flood the log
        access_log=False,
        timeout_keep_alive=max(1, round(settings.keep_alive_s)),
        timeout_graceful_shutdown=max(1, round(settings.graceful_timeout_s)),
        backlog=2048,
        server_header=False,
        date_header=False,
    )


def _close_app(app: ASGIApp) -> None:
    close = getattr(app, "close", None)  # the guard's request log (make_app's application has one)
    if callable(close):
        close()


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class BackgroundServer:
    """``app`` served by uvicorn in a daemon thread until :meth:`stop` (graceful: in-flight requests finish)."""

    def __init__(self, app: ASGIApp, settings: ServeSettings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.settings = settings
        self._address = (host, port)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.url = ""

    def start(self, timeout_s: float = 60.0) -> BackgroundServer:
        """Bind and serve; returns once the application's start-up is done.

        Raises:
            OSError: the address cannot be bound.
            RuntimeError: the application failed to start.
        """
        self._sock = bind(*self._address)
        self.url = _url(self._sock)
        self._server = uvicorn.Server(uvicorn_config(self.app, self.settings))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="rft-uvicorn", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not start (see the log for the application's start-up error)")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop accepting, let in-flight requests finish, run the application's shutdown (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._server is not None:
            _close_app(self.app)
        self._server = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _ignore(signum: int, frame: FrameType | None) -> None:
    """uvicorn re-raises the signal that stopped it once it is done; by then there is nothing left to do."""


def run_foreground(app: ASGIApp, settings: ServeSettings, sock: socket.socket) -> None:
    """Serve on ``sock`` in this thread until SIGTERM or SIGINT; returns after the graceful shutdown."""
    previous = signal.signal(signal.SIGTERM, _ignore)
    previous_int = signal.signal(signal.SIGINT, _ignore)
    try:
        uvicorn.Server(uvicorn_config(app, settings)).run(sockets=[sock])
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        sock.close()
        _close_app(app)
