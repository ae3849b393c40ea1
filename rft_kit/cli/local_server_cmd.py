"""``rft local-server``: the local OpenAI-compatible server (local embeddings; a simulated model for offline runs)."""

from __future__ import annotations

import typer

from ._common import fail


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind (127.0.0.1 keeps it local)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    latency_s: float = typer.Option(0.0, "--latency", help="Add this many seconds to every response (testing)."),
    fail_first: int = typer.Option(0, "--fail-first", help="Fail the first N requests (testing retries)."),
    fail_status: int = typer.Option(500, "--fail-status", help="HTTP status of the injected failures."),
    embedding_model: str | None = typer.Option(
        None, "--embedding-model", help="Model behind the text-embedding-3-* aliases (default: the best installed)."
    ),
    api_key: str | None = typer.Option(None, "--api-key", help="Require this bearer token (default: none)."),
    quiet: bool = typer.Option(False, "--quiet", help="Do not log each request."),
) -> None:
    """Serve /v1/embeddings and /v1/models locally for the cosine metric, tests and offline demos."""
    from ..local_openai import serve as run_server

    try:
        run_server(
            host,
            port,
            latency_s=latency_s,
            fail_first=fail_first,
            fail_status=fail_status,
            default_embedding_model=embedding_model,
            api_key=api_key,
            log_requests=not quiet,
        )
    except (ValueError, OSError) as exc:
        fail(str(exc))
