"""``rft serve GRADER_FILE``: expose a grader over HTTP for trainers that call remote rewards."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import RftKitError
from . import _serve_options as _opts
from ._common import fail


def serve(
    grader_file: Path = typer.Argument(
        ..., help="Grader file (.json, .yaml or .yml) or rft:NAME (see `rft graders`).", show_default=False
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (127.0.0.1 keeps it local)."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    workers: int = _opts.WORKERS,
    token: str | None = _opts.TOKEN,
    max_body_mb: float = _opts.MAX_BODY_MB,
    read_timeout_s: float = _opts.READ_TIMEOUT,
    request_timeout_s: float = typer.Option(
        30.0, "--request-timeout", min=0.1, help="Drop clients whose whole request takes longer (slow trickles)."
    ),
    quiet: bool = _opts.QUIET,
) -> None:
    """Serve GRADER_FILE (a file or rft:NAME): POST /score {item, sample} -> {score} (Azure endpoint-grader body),
    /score_batch, /health, /metrics."""
    from ..reward_server import RewardSettings
    from ..reward_server import serve as run_server

    settings = RewardSettings(
        token=token,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        read_timeout_s=read_timeout_s,
        request_timeout_s=request_timeout_s,
        log_requests=not quiet,
    )
    try:
        run_server(grader_file, host, port, workers=workers, settings=settings)
    except (RftKitError, OSError) as exc:
        fail(str(exc))
