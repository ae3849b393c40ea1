"""Run a reward server: :class:`RewardServer` in a background thread (tests) or :func:`serve` (``rft serve``)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType

from ..graders.base import Grader
from ..graders.loading import build_grader, read_grader_file
from ..serving import BackgroundServer, ServerMetrics, bind, run_foreground
from .app import build_app, reward_metrics
from .scoring import Scorer
from .settings import RewardSettings

__all__ = ["RewardServer", "serve"]


class RewardServer:
    """A grader behind HTTP, for trainers that call remote rewards (and Azure endpoint graders).

    Example::

        with RewardServer(load_grader("graders/exact_answer.yaml"), workers=2) as server:
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
        self.metrics: ServerMetrics = reward_metrics()
        self._address = (host, port)
        self._workers = workers
        self._scorer: Scorer | None = None
        self._server: BackgroundServer | None = None

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("RewardServer is not running")
        return self._server.url

    def start(self) -> RewardServer:
        """Start the workers, bind, and serve in a daemon thread.

        Raises:
            OSError: the address cannot be bound.
        """
        self._scorer = Scorer(self.grader, workers=self._workers)
        app = build_app(self._scorer, self.settings, self.metrics)
        self._server = BackgroundServer(app, self.settings.serving(), *self._address)
        try:
            self._server.start()
        except (OSError, RuntimeError):
            self._scorer.close()
            self._scorer = self._server = None
            raise
        return self

    def stop(self) -> None:
        """Stop serving (in-flight requests finish) and the workers (idempotent)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
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
    """Serve ``grader_file`` in the foreground until SIGTERM or Ctrl-C (in-flight requests finish first).

    Raises:
        ConfigError: the grader file is invalid.
        OSError: the address cannot be bound.
    """
    file = read_grader_file(grader_file, placement="any")
    grader = build_grader(file.config, source=file.source)
    sock = bind(host, port)
    scorer = Scorer(grader, workers=workers)
    try:
        h, p = sock.getsockname()[:2]
        out = sys.stderr
        out.write(f"rft-kit reward server for {grader.type} grader {grader.name!r} at http://{h}:{p}\n")
        out.write(
            "  POST /score {item, sample} -> {score, status, error, sub_rewards}   (Azure endpoint-grader body)\n"
        )
        out.write("  POST /score_batch {items, samples} -> {results}   GET /health   GET /metrics\n")
        out.write(f"  workers: {workers or 'in-process'}; auth: {'bearer token' if settings.token else 'none'}\n")
        out.write("SIGTERM or Ctrl-C stops it after in-flight requests finish.\n")
        out.flush()
        run_foreground(build_app(scorer, settings, reward_metrics()), settings.serving(), sock)
    finally:
        sock.close()
        scorer.close()
