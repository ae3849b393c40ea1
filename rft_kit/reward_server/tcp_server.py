"""Run a reward server: :class:`RewardServer` in a background thread (tests) or :func:`serve` (``rft serve``)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType

from ..graders.base import Grader
from ..graders.loading import build_grader, read_grader_file
from .http_handler import RewardHTTPServer, RewardSettings
from .metrics import RewardMetrics
from .scoring import Scorer

__all__ = ["RewardServer", "serve"]


class RewardServer:
    """A grader behind HTTP, for trainers that call remote rewards (and Azure endpoint graders).

    Example::

        with RewardServer(load_grader("rft:exact_answer"), workers=2) as server:
            httpx.post(f"{server.url}/score", json={"item": {"answer": "4"}, "sample": "4"}).json()
            # {"score": 1.0, "status": "scored", "error": None, "sub_rewards": {}}

    Args:
        grader: the grader to serve.
        host, port: address to bind; port ``0`` picks a free one.
        workers: grading processes (``0``: grade in this process).
        settings: auth and limits.
    """

    def __init__(
        self,
        grader: Grader,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        workers: int = 1,
        settings: RewardSettings | None = None,
    ) -> None:
        self.grader = grader
        self.settings = settings or RewardSettings()
        self.metrics = RewardMetrics()
        self._address = (host, port)
        self._workers = workers
        self._scorer: Scorer | None = None
        self._httpd: RewardHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (after :meth:`start`)."""
        if self._httpd is None:
            raise RuntimeError("RewardServer is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    def start(self) -> RewardServer:
        """Start the workers, bind, and serve in a daemon thread.

        Raises:
            OSError: the address cannot be bound.
        """
        self._scorer = Scorer(self.grader, workers=self._workers)
        try:
            self._httpd = RewardHTTPServer(self._address, self._scorer, self.settings, self.metrics)
        except OSError:
            self._scorer.close()
            raise
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="rft-reward-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and the workers (idempotent)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._scorer is not None:
            self._scorer.close()
            self._scorer = None

    def __enter__(self) -> RewardServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(grader_file: Path, host: str, port: int, *, workers: int, settings: RewardSettings) -> None:
    """Serve ``grader_file`` in the foreground until Ctrl-C.

    Raises:
        ConfigError: the grader file is invalid.
        OSError: the address cannot be bound.
    """
    file = read_grader_file(grader_file, placement="any")
    grader = build_grader(file.config, source=file.source)
    server = RewardServer(grader, host, port, workers=workers, settings=settings).start()
    out = sys.stderr
    out.write(f"rft-kit reward server for {grader.type} grader {grader.name!r} at {server.url}\n")
    out.write("  POST /score {item, sample} -> {score, status, error, sub_rewards}   (Azure endpoint-grader body)\n")
    out.write("  POST /score_batch {items, samples} -> {results}   GET /health   GET /metrics\n")
    out.write(f"  workers: {workers or 'in-process'}; auth: {'bearer token' if settings.token else 'none'}\n")
    out.write("Press Ctrl-C to stop.\n")
    out.flush()
    # SIGTERM (a supervisor, `kill`) must stop the worker processes too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
