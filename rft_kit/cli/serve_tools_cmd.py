"""``rft serve-tools``: every registered environment as hosted tool endpoints (Azure agentic RFT), plus /grade."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..errors import RftKitError
from ._common import fail


def serve_tools(
    grader_file: Path | None = typer.Option(
        None, "--grader", "-g", help="Grader file or rft:NAME for POST /grade (without it, /grade answers 404)."
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="RFT_SERVE_TOKEN", help="Require 'Authorization: Bearer TOKEN' (env RFT_SERVE_TOKEN)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (127.0.0.1 keeps it local)."),
    port: int = typer.Option(8090, "--port", help="TCP port."),
    workers: int = typer.Option(
        min(4, os.cpu_count() or 1), "--workers", min=0, help="Grading processes (0: grade in the server process)."
    ),
    trace_ttl_s: float = typer.Option(
        3600.0, "--trace-ttl", min=1.0, help="Close a trace (rollout) idle this many seconds; later calls get 503."
    ),
    max_traces: int = typer.Option(4096, "--max-traces", min=1, help="Live traces at most (LRU idle ones evicted)."),
    max_body_mb: float = typer.Option(8.0, "--max-body-mb", min=0.001, help="Refuse larger request bodies (413)."),
    read_timeout_s: float = typer.Option(10.0, "--read-timeout", min=0.1, help="Drop clients silent this long."),
    request_timeout_s: float = typer.Option(
        30.0, "--request-timeout", min=0.1, help="Drop clients whose request takes longer to arrive (trickles)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="Do not log each request."),
) -> None:
    """Serve every registered environment: POST /tools/{name} {type: function_call, ..., trace_id, item} ->
    {type: function_call_output, call_id, id, output}; POST /grade {sample, item, trace_id} -> {score}."""
    from ..graders.loading import build_grader, read_grader_file
    from ..serving import ServeSettings
    from ..tool_server import ToolServerConfig, serve

    try:
        grader = None
        if grader_file is not None:
            file = read_grader_file(grader_file, placement="any")
            grader = build_grader(file.config, source=file.source)
        settings = ServeSettings(
            token=token,
            max_body_bytes=int(max_body_mb * 1024 * 1024),
            read_timeout_s=read_timeout_s,
            request_timeout_s=request_timeout_s,
            log_requests=not quiet,
        )
        config = ToolServerConfig(
            grader=grader, workers=workers, ttl_s=trace_ttl_s, max_traces=max_traces, settings=settings
        )
        serve(config, host, port)
    except (RftKitError, OSError, ValueError) as exc:
        fail(str(exc))
