"""``rft serve-tools``: every registered environment as hosted tool endpoints (Azure agentic RFT), plus /grade."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import RftKitError
from . import _serve_options as _opts
from ._common import fail


def serve_tools(
    grader_file: Path | None = typer.Option(
        None, "--grader", "-g", help="Grader file or rft:NAME for POST /grade (without it, /grade answers 404)."
    ),
    token: str | None = _opts.TOKEN,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (127.0.0.1 keeps it local)."),
    port: int = typer.Option(8090, "--port", help="TCP port."),
    workers: int = _opts.WORKERS,
    trace_ttl_s: float = typer.Option(
        3600.0, "--trace-ttl", min=1.0, help="Close a trace (rollout) idle this many seconds; later calls get 503."
    ),
    max_traces: int = typer.Option(4096, "--max-traces", min=1, help="Live traces at most (LRU idle ones evicted)."),
    max_body_mb: float = _opts.MAX_BODY_MB,
    read_timeout_s: float = _opts.READ_TIMEOUT,
    request_timeout_s: float = typer.Option(
        30.0, "--request-timeout", min=0.1, help="Drop clients whose request takes longer to arrive (trickles)."
    ),
    quiet: bool = _opts.QUIET,
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
