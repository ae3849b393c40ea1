"""``rft serve GRADER_FILE``: expose a grader over HTTP for trainers that call remote rewards."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..errors import RftKitError
from ._common import fail


def serve(
    grader_file: Path = typer.Argument(
        ..., help="Grader file (.json, .yaml or .yml) or rft:NAME (see `rft graders`).", show_default=False
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (127.0.0.1 keeps it local)."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    workers: int = typer.Option(
        min(4, os.cpu_count() or 1), "--workers", min=0, help="Grading processes (0: grade in the server process)."
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="RFT_SERVE_TOKEN", help="Require 'Authorization: Bearer TOKEN' (env RFT_SERVE_TOKEN)."
    ),
    max_body_mb: float = typer.Option(8.0, "--max-body-mb", min=0.001, help="Refuse larger request bodies (413)."),
    read_timeout_s: float = typer.Option(10.0, "--read-timeout", min=0.1, help="Drop clients silent this long."),
    request_timeout_s: float = typer.Option(
        30.0, "--request-timeout", min=0.1, help="Drop clients whose whole request takes longer (slow trickles)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="Do not log each request."),
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
